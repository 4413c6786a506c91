import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, type Fixture } from "../support/tenant.js";

/*
 * Ctrl-C outside a prompt (SPEC §3, exit 130). While changes are applied, the change in progress
 * finishes — a write cut off halfway leaves its outcome unknown — and the next one never starts;
 * the message lists what was applied, and a re-run converges.
 */

let fx: Fixture;
afterEach(async () => fx?.tenant.close());

/** A run whose Ctrl-C the test presses: `press()` calls the listener the CLI registered. */
function withCtrlC() {
  let listener: (() => void) | undefined;
  return { onInterrupt: (l: () => void) => ((listener = l), () => (listener = undefined)), press: () => listener?.() };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe("Ctrl-C outside a prompt", () => {
  it("during apply: stops after the change in progress, says what was applied, exit 130; a re-run completes the rest", async () => {
    fx = await freshFixture();
    // Slow answers, so that Ctrl-C lands while the first write is in flight.
    fx.tenant.setFaults({ latencyMs: 150 });
    const ctrlC = withCtrlC();
    const running = cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir, onInterrupt: ctrlC.onInterrupt });
    await until(() => fx.tenant.writes().length > 0);
    ctrlC.press();
    const result = await running;

    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Stopping after the change in progress (Ctrl-C again to stop at once)");
    // Apply runs in waves: the first (the API, the connections, the new roles) was in flight; the
    // roles' permissions and users were not. A role was created: it is reported write by write, not as "not applied".
    expect(result.stderr).toContain(
      "Cancelled (Ctrl-C) before the next change.\nApplied: API https://mcp.example.com/mcp; Connection Username-Password-Authentication; Connection google-oauth2. " +
        "Partly applied: Role Tool Administrator (done: create; not done: add permissions tool:whoami, tool:greet and assign admin@example.com); " +
        "Role Tool User (done: create; not done: add permissions tool:whoami). Not applied: Tenant settings;",
    );
    expect(result.stderr).toContain("Re-run the same command to complete the rest");
    // Exactly the writes in flight took effect; no .env was written for a half-applied tenant.
    expect(
      fx.tenant
        .writes()
        .map((c) => `${c.method} ${c.path.replace(/con_\w+/, "con_…")}`)
        .sort(),
    ).toEqual(["PATCH /api/v2/connections/con_…", "PATCH /api/v2/connections/con_…", "POST /api/v2/resource-servers", "POST /api/v2/roles", "POST /api/v2/roles"]);
    expect(existsSync(join(fx.dir, ".env"))).toBe(false);

    fx.tenant.setFaults({});
    const again = await cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Ready for MCP clients");
  });

  it("a second Ctrl-C during apply stops at once, saying the change in progress may or may not have taken effect", async () => {
    fx = await freshFixture();
    fx.tenant.setFaults({ latencyMs: 400 });
    const ctrlC = withCtrlC();
    const running = cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir, onInterrupt: ctrlC.onInterrupt });
    await until(() => fx.tenant.writes().length > 0);
    ctrlC.press();
    ctrlC.press();
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Cancelled during a change: it may or may not have taken effect.");
    expect(result.stderr).toContain("Re-run the same command");
  });

  it("while reading the tenant, before any write: Cancelled — nothing was changed, exit 130", async () => {
    fx = await freshFixture();
    fx.tenant.setFaults({ latencyMs: 150 });
    const ctrlC = withCtrlC();
    const running = cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir, onInterrupt: ctrlC.onInterrupt });
    await until(() => fx.tenant.calls.some((c) => c.path.startsWith("/api/v2/")));
    ctrlC.press();
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Cancelled — nothing was changed.");
    // Nothing still under way in this process writes later either.
    await new Promise((r) => setTimeout(r, 1500));
    expect(fx.tenant.writes()).toEqual([]);
  });
});
