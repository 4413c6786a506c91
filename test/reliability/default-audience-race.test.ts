import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, type Fixture } from "../support/tenant.js";
import { processEnv, startBin, until, type RunningProcess } from "../support/process.js";

/**
 * Issue 21, item 7: the tenant's default audience under concurrency (SPEC §2: set it only when the
 * tenant has none). Two inits for different APIs both set it and both printed "✔ Default audience:
 * <own API>"; an init racing a teardown left it naming the deleted API. Real processes: two
 * started at once, and runs held still (SIGSTOP) between their read of the tenant and their writes
 * while another run goes, then let go — the interleavings that broke, made certain.
 */
const API_A = "https://a.example.com/mcp";
const API_B = "https://b.example.com/mcp";

let fx: Fixture | undefined;
afterEach(async () => fx?.tenant.close());

const initArgs = (identifier: string, extra: string[] = []) => [
  "init",
  "--yes",
  "--api-identifier",
  identifier,
  "--scopes",
  "tool:whoami",
  "--connections",
  "Username-Password-Authentication",
  "--env-path",
  join(fx!.dir, `${new URL(identifier).hostname}.env`),
  ...extra,
];
const inProcess = (args: string[]) => cli(args, { env: fx!.env, ca: fx!.tenant.caCertPem, cwd: fx!.dir });
/** The paths of the reads (GET) the tenant received from `index` of its call log on. */
const readsFrom = (index: number) => fx!.tenant.calls.slice(index).flatMap((c) => (c.method === "GET" ? [c.path] : []));
const defaultAudience = () => (fx!.tenant.store.settings as { default_audience?: string }).default_audience || undefined;
const apiExists = (identifier: string) => fx!.tenant.store.resourceServers.some((r) => r.identifier === identifier);

/**
 * Starts `args` as a process and stops it (SIGSTOP) as soon as its reads of the tenant (the
 * settings first, then the API, grants and connections together) have reached the tenant: their
 * answers are fixed then, and it writes nothing until it is let go.
 */
async function startHeldAfterRead(args: string[]): Promise<RunningProcess> {
  const from = fx!.tenant.calls.length;
  const run = startBin(args, { env: await processEnv(fx!.tenant, fx!.env), cwd: fx!.dir });
  await until(() =>
    ["/api/v2/tenants/settings", "/api/v2/resource-servers/", "/api/v2/client-grants", "/api/v2/connections"].every((p) => readsFrom(from).some((r) => r.startsWith(p))),
  );
  run.child.kill("SIGSTOP");
  return run;
}

describe("the default audience when runs race", () => {
  it("two inits for different APIs at once: one sets it, and both verdicts name what the tenant holds", async () => {
    fx = await freshFixture({ faults: { latencyMs: 100 } });
    // Both read the tenant (no default audience) before either writes, whatever the machine's load; then both go on together.
    const runs = [await startHeldAfterRead(initArgs(API_A)), await startHeldAfterRead(initArgs(API_B))];
    for (const run of runs) run.child.kill("SIGCONT");
    const [a, b] = await Promise.all(runs.map((r) => r.done));
    for (const r of [a!, b!]) expect(r.code, r.stderr).toBe(0);
    // Both planned to set it: the runs really overlapped.
    for (const r of [a!, b!]) expect(r.stderr).toMatch(/~ Default audience\n\s+default_audience: \(none\) → https:\/\/[ab]\.example\.com\/mcp/);

    const holder = defaultAudience();
    expect([API_A, API_B]).toContain(holder);
    const [winner, loser] = holder === API_A ? [a!, b!] : [b!, a!];
    expect(winner.stderr).toContain(`Default audience: ${holder} (applies to every application of the tenant)`);
    expect(loser.stderr).toContain(`The tenant's default audience became ${holder} while this run was applying`);
    expect(loser.stderr).toContain(`Default audience: ${holder}, another API`);
    expect(loser.stderr).not.toMatch(/✔ Default audience: https:\/\/[ab]\.example\.com\/mcp \(applies/);
  }, 60_000);

  it("an init that makes an API the default while a teardown of that API is between its read and its deletes: the teardown clears it", async () => {
    fx = await freshFixture({ faults: { latencyMs: 150 } });
    // The API exists; the tenant has no default audience.
    expect((await inProcess(initArgs(API_A, ["--no-default-audience"]))).code).toBe(0);
    const config = join(fx.dir, "teardown.yaml");
    await writeFile(config, `domain: \${AUTH0_DOMAIN}\napi:\n  identifier: ${API_A}\n  scopes: [{ value: tool:whoami }]\n`);

    const teardown = await startHeldAfterRead(["teardown", "--yes", "--config", config]);
    const init = await inProcess(initArgs(API_A));
    expect(init.code, init.stderr).toBe(0);
    expect(defaultAudience()).toBe(API_A);
    teardown.child.kill("SIGCONT");
    const down = await teardown.done;
    expect(down.code, down.stderr).toBe(0);

    expect(apiExists(API_A)).toBe(false);
    expect(defaultAudience()).toBeUndefined();
  }, 60_000);

  it("an init between its read and its claim while a teardown deletes the API: it does not make the deleted API the default, and its verdict says the API is gone", async () => {
    fx = await freshFixture({ faults: { latencyMs: 150 } });
    expect((await inProcess(initArgs(API_A, ["--no-default-audience"]))).code).toBe(0);
    const config = join(fx.dir, "teardown.yaml");
    await writeFile(config, `domain: \${AUTH0_DOMAIN}\napi:\n  identifier: ${API_A}\n  scopes: [{ value: tool:whoami }]\n`);

    const init = await startHeldAfterRead(initArgs(API_A));
    const down = await inProcess(["teardown", "--yes", "--config", config]);
    expect(down.code, down.stderr).toBe(0);
    init.child.kill("SIGCONT");
    const result = await init.done;

    expect(apiExists(API_A)).toBe(false);
    expect(defaultAudience()).toBeUndefined();
    expect(result.stderr, result.stderr).toContain(`API ${API_A} was deleted while this run was applying`);
    // The closing verdict reads what the tenant holds: no API, so not ready (exit 6).
    expect(result.code, result.stderr).toBe(6);
  }, 60_000);
});
