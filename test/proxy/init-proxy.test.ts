import { afterEach, describe, expect, it } from "vitest";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, scriptedPrompter } from "../support/cli.js";
import { freshFixture, IDENTIFIER, managementCalls, PROXY_APP_NAME, PROXY_CALLBACK, proxyExampleArgs, type Fixture } from "../support/tenant.js";

let fx: Fixture;
afterEach(async () => fx?.tenant.close());

const run = (args: string[], env = fx.env) => cli(args, { env, ca: fx.tenant.caCertPem, cwd: fx.dir });

const proxyArgs = (dir: string, ...extra: string[]) => [...proxyExampleArgs(dir), ...extra];

const proxyApps = () => fx.tenant.store.clients.filter((c) => c.name === PROXY_APP_NAME);
const readEnv = () => readFile(join(fx.dir, ".env"), "utf8");

describe("init --mode proxy against a fresh tenant", () => {
  it("creates one Regular Web Application, enables its connections, creates the API and roles, and writes the five mcp-use proxy variables", async () => {
    fx = await freshFixture();
    const result = await run(proxyArgs(fx.dir));
    expect(result.stderr).not.toContain("✖");
    expect(result.code).toBe(0);
    const { store } = fx.tenant;

    const apps = proxyApps();
    expect(apps).toHaveLength(1);
    const app = apps[0]!;
    expect(app).toMatchObject({ app_type: "regular_web", grant_types: ["authorization_code", "refresh_token"], oidc_conformant: true, callbacks: [PROXY_CALLBACK] });
    expect(app.client_id).not.toMatch(/^tpc_/);
    expect(store.clients.filter((c) => c.app_type === "regular_web")).toHaveLength(1);

    for (const name of ["Username-Password-Authentication", "google-oauth2"]) {
      const connection = store.connections.find((c) => c.name === name)!;
      expect(connection.enabled_clients).toContain(app.client_id);
      // Proxy mode does not promote connections to domain level: no DCR client logs in here.
      expect(connection.is_domain_connection).toBe(false);
    }
    const api = store.resourceServers.find((r) => r.identifier === IDENTIFIER)!;
    expect(api).toMatchObject({ name: "Acceptance MCP", token_dialect: "rfc9068_profile_authz", enforce_policies: true });
    expect(store.roles.map((r) => r.name).sort()).toEqual(["Tool Administrator", "Tool User"]);
    const admin = store.roles.find((r) => r.name === "Tool Administrator")!;
    expect((store.rolePermissions[admin.id] ?? []).map((p) => p.permission_name).sort()).toEqual(["tool:greet", "tool:whoami"]);

    // Skipped in proxy mode: DCR, the default third-party grant and the other DCR tenant settings.
    expect(store.settings.flags.enable_dynamic_client_registration).toBe(false);
    expect(store.settings.resource_parameter_profile).toBe("audience");
    expect(store.clientGrants.filter((g) => g.audience === IDENTIFIER)).toEqual([]);

    const env = await readEnv();
    expect(env).toBe(
      [
        `AUTH0_DOMAIN=${fx.tenant.domain}`,
        `AUTH0_CLIENT_ID=${app.client_id}`,
        `AUTH0_CLIENT_SECRET=${app.client_secret}`,
        `AUTH0_AUDIENCE=${IDENTIFIER}`,
        "BASE_URL=http://localhost:3000",
        "",
      ].join("\n"),
    );
    expect((await stat(join(fx.dir, ".env"))).mode & 0o777).toBe(0o600);
    expect(result.stdout + result.stderr).not.toContain(app.client_secret!);
  });

  it("a second run makes zero writes, keeps the secret, and leaves the .env untouched", async () => {
    fx = await freshFixture();
    expect((await run(proxyArgs(fx.dir))).code).toBe(0);
    const secret = proxyApps()[0]!.client_secret!;
    const envBefore = await readEnv();
    const statBefore = await stat(join(fx.dir, ".env"));
    fx.tenant.resetCalls();

    const again = await run(proxyArgs(fx.dir));
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(again.stderr).toContain("already up to date");
    expect(proxyApps()).toHaveLength(1);
    expect(proxyApps()[0]!.client_secret).toBe(secret);
    expect(await readEnv()).toBe(envBefore);
    expect(envBefore).toContain(`AUTH0_CLIENT_SECRET=${secret}\n`);
    expect((await stat(join(fx.dir, ".env"))).mtimeMs).toBe(statBefore.mtimeMs);
    expect(again.stdout + again.stderr).not.toContain(secret);
  });

  it("never shows the secret, not with --verbose, not in --json, not in --dry-run", async () => {
    fx = await freshFixture();
    const first = await run(proxyArgs(fx.dir, "--verbose", "--json"));
    expect(first.code).toBe(0);
    const secret = proxyApps()[0]!.client_secret!;
    const doc = JSON.parse(first.stdout);
    expect(doc.plan.changes.find((c: { kind: string }) => c.kind === "application")).toMatchObject({
      action: "create",
      name: PROXY_APP_NAME,
      scopes: ["create:clients", "update:connections"],
    });
    expect(doc.plan.env.set).toEqual(["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_AUDIENCE", "BASE_URL"]);

    await writeFile(join(fx.dir, ".env"), "PORT=3000\n");
    const rerun = await run(proxyArgs(fx.dir, "--verbose", "--json", "--dry-run"));
    const again = await run(proxyArgs(fx.dir, "--verbose", "--json"));
    const env = await run(["env", "--template", "mcp-use-proxy", "--api-identifier", IDENTIFIER, "--env-path", "other.env", "--verbose", "--json"]);
    for (const r of [first, rerun, again, env]) {
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    expect(JSON.parse(rerun.stdout).plan.env).toMatchObject({ action: "update", set: ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_AUDIENCE", "BASE_URL"] });
    expect(await readEnv()).toContain(`AUTH0_CLIENT_SECRET=${secret}`);
  });

  it("--dry-run plans the application and writes nothing", async () => {
    fx = await freshFixture();
    const result = await run(proxyArgs(fx.dir, "--dry-run"));
    expect(result.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    await expect(stat(join(fx.dir, ".env"))).rejects.toThrow();
    expect(result.stderr).toContain(`+ Application ${PROXY_APP_NAME}`);
    expect(result.stderr).toContain("enable connections: Username-Password-Authentication, google-oauth2");
    expect(result.stderr).not.toMatch(/Default grant|Tenant settings|domain level/);
  });
});

describe("env", () => {
  it("writes a preset's .env from the tenant as it is, with zero writes to the tenant", async () => {
    fx = await freshFixture();
    expect((await run(proxyArgs(fx.dir))).code).toBe(0);
    const app = proxyApps()[0]!;
    fx.tenant.resetCalls();

    const result = await run(["env", "--template", "fastmcp-python", "--api-identifier", IDENTIFIER, "--env-path", "fastmcp.env"]);
    expect(result.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(managementCalls(fx.tenant).length).toBeGreaterThan(0);
    const text = await readFile(join(fx.dir, "fastmcp.env"), "utf8");
    expect(text).toContain(`FASTMCP_SERVER_AUTH_AUTH0_CLIENT_ID=${app.client_id}\n`);
    expect(text).toContain(`FASTMCP_SERVER_AUTH_AUTH0_CLIENT_SECRET=${app.client_secret}\n`);
    // Without --server-url, the base URL is the origin of the application's callback.
    expect(text).toContain("FASTMCP_SERVER_AUTH_AUTH0_BASE_URL=http://localhost:3000\n");
    expect(result.stderr).toContain("nothing was changed in");
  });

  it("names what is missing: an API or an application that does not exist", async () => {
    fx = await freshFixture();
    const noApi = await run(["env", "--template", "auth0", "--api-identifier", IDENTIFIER]);
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain(`no API ${IDENTIFIER}`);

    // No connection is domain level: applied, but not ready for MCP clients (exit 6).
    expect((await run(["init", "--yes", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami", "--env-path", ".env"])).code).toBe(6);
    fx.tenant.resetCalls();
    const noApp = await run(["env", "--template", "mcp-use-proxy", "--api-identifier", IDENTIFIER]);
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toContain('no application named "MCP Server (MCP proxy)"');
    expect(noApp.stderr).toContain("--app-name");
    expect(fx.tenant.writes()).toEqual([]);
  });
});

describe("an existing application", () => {
  it("is matched by name: missing callbacks and connections are added, its own callbacks kept, its secret never rotated", async () => {
    fx = await freshFixture();
    const existing = fx.tenant.store.addClient({
      name: PROXY_APP_NAME,
      app_type: "regular_web",
      callbacks: ["https://prod.example.com/oauth/callback"],
      grant_types: ["authorization_code"],
    });
    const secret = existing.client_secret!;
    fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!.enabled_clients.push(existing.client_id);

    const result = await run(proxyArgs(fx.dir));
    expect(result.code).toBe(0);
    expect(proxyApps()).toHaveLength(1);
    expect(proxyApps()[0]).toMatchObject({
      client_id: existing.client_id,
      client_secret: secret,
      callbacks: ["https://prod.example.com/oauth/callback", PROXY_CALLBACK],
      grant_types: ["authorization_code", "refresh_token"],
    });
    const writes = fx.tenant.writes().map((w) => `${w.method} ${w.path}`);
    expect(writes).toContain(`PATCH /api/v2/clients/${existing.client_id}`);
    const upa = fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!;
    expect(writes).toContain(`PATCH /api/v2/connections/${upa.id}/clients`);
    expect(writes.filter((w) => w.includes("/connections/"))).toHaveLength(1);
    expect(writes.some((w) => w.startsWith("POST /api/v2/clients"))).toBe(false);
    expect(await readEnv()).toContain(`AUTH0_CLIENT_SECRET=${secret}\n`);
  });

  it("registered by DCR (tpc_) is never touched: exit 2 before any write", async () => {
    fx = await freshFixture();
    const dcr = fx.tenant.store.addClient({ name: PROXY_APP_NAME, dynamic: true, app_type: "regular_web", callbacks: [] });
    const before = structuredClone(dcr);
    const result = await run(proxyArgs(fx.dir));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/registered itself by DCR/);
    expect(result.stderr).toContain("--app-name");
    expect(fx.tenant.writes()).toEqual([]);
    expect(fx.tenant.store.findClient(dcr.client_id)).toEqual(before);
    await expect(stat(join(fx.dir, ".env"))).rejects.toThrow();
  });
});

describe("proxy mode validates its input before any request", () => {
  const cases: Array<[string, (dir: string) => string[], RegExp]> = [
    [
      "a proxy preset without --mode proxy",
      (dir) => ["init", "--yes", "--template", "mcp-use-proxy", "--api-identifier", IDENTIFIER, "--scopes", "a", "--env-path", join(dir, ".env")],
      /mcp-use-proxy is for proxy mode[\s\S]*--mode proxy/,
    ],
    ["a DCR preset with --mode proxy", (dir) => [...proxyArgs(dir), "--template", "auth0"], /auth0 is for DCR mode[\s\S]*choose one of: cloudflare, fastmcp-python, mcp-use-proxy/],
    ["--mode proxy without a preset", (dir) => proxyArgs(dir).filter((a, i, all) => a !== "--template" && all[i - 1] !== "--template"), /missing --template/],
    ["an unknown mode", (dir) => [...proxyArgs(dir), "--mode", "magic"], /argument 'magic' is invalid\. Allowed choices are dcr, proxy/],
    ["a relative callback URL", (dir) => [...proxyArgs(dir), "--callback-url", "/oauth/callback"], /--callback-url "\/oauth\/callback" is not an absolute URL/],
    ["a callback URL that is not http(s)", (dir) => [...proxyArgs(dir), "--callback-url", "ftp://x/cb"], /must be an https:\/\/ URL \(http:\/\/ only for localhost\)/],
    ["proxy mode without --callback-url", (dir) => proxyArgs(dir).filter((a, i, all) => a !== "--callback-url" && all[i - 1] !== "--callback-url"), /Missing --callback-url/],
    [
      "--callback-url in DCR mode",
      (dir) => ["init", "--yes", "--callback-url", PROXY_CALLBACK, "--api-identifier", IDENTIFIER, "--scopes", "a", "--env-path", join(dir, ".env")],
      /--callback-url applies to proxy mode only/,
    ],
    ["--cimd in proxy mode", (dir) => [...proxyArgs(dir), "--cimd"], /--cimd applies to DCR mode/],
    ["an invalid --app-name", (dir) => [...proxyArgs(dir), "--app-name", "<script>"], /--app-name "<script>"/],
  ];

  it.each(cases)("%s is an exit-2 error with no request at all", async (_name, args, message) => {
    fx = await freshFixture();
    const result = await run(args(fx.dir));
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(fx.tenant.calls).toEqual([]);
    await expect(stat(join(fx.dir, ".env"))).rejects.toThrow();
  });
});

describe("proxy mode scopes", () => {
  it("names the client scopes it needs, and why read:client_keys", async () => {
    fx = await freshFixture();
    const app = fx.tenant.createM2MApplication(["read:tenant_settings", "read:resource_servers", "read:connections", "read:roles", "read:users", "read:clients"]);
    const result = await run(proxyArgs(fx.dir), { ...fx.env, AUTH0_CLIENT_ID: app.clientId, AUTH0_CLIENT_SECRET: app.clientSecret });
    expect(result.code).toBe(3);
    for (const scope of ["read:client_keys", "create:clients", "update:clients", "update:connections", "create:resource_servers"]) expect(result.stderr).toContain(scope);
    // Proxy mode needs no client grant scope: it creates no default grant.
    expect(result.stderr).not.toContain("client_grants");
    expect(result.stderr).toMatch(/read:client_keys: .*client secret/);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("on a converged tenant, needs no write scope at all", async () => {
    fx = await freshFixture();
    expect((await run(proxyArgs(fx.dir))).code).toBe(0);
    const readOnly = fx.tenant.createM2MApplication([
      "read:tenant_settings",
      "read:resource_servers",
      "read:connections",
      "read:roles",
      "read:users",
      "read:clients",
      "read:client_keys",
    ]);
    const result = await run(proxyArgs(fx.dir), { ...fx.env, AUTH0_CLIENT_ID: readOnly.clientId, AUTH0_CLIENT_SECRET: readOnly.clientSecret });
    expect(result.stderr).not.toContain("✖");
    expect(result.code).toBe(0);
  });
});

describe("init --mode proxy, interactively", () => {
  it("asks for the callback URLs and the connections to enable, then applies", async () => {
    fx = await freshFixture();
    const prompter = scriptedPrompter([
      [/MCP server's URL/, ""],
      [/API name/, "Interactive MCP"],
      [/Callback URL/, `${PROXY_CALLBACK}, https://mcp.example.com/oauth/callback`],
      [/Connections the proxy application may log users in with/, ["google-oauth2"]],
      [/^Roles/, "none"],
      [/\.env/, ".env"],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const result = await cli(["init", "--mode", "proxy", "--template", "mcp-use-proxy", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami"], {
      env: fx.env,
      ca: fx.tenant.caCertPem,
      cwd: fx.dir,
      prompter,
    });
    expect(result.stderr).not.toMatch(/Unexpected prompt/);
    expect(result.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
    const app = fx.tenant.store.clients.find((c) => c.name === "Interactive MCP (MCP proxy)")!;
    expect(app.callbacks).toEqual([PROXY_CALLBACK, "https://mcp.example.com/oauth/callback"]);
    const { connections } = fx.tenant.store;
    expect(connections.find((c) => c.name === "google-oauth2")!.enabled_clients).toContain(app.client_id);
    expect(connections.find((c) => c.name === "Username-Password-Authentication")!.enabled_clients).not.toContain(app.client_id);
    expect(await readEnv()).toContain(`AUTH0_CLIENT_ID=${app.client_id}\n`);
  });
});
