import { afterEach, describe, expect, it } from "vitest";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { MANAGEMENT_SCOPES } from "../../src/local-tenant/scopes.js";
import { INIT_READ_SCOPES, INIT_WRITE_SCOPES } from "../../src/plan/init-plan.js";

/**
 * `credentials create` on the local tenant, given a token like the Dashboard's API Explorer one
 * (every Management API scope): the application it creates holds exactly what the preflight of the
 * chosen commands asks for, its credentials then pass that preflight, and a re-run writes nothing.
 */
let fx: Fixture;
afterEach(async () => fx?.tenant.close());

const INIT_DCR = [
  "create:client_grants",
  "create:resource_servers",
  "read:client_grants",
  "read:connections",
  "read:resource_servers",
  "read:tenant_settings",
  "update:client_grants",
  "update:connections",
  "update:resource_servers",
  "update:tenant_settings",
];

async function start() {
  fx = await freshFixture();
  const token = fx.tenant.issueManagementToken([...MANAGEMENT_SCOPES], { expiresInSeconds: 3600 });
  const run = (args: string[], env: NodeJS.ProcessEnv = { AUTH0_DOMAIN: fx.tenant.domain }) => cli(args, { env, ca: fx.tenant.caCertPem, cwd: fx.dir });
  const create = (...args: string[]) => run(["credentials", "create", "--token", token, "--yes", ...args]);
  return { token, run, create };
}

function applicationNamed(name: string) {
  const apps = fx.tenant.store.clients.filter((c) => c.name === name);
  expect(apps).toHaveLength(1);
  const app = apps[0]!;
  const grants = fx.tenant.store.clientGrants.filter((g) => g.client_id === app.client_id);
  expect(grants).toHaveLength(1);
  return { app, grant: grants[0]! };
}

async function envFile(path: string) {
  return parseEnv(await readFile(path, "utf8")) as Record<string, string>;
}

describe("mcp-auth0 credentials create", () => {
  it("creates a machine-to-machine application with exactly init's DCR scopes; its credentials pass init's preflight; a re-run writes nothing", async () => {
    const { create, run } = await start();
    const first = await create("--env-path", "mcp-auth0.env", "--verbose");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("+ Machine-to-machine application mcp-auth0");

    const { app, grant } = applicationNamed("mcp-auth0");
    expect(app.app_type).toBe("non_interactive");
    expect(app.grant_types).toContain("client_credentials");
    expect(grant.audience).toBe(`https://${fx.tenant.domain}/api/v2/`);
    expect([...grant.scope].sort()).toEqual(INIT_DCR);
    // The same list init's own preflight checks, nothing more.
    expect([...grant.scope].sort()).toEqual([...new Set([...INIT_READ_SCOPES(false), ...INIT_WRITE_SCOPES(false)])].sort());

    // The secret goes to the file (0600) and nowhere else, not even with --verbose.
    const path = join(fx.dir, "mcp-auth0.env");
    const stored = await envFile(path);
    expect(stored).toEqual({ AUTH0_DOMAIN: fx.tenant.domain, AUTH0_CLIENT_ID: app.client_id, AUTH0_CLIENT_SECRET: app.client_secret });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(first.stderr + first.stdout).not.toContain(app.client_secret);
    expect(first.stderr).toContain(`AUTH0_CLIENT_ID=${app.client_id}`);

    // init with exactly these credentials: the preflight passes and the tenant is provisioned.
    const init = await run(
      ["init", "--yes", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami", "--connections", "Username-Password-Authentication", "--env-path", join(fx.dir, ".env")],
      stored,
    );
    expect(init.stderr).not.toContain("lacks");
    expect(init.code, init.stderr).toBe(0);
    // …and nothing more: with a roles file, init needs the roles scopes, which `--scopes-for init` leaves out.
    const withRoles = await run(exampleArgs(fx.dir), stored);
    expect(withRoles.code).toBe(3);
    expect(withRoles.stderr).toMatch(/lacks needed scopes: .*read:roles/);

    fx.tenant.resetCalls();
    const second = await create("--env-path", "mcp-auth0.env", "--json");
    expect(second.code, second.stderr).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    const doc = JSON.parse(second.stdout);
    expect(doc.plan.converged).toBe(true);
    expect(doc.result.writes).toBe(0);
    expect(second.stdout).not.toContain(app.client_secret);
    expect(await envFile(path)).toEqual(stored);
    expect(fx.tenant.store.clients.filter((c) => c.name === "mcp-auth0")).toHaveLength(1);
  });

  it("--scopes-for and --mode proxy widen the grant in place (one write), and the wider set passes those commands' preflights", async () => {
    const { create, run, token } = await start();
    // The token names its tenant (aud): no AUTH0_DOMAIN or --domain needed.
    const first = await run(["credentials", "create", "--token", token, "--yes", "--show-secret"], {});
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`AUTH0_DOMAIN=${fx.tenant.domain}`);
    const before = applicationNamed("mcp-auth0");

    fx.tenant.resetCalls();
    const wider = await create("--scopes-for", "init,roles,doctor,teardown", "--show-secret");
    expect(wider.code, wider.stderr).toBe(0);
    expect(fx.tenant.writes().map((c) => `${c.method} ${c.path.split("?")[0]}`)).toEqual([`PATCH /api/v2/client-grants/${before.grant.id}`]);
    const { app, grant } = applicationNamed("mcp-auth0");
    expect(app.client_id).toBe(before.app.client_id);
    expect([...grant.scope].sort()).toEqual(
      [...INIT_DCR, "create:roles", "delete:client_grants", "delete:resource_servers", "delete:roles", "read:roles", "read:users", "update:roles"].sort(),
    );
    // --show-secret: the three variables on stdout, ready for `>> .env`.
    expect(parseEnv(wider.stdout)).toEqual({ AUTH0_DOMAIN: fx.tenant.domain, AUTH0_CLIENT_ID: app.client_id, AUTH0_CLIENT_SECRET: app.client_secret });
    const creds = parseEnv(wider.stdout) as Record<string, string>;

    const init = await run(exampleArgs(fx.dir), creds);
    expect(init.code, init.stderr).toBe(0);
    const doctor = await run(["doctor", "--api-identifier", IDENTIFIER, "--json"], creds);
    expect(doctor.code, doctor.stderr).toBe(0);
    // Exactly what it needs: the doctor has nothing to say about the application's scopes.
    expect(JSON.parse(doctor.stdout).checks.map((c: { group: string }) => c.group)).not.toContain("Management API credentials");

    const proxy = await create("--mode", "proxy");
    expect(proxy.code).toBe(0);
    const proxyScopes = [...applicationNamed("mcp-auth0").grant.scope].sort();
    expect(proxyScopes).toEqual([...new Set([...INIT_READ_SCOPES(false, { mode: "proxy", clientSecret: true }), ...INIT_WRITE_SCOPES(false, { mode: "proxy" })])].sort());
    expect(proxyScopes).toEqual(expect.arrayContaining(["create:clients", "read:client_keys"]));
    expect(proxyScopes).not.toContain("create:client_grants");
  });

  it("plans first: --dry-run writes nothing, and bad input fails before any request", async () => {
    const { create } = await start();
    fx.tenant.resetCalls();
    const dry = await create("--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain("+ Machine-to-machine application mcp-auth0");
    expect(fx.tenant.writes()).toEqual([]);

    fx.tenant.resetCalls();
    const bad = await create("--scopes-for", "init,deploy");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("deploy");
    expect(fx.tenant.calls).toEqual([]);
  });

  it.each(["644", "664", "666"])("an existing --env-path file of mode 0%s receives the secret made 0600, as init does, and the plan says so (issue 21, item 4)", async (octal) => {
    const mode = parseInt(octal, 8);
    const { create } = await start();
    const path = join(fx.dir, "mcp-auth0.env");
    await writeFile(path, "OWN=1\n");
    await chmod(path, mode);
    const result = await create("--env-path", "mcp-auth0.env");
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(result.stderr).toContain(`mcp-auth0.env is readable by others (mode 0${octal}) and receives the client secret: it is made 0600.`);
    const { app } = applicationNamed("mcp-auth0");
    expect(await envFile(path)).toEqual({ OWN: "1", AUTH0_DOMAIN: fx.tenant.domain, AUTH0_CLIENT_ID: app.client_id, AUTH0_CLIENT_SECRET: app.client_secret });
  });

  it("refuses a name that belongs to an application of another type", async () => {
    const { create } = await start();
    fx.tenant.store.addClient({ name: "Website", app_type: "regular_web" });
    fx.tenant.resetCalls();
    const result = await create("--name", "Website");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("not a machine-to-machine one");
    expect(fx.tenant.writes()).toEqual([]);
  });
});

describe("mcp-auth0 doctor and the application's scopes", () => {
  it("notes the scopes the token holds that no command needs", async () => {
    fx = await freshFixture();
    expect((await cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir })).code).toBe(0);
    const token = fx.tenant.issueManagementToken([...INIT_DCR, "read:roles", "delete:users", "read:role_members"]);
    const doctor = await cli(["doctor", "--api-identifier", IDENTIFIER, "--json"], {
      env: { AUTH0_DOMAIN: fx.tenant.domain, AUTH0_ACCESS_TOKEN: token },
      ca: fx.tenant.caCertPem,
      cwd: fx.dir,
    });
    const check = JSON.parse(doctor.stdout).checks.find((c: { title: string }) => c.title === "Scopes beyond what any command needs");
    expect(check.status).toBe("note");
    expect(check.detail).toMatch(/^delete:users, read:role_members: remove them/);
    expect(doctor.code).toBe(0);
  });
});
