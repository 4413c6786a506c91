import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateTls } from "../../src/local-tenant/tls.js";
import { cli, type CliRun } from "../support/cli.js";
import { startProtectedResource, type ProtectedResourceBehaviour, type ProtectedResourceServer } from "../support/protected-resource.js";
import { exampleArgs, freshFixture, IDENTIFIER, managementCalls, type Fixture } from "../support/tenant.js";

/*
 * Issue 4/8, "Done when": doctor passes on a freshly provisioned tenant, names every problem of a
 * fresh one with its fix, tells correct and wrong protected-resource metadata apart (a trailing
 * slash included), writes nothing, and prints exactly one JSON document with --json.
 */

interface Check {
  group: string;
  title: string;
  status: "pass" | "warn" | "fail" | "note";
  detail: string;
  fix?: string;
}

interface DoctorDoc {
  ok: boolean;
  identifier: string;
  checks: Check[];
  writes: number;
}

const run = (fx: Fixture, args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

/** `--json` puts exactly one document on stdout: JSON.parse fails on anything more (or less). */
function documentOf(result: CliRun): DoctorDoc {
  expect(result.stdout.trim().startsWith("{")).toBe(true);
  return JSON.parse(result.stdout) as DoctorDoc;
}

/** The check `group` / `title`; a missing check fails the test with the titles that exist. */
function check(doc: DoctorDoc, group: string, title: string): Check {
  const found = doc.checks.find((c) => c.group === group && c.title === title);
  expect(found, `no check "${group} / ${title}" in: ${doc.checks.map((c) => `${c.group} / ${c.title}`).join("; ")}`).toBeDefined();
  return found!;
}

const API = `API ${IDENTIFIER}`;
const GRANT = "Default grant for DCR clients";
const METADATA = "OAuth metadata (what MCP clients discover)";

/** What issue 4/8 lists, as doctor names it: none may go missing from a provisioned tenant's report. */
const EVERY_CHECK: Array<[string, string]> = [
  ["Tenant", "Dynamic Client Registration"],
  ["Tenant", "Resource parameter compatibility profile"],
  ["Tenant", "Issuer in authorization responses (RFC 9207)"],
  ["Tenant", "Scope descriptions on the consent screen"],
  ["Tenant", "Default audience"],
  ["Tenant", "DCR security mode"],
  ["Tenant", "Client ID Metadata Documents"],
  [API, "Exists"],
  [API, "Token dialect"],
  [API, "RBAC"],
  [API, "Offline access"],
  [API, "Signing algorithm"],
  [API, "Scopes"],
  [GRANT, "Exists"],
  [GRANT, "Subject type"],
  [GRANT, "Covers every scope"],
  ["Roles", "Roles granting this API's permissions"],
  ["Connections", "Domain-level connections"],
  [METADATA, "Issuer"],
  [METADATA, "Registration endpoint"],
  [METADATA, "PKCE S256"],
  [METADATA, "JWKS"],
  [METADATA, "/.well-known/oauth-authorization-server"],
];

describe("doctor against the local tenant", () => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.tenant.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    fx = undefined;
  });

  it("passes every check on a freshly provisioned tenant, in reads only", async () => {
    fx = await freshFixture();
    const init = await run(fx, exampleArgs(fx.dir));
    expect(init.code).toBe(0);
    fx.tenant.resetCalls();

    const result = await run(fx, ["doctor", "--api-identifier", IDENTIFIER, "--connections", "Username-Password-Authentication,google-oauth2", "--json"]);
    const doc = documentOf(result);
    expect(doc.checks.map((c) => [c.group, c.title])).toEqual(expect.arrayContaining(EVERY_CHECK));
    const problems = doc.checks.filter((c) => c.status === "fail" || c.status === "warn");
    expect(problems).toEqual([]);
    // The notes are facts, not problems: an option init turns on only when asked (--cimd), what
    // users without a role get, the application count against a free plan's limit, and the scopes the local
    // tenant's all-scopes application holds beyond what any command needs.
    expect(doc.checks.filter((c) => c.status === "note").map((c) => c.title)).toEqual([
      "Client ID Metadata Documents",
      "Users without a role",
      "Third-party applications",
      "Scopes beyond what any command needs",
    ]);
    expect(doc.ok).toBe(true);
    expect(result.code).toBe(0);

    // What the checklist says is what init did, not just "pass".
    expect(check(doc, "Connections", "Domain-level connections").detail).toBe("Username-Password-Authentication, google-oauth2");
    expect(check(doc, "Roles", "Roles granting this API's permissions").detail).toBe("Tool Administrator (tool:whoami, tool:greet); Tool User (tool:whoami)");
    expect(check(doc, METADATA, "Registration endpoint").detail).toBe(`${fx.tenant.url}/oidc/register`);
    expect(check(doc, METADATA, "JWKS").detail).toMatch(/\(\d+ keys?\)$/);
    expect(result.stderr).toMatch(/Ready for MCP clients\.\n?$/);
    expect(result.stderr).not.toMatch(/[✖⚠]/);

    // Read-only: the tenant saw reads (so the count means something) and not one write.
    expect(managementCalls(fx.tenant).filter((c) => c.path.startsWith("/api/v2/")).length).toBeGreaterThan(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(doc.writes).toBe(0);
  });

  it("on a fresh tenant, fails or warns on each missing piece with its fix, and exits 6", async () => {
    fx = await freshFixture();
    fx.tenant.resetCalls();
    const result = await run(fx, ["doctor", "--api-identifier", IDENTIFIER, "--connections", "Username-Password-Authentication,google-oauth2", "--json"]);
    expect(result.code).toBe(6);
    const doc = documentOf(result);
    expect(doc.ok).toBe(false);

    const expected: Array<[string, string, "fail" | "warn", RegExp, RegExp]> = [
      ["Tenant", "Dynamic Client Registration", "fail", /off: MCP clients cannot register/, /^npx mcp-auth0 init/],
      ["Tenant", "Resource parameter compatibility profile", "fail", /opaque tokens/, /^npx mcp-auth0 init/],
      ["Tenant", "Issuer in authorization responses (RFC 9207)", "warn", /off/, /^npx mcp-auth0 init/],
      ["Tenant", "Scope descriptions on the consent screen", "warn", /raw scope values/, /^npx mcp-auth0 init/],
      [API, "Exists", "fail", /no API with this identifier/, /^npx mcp-auth0 init/],
      [GRANT, "Exists", "fail", /cannot get a token for this API/, /^npx mcp-auth0 init/],
      ["Roles", "Roles granting this API's permissions", "warn", /none/, /^npx mcp-auth0 roles sync/],
      ["Connections", "Domain-level connections", "fail", /no connections enabled for the client/, /^npx mcp-auth0 promote-connection/],
      ["Connections", "Username-Password-Authentication", "warn", /not domain level/, /^npx mcp-auth0 promote-connection Username-Password-Authentication$/],
      ["Connections", "google-oauth2", "warn", /not domain level/, /^npx mcp-auth0 promote-connection google-oauth2$/],
      [METADATA, "Registration endpoint", "warn", /Dynamic Client Registration is off/, /^npx mcp-auth0 init/],
    ];
    for (const [group, title, status, detail, fix] of expected) {
      const c = check(doc, group, title);
      expect({ title, status: c.status }).toEqual({ title, status });
      expect(c.detail).toMatch(detail);
      expect(c.fix ?? "").toMatch(fix);
    }
    // Every failure and warning, including any not listed above, says how to fix it.
    for (const c of doc.checks.filter((x) => x.status === "fail" || x.status === "warn")) {
      expect(c.fix, `${c.group} / ${c.title} has no fix`).toMatch(/\S/);
    }
    // What is right on a fresh tenant is not reported as a problem.
    expect(check(doc, "Tenant", "Default audience").status).toBe("pass");
    expect(check(doc, "Tenant", "DCR security mode").status).toBe("pass");
    expect(check(doc, METADATA, "PKCE S256").status).toBe("pass");

    // The human checklist shows the same: each problem with a fix line under it, and the verdict.
    expect(result.stderr).toMatch(/✖ Dynamic Client Registration: off[^\n]*\n\s+fix: npx mcp-auth0 init/);
    expect(result.stderr).toMatch(/✖ Exists: no API[^\n]*\n\s+fix: npx mcp-auth0 init/);
    expect(result.stderr).toMatch(/✖ Domain-level connections: [^\n]*\n\s+fix: npx mcp-auth0 promote-connection/);
    expect(result.stderr).toMatch(/Not ready for MCP clients: 5 failed, \d+ warnings?\./);

    expect(fx.tenant.writes()).toEqual([]);
    expect(doc.writes).toBe(0);
  });
});

describe("doctor --server-url against an MCP-like HTTPS server", () => {
  let fx: Fixture;
  let server: ProtectedResourceServer;
  let issuer: string;
  let dataDir: string;

  beforeAll(async () => {
    // A data directory, so the server can serve the tenant's own localhost certificate (its CA is
    // what doctor trusts for the tenant): real HTTPS, as MCP servers are reached in production.
    dataDir = await mkdtemp(join(tmpdir(), "mcp-auth0-doctor-tenant-"));
    fx = await freshFixture({ dataDir });
    server = await startProtectedResource(await loadOrCreateTls(dataDir));
    issuer = `${fx.tenant.url}/`;
    // The API identifier is the server's URL, as it is for a real MCP server.
    const init = await run(
      fx,
      exampleArgs(fx.dir).map((arg) => (arg === IDENTIFIER ? server.url : arg)),
    );
    expect(init.code).toBe(0);
  });

  afterAll(async () => {
    await server?.close();
    await fx?.tenant.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function doctor(behaviour: ProtectedResourceBehaviour) {
    server.behave(behaviour);
    server.requests.length = 0;
    fx.tenant.resetCalls();
    const result = await run(fx, ["doctor", "--api-identifier", server.url, "--server-url", server.url, "--json"]);
    expect(fx.tenant.writes()).toEqual([]);
    const doc = documentOf(result);
    const serverChecks = doc.checks.filter((c) => c.group === `MCP server ${server.url}`);
    // Only the server's checks vary here: the tenant itself is provisioned and stays right.
    expect(doc.checks.filter((c) => c.group !== `MCP server ${server.url}` && (c.status === "fail" || c.status === "warn"))).toEqual([]);
    const byTitle = (title: string) => {
      const found = serverChecks.find((c) => c.title === title);
      expect(found, `no server check "${title}" in: ${serverChecks.map((c) => c.title).join(", ")}`).toBeDefined();
      return found!;
    };
    return { result, doc, serverChecks, byTitle };
  }

  it("passes a server that answers 401 pointing at metadata naming this API and the tenant", async () => {
    const { result, serverChecks, byTitle } = await doctor(server.correct(server.url, issuer));
    expect(serverChecks.map((c) => [c.title, c.status])).toEqual([
      ["Asks for a token", "pass"],
      ["resource", "pass"],
      ["authorization_servers", "pass"],
      // A 401 and the right metadata do not prove the server accepts the tenant's tokens (issue 20): doctor says so, and what does.
      ["Accepts the tenant's tokens", "note"],
    ]);
    expect(byTitle("Accepts the tenant's tokens").detail).toMatch(
      /^not checked: doctor logs no one in\. This does what an MCP client does, up to a tool call: npx mcp-auth0 try --server-url \S+/,
    );
    expect(byTitle("Asks for a token").detail).toContain(server.metadataUrl);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Ready for MCP clients");
    // doctor followed the challenge to the metadata, as an MCP client does.
    expect(server.requests).toEqual(["POST /mcp", "GET /.well-known/oauth-protected-resource/mcp"]);
  });

  it("fails metadata that names another resource", async () => {
    const correct = server.correct(server.url, issuer);
    const { result, byTitle } = await doctor({ ...correct, metadata: { ...correct.metadata, resource: "https://other.example.com/mcp" } });
    const resource = byTitle("resource");
    expect(resource.status).toBe("fail");
    expect(resource.detail).toBe(`https://other.example.com/mcp is not the API identifier ${server.url}: Auth0 answers "Service not found"`);
    expect(resource.detail).not.toContain("trailing slash");
    expect(resource.fix).toMatch(/\S/);
    expect(byTitle("authorization_servers").status).toBe("pass");
    expect(result.code).toBe(6);
  });

  it("fails a resource that differs only by a trailing slash, and says so", async () => {
    const correct = server.correct(server.url, issuer);
    const { result, byTitle } = await doctor({ ...correct, metadata: { ...correct.metadata, resource: `${server.url}/` } });
    const resource = byTitle("resource");
    expect(resource.status).toBe("fail");
    expect(resource.detail).toContain("trailing slash");
    expect(resource.detail).toContain(`${server.url}/`);
    expect(resource.fix).toMatch(/\S/);
    expect(byTitle("authorization_servers").status).toBe("pass");
    expect(result.stderr).toMatch(/✖ resource: [^\n]*trailing slash/);
    expect(result.code).toBe(6);
  });

  it("fails authorization_servers that do not name the tenant", async () => {
    const correct = server.correct(server.url, issuer);
    const { result, byTitle } = await doctor({ ...correct, metadata: { ...correct.metadata, authorization_servers: ["https://other-tenant.us.auth0.com/"] } });
    const servers = byTitle("authorization_servers");
    expect(servers.status).toBe("fail");
    expect(servers.detail).toBe(`https://other-tenant.us.auth0.com/ does not name the tenant ${issuer}`);
    expect(servers.fix).toMatch(/AUTH0_DOMAIN/);
    expect(byTitle("resource").status).toBe("pass");
    expect(result.code).toBe(6);
  });

  it("fails a server that lets an unauthenticated request through (no 401)", async () => {
    const correct = server.correct(server.url, issuer);
    const { result, byTitle } = await doctor({ status: 200, metadata: correct.metadata });
    const asks = byTitle("Asks for a token");
    expect(asks.status).toBe("fail");
    expect(asks.detail).toContain("HTTP 200, not 401");
    expect(asks.fix).toMatch(/\S/);
    // The metadata itself is fine and is still found at its well-known URL.
    expect(byTitle("resource").status).toBe("pass");
    expect(result.code).toBe(6);
  });

  it("warns on a 401 whose WWW-Authenticate names no resource_metadata, and finds the metadata at the well-known URL", async () => {
    const correct = server.correct(server.url, issuer);
    const { result, byTitle } = await doctor({ status: 401, challenge: 'Bearer scope="tool:whoami"', metadata: correct.metadata });
    const asks = byTitle("Asks for a token");
    // MCP 2025-11-25 lets a server rely on the well-known URL alone, and clients must try it: a
    // warning, not a failure, as long as the metadata is there.
    expect(asks.status).toBe("warn");
    expect(asks.detail).toContain("no resource_metadata");
    expect(asks.fix).toContain("resource_metadata");
    expect(byTitle("resource").status).toBe("pass");
    expect(byTitle("authorization_servers").status).toBe("pass");
    expect(server.requests).toContain("GET /.well-known/oauth-protected-resource/mcp");
    expect(result.code).toBe(0);
  });

  it("fails when there is neither a pointer nor metadata", async () => {
    const { result, byTitle } = await doctor({ status: 401 });
    expect(byTitle("Asks for a token").status).toBe("warn");
    const metadata = byTitle("Protected-resource metadata");
    expect(metadata.status).toBe("fail");
    expect(metadata.detail).toBe(`${server.metadataUrl}: HTTP 404`);
    expect(metadata.fix).toMatch(/oauth-protected-resource/);
    expect(result.code).toBe(6);
  });
});
