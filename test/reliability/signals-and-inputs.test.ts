import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { exampleArgs, freshFixture, type Fixture } from "../support/tenant.js";
import { processEnv, startBin, until } from "../support/process.js";

/**
 * Issue 21, item 10. SIGTERM (docker stop, a cancelled CI job) and SIGHUP stop a run the way
 * Ctrl-C does: the change in flight finishes, the rest is not started, the run says what was and
 * was not applied (and --json prints its document), and the exit code names the signal. A file
 * input that is a FIFO or a device is refused at once instead of blocking or being read forever.
 */
let fx: Fixture;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  fx = await freshFixture();
  env = await processEnv(fx.tenant, fx.env);
});
afterAll(async () => fx?.tenant.close());

describe("a stop signal while changes are applied", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "%s: the change in flight finishes, the run lists what was and was not applied, --json prints its document, exit %i",
    async (signal, exitCode) => {
      // A tenant of its own, with slow answers so that the signal lands while the first writes are in flight.
      const own = await freshFixture({ faults: { latencyMs: 300 } });
      const { tenant, dir } = own;
      const run = startBin([...exampleArgs(dir), "--json"], { env: await processEnv(tenant, own.env), cwd: dir });
      await until(() => tenant.writes().length > 0);
      run.child.kill(signal);
      const result = await run.done;
      await tenant.close();

      expect(result.signal).toBeNull();
      expect(result.code, result.stderr).toBe(exitCode);
      expect(result.stderr).toContain(`Stopping after the change in progress (${signal} again to stop at once)`);
      expect(result.stderr).toMatch(
        new RegExp(`Cancelled \\(${signal}\\) before the next change\\.\\nApplied: API https://mcp\\.example\\.com/mcp;.*Not applied: Tenant settings;`),
      );
      const doc = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; exitCode: number; message: string } };
      expect(doc).toMatchObject({ ok: false, error: { code: "cancelled", exitCode } });
      expect(doc.error.message).toContain("Not applied:");
      // The writes in flight took effect and nothing after them; no .env for a half-applied tenant.
      expect(tenant.writes().every((c) => !c.path.startsWith("/api/v2/tenants/settings"))).toBe(true);
      expect(existsSync(join(dir, ".env"))).toBe(false);
    },
    60_000,
  );
});

describe("a file input that is not a regular file", () => {
  const fifo = () => {
    const path = join(fx.dir, "roles.fifo");
    if (!existsSync(path)) execFileSync("mkfifo", [path]);
    return path;
  };

  it.each([
    [
      "a FIFO as the roles file",
      () => ["roles", "sync", "--api-identifier", "https://mcp.example.com/mcp", "--file", fifo()],
      /roles file .*roles\.fifo: it is not a regular file/,
    ],
    [
      "/dev/zero as the roles file",
      () => ["roles", "sync", "--api-identifier", "https://mcp.example.com/mcp", "--file", "/dev/zero"],
      /roles file \/dev\/zero: it is not a regular file/,
    ],
    ["/dev/urandom as the config file", () => ["init", "--yes", "--config", "/dev/urandom"], /config file \/dev\/urandom: it is not a regular file/],
    ["a FIFO as the config file", () => ["plan", "--config", fifo()], /config file .*roles\.fifo: it is not a regular file/],
    [
      "a FIFO as the dev tenant's connection.json (--local)",
      () => {
        const dataDir = join(fx.dir, "fifo-data");
        mkdirSync(dataDir, { recursive: true });
        if (!existsSync(join(dataDir, "connection.json"))) execFileSync("mkfifo", [join(dataDir, "connection.json")]);
        return ["doctor", "--api-identifier", "https://mcp.example.com/mcp", "--local", "--data-dir", dataDir];
      },
      /No local dev tenant found in .*fifo-data/,
    ],
  ])(
    "%s is refused at once, before any request (exit 2)",
    async (_, args, message) => {
      fx.tenant.resetCalls();
      const result = await startBin(args(), { env, cwd: fx.dir, timeoutMs: 20_000 }).done;
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/"))).toEqual([]);
    },
    30_000,
  );
});
