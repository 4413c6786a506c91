import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadOrCreateTls } from "../../src/local-tenant/tls.js";
import { addRule } from "../../src/local-tenant/endpoints/rules.js";
import { cli, type CliRun } from "../support/cli.js";
import { cliArgs } from "../support/shell.js";
import { startProtectedResource, type ProtectedResourceServer } from "../support/protected-resource.js";
import { exampleArgs, freshFixture, IDENTIFIER, PROXY_APP_NAME, PROXY_CALLBACK, proxyExampleArgs, type Fixture } from "../support/tenant.js";

/*
 * Issue 2/6 (13), "Done when": every doctor check fails on a tenant misconfigured that way, prints
 * its fix as a command, and passes once that command is run exactly as printed — mcp-auth0 fixes
 * in-process through the CLI, curl fixes (what mcp-auth0 never changes itself) through sh.
 */

interface Check {
  group: string;
  title: string;
  status: "pass" | "warn" | "fail" | "note";
  detail: string;
  fix?: string;
}

const exec = promisify(execFile);
const run = (fx: Fixture, args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

function checksOf(result: CliRun): Check[] {
  return (JSON.parse(result.stdout) as { checks: Check[] }).checks;
}

async function doctor(fx: Fixture, extra: string[] = []) {
  const result = await run(fx, ["doctor", "--json", ...extra]);
  return { result, checks: checksOf(result) };
}

/** By title, or `group / title` where titles repeat (every group has its "Exists"). */
function find(checks: Check[], title: string): Check {
  const found = checks.find((c) => c.title === title || `${c.group} / ${c.title}` === title);
  expect(found, `no check "${title}" in: ${checks.map((c) => c.title).join(", ")}`).toBeDefined();
  return found!;
}

let caFile: string;

/** Runs a printed fix exactly: `npx mcp-auth0 …` through the CLI, anything else through sh with a Management API token. */
async function runFix(fx: Fixture, fix: string): Promise<void> {
  if (fix.startsWith("npx mcp-auth0 ")) {
    const fixed = await run(fx, cliArgs(fix));
    expect(fixed.code, `${fix}\n${fixed.stderr}`).toBe(0);
    return;
  }
  const token = fx.tenant.issueManagementToken(["update:rules", "delete:clients", "update:tenant_settings"]);
  await writeFile(caFile, fx.tenant.caCertPem);
  const { stdout } = await exec("sh", ["-c", fix], { env: { PATH: process.env.PATH, AUTH0_ACCESS_TOKEN: token, CURL_CA_BUNDLE: caFile } });
  expect(stdout).not.toMatch(/"statusCode":\s*4/);
}

/** Fails (or warns) as `status`, then passes once its printed fix has run. */
async function failsThenFixed(fx: Fixture, title: string, status: "fail" | "warn", detail: RegExp, extra: string[] = [], passed: Check["status"] = "pass") {
  const before = await doctor(fx, extra);
  const check = find(before.checks, title);
  expect({ title, status: check.status }).toEqual({ title, status });
  expect(check.detail).toMatch(detail);
  expect(check.fix).toMatch(/\S/);
  if (status === "fail") expect(before.result.code).toBe(6);
  await runFix(fx, check.fix!);
  const after = await doctor(fx, extra);
  expect({ title, status: find(after.checks, title).status }).toEqual({ title, status: passed });
  return { before: check, after: find(after.checks, title), afterRun: after };
}

describe("doctor: each check fails on a misconfigured tenant and passes once its printed fix is run", () => {
  let fx: Fixture | undefined;
  beforeAll(async () => {
    caFile = join(await mkdtemp(join(tmpdir(), "mcp-auth0-ca-")), "ca.pem");
  });
  afterEach(async () => {
    await fx?.tenant.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    fx = undefined;
  });

  async function provisioned(): Promise<Fixture> {
    fx = await freshFixture();
    const init = await run(fx, exampleArgs(fx.dir));
    expect(init.code).toBe(0);
    return fx;
  }
  const api = (f: Fixture) => f.tenant.store.resourceServers.find((r) => r.identifier === IDENTIFIER)!;
  const grant = (f: Fixture) => f.tenant.store.clientGrants.find((g) => g.audience === IDENTIFIER && g.default_for === "third_party_clients");

  it("offline access off: hourly re-login", async () => {
    const f = await provisioned();
    api(f).allow_offline_access = false;
    const { before } = await failsThenFixed(f, "Offline access", "warn", /log in again/);
    // The fix keeps the API's scopes as they are.
    expect(before.fix).toBe(`npx mcp-auth0 init --api-identifier ${IDENTIFIER} --scopes 'tool:whoami=Read your identity,tool:greet=Greet someone'`);
    expect(api(f).scopes!.map((s) => s.value)).toEqual(["tool:whoami", "tool:greet"]);
  });

  it("on an mcp-use project the fix keeps its preset: it writes MCP_USE_OAUTH_AUTH0_*, never the default preset's AUTH0_*", async () => {
    fx = await freshFixture();
    expect((await run(fx, [...exampleArgs(fx.dir), "--template", "mcp-use"])).code).toBe(0);
    api(fx).allow_offline_access = false;
    const { before } = await failsThenFixed(fx, "Offline access", "warn", /log in again/);
    expect(before.fix).toContain(" --template mcp-use");
    const env = await readFile(join(fx.dir, ".env"), "utf8");
    expect(env).toContain(`MCP_USE_OAUTH_AUTH0_AUDIENCE=${IDENTIFIER}\n`);
    expect(env).not.toMatch(/^AUTH0_/m);
  });

  it("RFC 9207 iss off", async () => {
    const f = await provisioned();
    f.tenant.store.settings.authorization_response_iss_parameter_supported = false;
    await failsThenFixed(f, "Issuer in authorization responses (RFC 9207)", "warn", /iss/);
  });

  it("no default grant: DCR clients are not authorized for the API", async () => {
    const f = await provisioned();
    f.tenant.store.clientGrants = f.tenant.store.clientGrants.filter((g) => g !== grant(f));
    await failsThenFixed(f, "Default grant for DCR clients / Exists", "fail", /cannot get a token/);
  });

  it("a default grant with subject_type client is flagged, and init replaces it", async () => {
    const f = await provisioned();
    const old = grant(f)!;
    old.subject_type = "client";
    // The plan shows the replacement as such, with why: subject_type cannot be PATCHed.
    f.tenant.resetCalls();
    const dry = await run(f, ["init", "--dry-run", "--json", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami,tool:greet"]);
    expect(dry.stderr).toMatch(
      new RegExp(
        `\\+ Default grant for DCR \\(third-party\\) clients: replace \\(delete \\+ create\\)\\n\\s+delete grant ${old.id}, then create it again: its subject_type is "client"[^\\n]*cannot change subject_type by PATCH\\n\\s+audience: ${IDENTIFIER}`,
      ),
    );
    expect(dry.stderr).toMatch(/⚠[^\n]*subject_type "client": DCR clients cannot get a token/);
    const grantChange = JSON.parse(dry.stdout).plan.changes.find((c: { kind: string }) => c.kind === "client-grant");
    expect(grantChange).toMatchObject({ action: "create", replaces: { id: old.id }, scopes: ["delete:client_grants", "create:client_grants"] });
    expect(f.tenant.writes()).toEqual([]);
    await failsThenFixed(f, "Subject type", "fail", /client: covers client credentials only/);
    expect(grant(f)).toMatchObject({ subject_type: "user", scope: ["tool:whoami", "tool:greet"] });
    expect(grant(f)!.id).not.toBe(old.id);
  });

  it("a default grant missing a scope", async () => {
    const f = await provisioned();
    grant(f)!.scope = ["tool:whoami"];
    await failsThenFixed(f, "Covers every scope", "warn", /missing tool:greet/);
  });

  it("no domain-level connection: the fix names one the tenant has", async () => {
    const f = await provisioned();
    for (const c of f.tenant.store.connections) c.is_domain_connection = false;
    const { before } = await failsThenFixed(f, "Domain-level connections", "fail", /no connections enabled for the client/);
    expect(before.fix).toBe("npx mcp-auth0 promote-connection Username-Password-Authentication");
  });

  it("--connections naming a connection the tenant lacks: the fix starts npx mcp-auth0 promote-connection's chooser (a bare mcp-auth0 is not on PATH)", async () => {
    const f = await provisioned();
    const { checks } = await doctor(f, ["--connections", "No-Such-Connection"]);
    expect(find(checks, "No-Such-Connection")).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/^no such connection \(Username-Password-Authentication/),
      fix: "npx mcp-auth0 promote-connection  # no names: choose from the tenant's connections",
    });
  });

  it("active Rules fail third-party logins; the curl fix turns them off", async () => {
    const f = await provisioned();
    addRule(f.tenant.store, { name: "Add country" });
    addRule(f.tenant.store, { name: "Old one", enabled: false });
    addRule(f.tenant.store, { name: "Force MFA" });
    const { before } = await failsThenFixed(f, "Active rules", "fail", /2 active \(Add country, Force MFA\)/);
    expect(before.fix).toMatch(/^curl -sS -X PATCH https:\/\/localhost:\d+\/api\/v2\/rules\/rul_\w+ -H "authorization: Bearer \$AUTH0_ACCESS_TOKEN"/);
  });

  it("without read:rules, Rules are a note, not a failure", async () => {
    const f = await provisioned();
    addRule(f.tenant.store, { name: "Add country" });
    const limited = f.tenant.createM2MApplication(["read:tenant_settings", "read:resource_servers", "read:client_grants", "read:connections", "read:roles", "read:clients"]);
    const result = await cli(["doctor", "--json"], {
      env: { ...f.env, AUTH0_CLIENT_ID: limited.clientId, AUTH0_CLIENT_SECRET: limited.clientSecret },
      ca: f.tenant.caCertPem,
      cwd: f.dir,
    });
    const rules = find(checksOf(result), "Active rules");
    expect(rules.status).toBe("note");
    expect(rules.detail).toMatch(/no read:rules scope/);
    expect(result.code).toBe(0);
  });

  it("ten applications on a free plan: the next DCR registration fails", async () => {
    const f = await provisioned();
    // The M2M application is one; nine MCP clients registered themselves, one of them on a permissive tenant's ordinary id.
    for (let i = 0; i < 8; i++) f.tenant.store.addClient({ name: `Claude ${i}`, dynamic: true, app_type: "native" });
    f.tenant.store.addClient({ name: "Cursor", client_id: "AbCdEfGhIjKlMnOpQrStUvWxYz012345", is_first_party: false, app_type: "native" });
    const { before, after } = await failsThenFixed(f, "Third-party applications", "warn", /10 applications, 9 of them third-party/, [], "note");
    expect(before.fix).toMatch(/^curl -sS -X DELETE /);
    expect(after.detail).toMatch(/^9 applications, 8 of them third-party/);
  });

  it("the .env names another domain than the issuer MCP clients see", async () => {
    const f = await provisioned();
    const path = join(f.dir, ".env");
    await writeFile(path, (await readFile(path, "utf8")).replace(/^AUTH0_DOMAIN=.*$/m, "AUTH0_DOMAIN=acme.us.auth0.com"));
    const { before } = await failsThenFixed(f, "Domain", "fail", /acme\.us\.auth0\.com, but MCP clients see the issuer/);
    expect(before.fix).toBe(`npx mcp-auth0 env --template auth0 --api-identifier ${IDENTIFIER}`);
    expect(await readFile(path, "utf8")).toContain(`AUTH0_DOMAIN=${f.tenant.domain}\n`);
  });

  // Unset proves nothing (Auth0 decides per account, strict on new ones): the third-party clients
  // already registered tell, by their third_party_security_mode and tpc_ ids.
  it.each([
    ["permissive", undefined, "note", /^permissive: DCR clients get ordinary ids \(no tpc_\)/],
    [undefined, undefined, "note", /^unset: Auth0 decides per account \(strict on accounts never eligible for permissive\), and no registered third-party client shows it yet/],
    [undefined, "strict", "pass", /^unset, but the third-party clients already registered are strict \(tpc_ ids\)/],
    [undefined, "permissive", "note", /^unset, and the third-party clients already registered are permissive \(app_[^,]+, ordinary ids \(no tpc_\)\)/],
    ["strict", undefined, "pass", /^strict: DCR clients get tpc_ ids/],
  ])("reports the DCR security mode %s (a %s third-party client registered) with what it means", async (mode, registered, status, meaning) => {
    const f = await provisioned();
    if (mode) f.tenant.store.settings.dynamic_client_registration_security_mode = mode;
    else delete f.tenant.store.settings.dynamic_client_registration_security_mode;
    if (registered)
      f.tenant.store.addClient({
        ...(registered === "strict" ? { dynamic: true } : { client_id: "app_PermissiveMcpClient" }),
        name: "An MCP client",
        app_type: "native",
        is_first_party: false,
        third_party_security_mode: registered,
        callbacks: ["http://127.0.0.1:53682/callback"],
      });
    const { checks, result } = await doctor(f);
    const check = find(checks, "DCR security mode");
    expect(check.status).toBe(status);
    expect(check.detail).toMatch(meaning);
    expect(result.code).toBe(0);
  });
});

describe("doctor: the API identifier against the MCP server's resource, exactly", () => {
  let fx: Fixture;
  let server: ProtectedResourceServer;
  let dataDir: string;

  beforeAll(async () => {
    caFile = join(await mkdtemp(join(tmpdir(), "mcp-auth0-ca-")), "ca.pem");
    dataDir = await mkdtemp(join(tmpdir(), "mcp-auth0-doctor-fixes-"));
    fx = await freshFixture({ dataDir });
    server = await startProtectedResource(await loadOrCreateTls(dataDir));
    server.behave(server.correct(server.url, `${fx.tenant.url}/`));
  });
  afterAll(async () => {
    await server?.close();
    await fx?.tenant.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ["a trailing slash", (url: string) => `${url}/`, /by a trailing slash/],
    ["the origin only", (url: string) => new URL(url).origin, /one is the origin only/],
  ])("an API that differs by %s: the fix creates the API the server names and points the .env at it", async (_what, near, detail) => {
    // The .env names the near-miss API (as a hand setup would), the server says its exact URL.
    const args = exampleArgs(fx.dir).map((arg) => (arg === IDENTIFIER ? server.url : arg));
    args[args.indexOf("--api-identifier") + 1] = near(server.url);
    expect((await run(fx, args)).code).toBe(0);
    const { before } = await failsThenFixed(fx, "resource", "fail", detail, ["--server-url", server.url]);
    expect(before.detail).toContain("Service not found");
    expect(await readFile(join(fx.dir, ".env"), "utf8")).toContain(`AUTH0_AUDIENCE=${server.url}\n`);
    expect(fx.tenant.store.resourceServers.find((r) => r.identifier === server.url)?.scopes?.map((s) => s.value)).toEqual(["tool:whoami", "tool:greet"]);
  });
});

describe("doctor in proxy mode (the .env of a proxy preset)", () => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.tenant.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    fx = undefined;
  });

  async function proxyTenant(): Promise<Fixture> {
    fx = await freshFixture();
    const init = await run(fx, proxyExampleArgs(fx.dir, { connections: "Username-Password-Authentication", roles: "roles.yaml", envPath: ".env" }));
    expect(init.code, init.stderr).toBe(0);
    return fx;
  }
  const app = (f: Fixture) => f.tenant.store.clients.find((c) => c.name === PROXY_APP_NAME)!;

  it("passes a provisioned proxy setup, checking the application instead of DCR", async () => {
    const f = await proxyTenant();
    const { result, checks } = await doctor(f);
    expect(checks.filter((c) => c.status === "fail" || c.status === "warn")).toEqual([]);
    const group = checks.filter((c) => c.group === "Proxy application Acceptance MCP (MCP proxy)").map((c) => [c.title, c.status]);
    expect(group).toEqual([
      ["Exists", "pass"],
      ["Regular Web Application", "pass"],
      ["Callbacks", "pass"],
      ["Grant types", "pass"],
      ["Connections enabled for it", "pass"],
      [".env client id", "pass"],
    ]);
    // What only DCR clients need is not judged in proxy mode.
    expect(checks.some((c) => c.title === "Dynamic Client Registration" || c.group === "Default grant for DCR clients")).toBe(false);
    expect(result.code).toBe(0);
  });

  it("no refresh_token grant", async () => {
    const f = await proxyTenant();
    app(f).grant_types = ["authorization_code"];
    const { before } = await failsThenFixed(f, "Grant types", "fail", /missing refresh_token/);
    expect(before.fix).toBe(
      `npx mcp-auth0 init --mode proxy --template mcp-use-proxy --api-identifier ${IDENTIFIER} --scopes tool:whoami,tool:greet --app-name 'Acceptance MCP (MCP proxy)' --callback-url ${PROXY_CALLBACK} --connections Username-Password-Authentication`,
    );
  });

  it("no connection enabled for the application", async () => {
    const f = await proxyTenant();
    for (const c of f.tenant.store.connections) c.enabled_clients = (c.enabled_clients ?? []).filter((id: string) => id !== app(f).client_id);
    await failsThenFixed(f, "Connections enabled for it", "fail", /none/);
  });

  it("the .env holds another client id", async () => {
    const f = await proxyTenant();
    const path = join(f.dir, ".env");
    await writeFile(path, (await readFile(path, "utf8")).replace(/^AUTH0_CLIENT_ID=.*$/m, "AUTH0_CLIENT_ID=someOtherClient"));
    const { before } = await failsThenFixed(f, ".env client id", "fail", /someOtherClient is not this application's/);
    expect(before.fix).toBe(`npx mcp-auth0 env --template mcp-use-proxy --api-identifier ${IDENTIFIER} --app-name 'Acceptance MCP (MCP proxy)'`);
  });
});
