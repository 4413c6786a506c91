import { afterEach, describe, expect, it } from "vitest";
import { copyFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, proxyExampleArgs, type Fixture } from "../support/tenant.js";

/*
 * Issue 2/6 (13): on a permissive tenant (third-party apps before April 2026, the DCR security
 * mode unset) the clients MCP clients registered have ordinary ids, without tpc_. init, teardown and
 * doctor recognise them by is_first_party: false: they never touch them and never count them wrong.
 */

const EXAMPLE_CONFIG = resolve(import.meta.dirname, "../../examples/mcp-auth0.config.yaml");

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.tenant.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
  fx = undefined;
});

async function permissiveTenant() {
  fx = await freshFixture();
  delete fx.tenant.store.settings.dynamic_client_registration_security_mode;
  // What DCR registered there: ordinary 32-character ids, is_first_party false.
  const claude = fx.tenant.store.addClient({
    name: "Claude",
    client_id: "ZkQ2mYv7Tn4Lw9Pq1Rx8Sb3Uc6Vd0Ea5",
    is_first_party: false,
    app_type: "native",
    callbacks: ["http://127.0.0.1:53682/callback"],
  });
  const proxyNamed = fx.tenant.store.addClient({
    name: "Acceptance MCP (MCP proxy)",
    client_id: "Hq7Wn2Ks9Lm4Xp1Zr6Tv3Yb8Uc5Jd0Fg",
    is_first_party: false,
    app_type: "regular_web",
    callbacks: [],
  });
  const snapshot = () => structuredClone([fx!.tenant.store.findClient(claude.client_id), fx!.tenant.store.findClient(proxyNamed.client_id)]);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { env: { ...fx!.env, ...env }, ca: fx!.tenant.caCertPem, cwd: fx!.dir });
  return { claude, proxyNamed, snapshot, run };
}

const touching = (writes: Array<{ method: string; path: string }>, ids: string[]) => writes.filter((w) => ids.some((id) => w.path.includes(id)));

describe("a permissive tenant: DCR clients without tpc_", () => {
  it("init (DCR and proxy mode), doctor and teardown never touch or misjudge them", async () => {
    const { claude, proxyNamed, snapshot, run } = await permissiveTenant();
    const before = snapshot();
    const ids = [claude.client_id, proxyNamed.client_id];

    // DCR mode: provisions the tenant around them.
    const init = await run(exampleArgs(fx!.dir));
    expect(init.code).toBe(0);

    // Proxy mode would adopt the application of that name: it is a third-party client, so no.
    fx!.tenant.resetCalls();
    const proxy = await run(proxyExampleArgs(fx!.dir, { scopes: "tool:whoami", connections: false, roles: false, envPath: join(fx!.dir, "proxy.env") }));
    expect(proxy.code).toBe(2);
    expect(proxy.stderr).toMatch(/"Acceptance MCP \(MCP proxy\)" is the name of a third-party client/);
    expect(fx!.tenant.writes()).toEqual([]);

    // doctor: the mode explained, and both counted as third-party (the M2M application is not).
    const doctor = await run(["doctor", "--json"]);
    const checks = JSON.parse(doctor.stdout).checks as Array<{ title: string; status: string; detail: string }>;
    expect(checks.find((c) => c.title === "DCR security mode")).toMatchObject({
      status: "note",
      detail: expect.stringMatching(/^unset.*ordinary ids \(no tpc_\).*is_first_party: false/),
    });
    expect(checks.find((c) => c.title === "Third-party applications")?.detail).toMatch(/^3 applications, 2 of them third-party/);
    expect(doctor.code).toBe(0);

    // teardown of what the config declares: the API, its grant, roles, connections — no client.
    await copyFile(EXAMPLE_CONFIG, join(fx!.dir, "mcp-auth0.config.yaml"));
    fx!.tenant.resetCalls();
    const down = await run(["teardown", "--yes"], { MCP_SERVER_URL: IDENTIFIER });
    expect(down.code).toBe(0);
    expect(fx!.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(false);

    expect(
      touching(
        fx!.tenant.calls.filter((c) => c.write),
        ids,
      ),
    ).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});
