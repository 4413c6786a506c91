import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { cli } from "../support/cli.js";
import { freshFixture, type Fixture } from "../support/tenant.js";
import { processEnv, startBin, until, type RunningProcess } from "../support/process.js";
import { jwtWith, TENANT_DOMAIN, TENANT_URL, useNock } from "../support/nock.js";
import { MANAGEMENT_SCOPES } from "../../src/local-tenant/scopes.js";

/**
 * Issue 21, item 3: `credentials create` made a second admin-scoped application (each with its own
 * Management API grant) when two runs raced, or when one `GET /clients` answer came back empty:
 * both exited 0 with different ids, and every later run then exited 2 ("which one?"). It now goes
 * through the plan's apply, where every application mcp-auth0 creates has the same protection.
 */
const credentialsOf = (stdout: string) => (JSON.parse(stdout) as { credentials: { AUTH0_CLIENT_ID: string } }).credentials.AUTH0_CLIENT_ID;

describe("two credentials create started at once (two processes, one machine)", () => {
  let fx: Fixture | undefined;
  afterEach(async () => fx?.tenant.close());

  it("make one application with one grant, and both print its id", async () => {
    fx = await freshFixture({ faults: { latencyMs: 100 } });
    const token = fx.tenant.issueManagementToken([...MANAGEMENT_SCOPES], { expiresInSeconds: 3600 });
    const env = await processEnv(fx.tenant, {});
    // Each run is held (SIGSTOP) once its read of the applications has reached the tenant, then
    // both go on together: both have read a tenant without the application, whatever the load.
    const runs: RunningProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const from = fx.tenant.calls.length;
      const run = startBin(["credentials", "create", "--token", token, "--yes", "--json"], { env, cwd: fx.dir });
      await until(() => fx!.tenant.calls.slice(from).some((c) => c.method === "GET" && c.path.startsWith("/api/v2/clients")));
      run.child.kill("SIGSTOP");
      runs.push(run);
    }
    for (const run of runs) run.child.kill("SIGCONT");
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    // Both planned a create: the runs really overlapped.
    for (const r of results) expect(r.stderr).toContain("+ Machine-to-machine application mcp-auth0");

    const apps = fx.tenant.store.clients.filter((c) => c.name === "mcp-auth0");
    expect(apps.map((a) => a.client_id)).toHaveLength(1);
    const id = apps[0]!.client_id;
    expect(fx.tenant.store.clientGrants.filter((g) => g.client_id === id)).toHaveLength(1);
    expect(results.map((r) => credentialsOf(r.stdout))).toEqual([id, id]);
    // The run that found the other's application says so.
    expect(results.filter((r) => /created by another run/.test(r.stderr))).toHaveLength(1);

    // Later runs find exactly one, and change nothing.
    fx.tenant.resetCalls();
    const again = await cli(["credentials", "create", "--token", token, "--yes", "--json"], { env: { AUTH0_DOMAIN: fx.tenant.domain }, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(credentialsOf(again.stdout)).toBe(id);
    expect(fx.tenant.writes()).toEqual([]);
  }, 60_000);
});

describe("a GET /clients answer that came back empty while planning", () => {
  useNock();

  it("does not make a second application: the list is read again before creating, and the existing one and its grant are used", async () => {
    const token = jwtWith({ aud: `${TENANT_URL}/api/v2/`, scope: "read:clients read:client_grants create:clients create:client_grants update:client_grants" });
    const audience = `${TENANT_URL}/api/v2/`;
    const existing = { client_id: "m2m_existing", name: "mcp-auth0", app_type: "non_interactive", grant_types: ["client_credentials"], created_at: "2026-12-01T10:00:00.000Z" };
    const scope = nock(TENANT_URL)
      // The planner's read: empty (a glitch, a replica behind).
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [], start: 0, limit: 100, total: 0 })
      // Read again under the lock before creating: the application is there.
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [existing], start: 0, limit: 100, total: 1 })
      // Its grant exists too: the create meets it and sets its scopes instead.
      .post("/api/v2/client-grants", (body: { client_id?: string }) => body.client_id === "m2m_existing")
      .reply(409, { statusCode: 409, error: "Conflict", message: "A client grant for this client and audience already exists", errorCode: "conflict" })
      .get("/api/v2/client-grants")
      .query((q) => q.client_id === "m2m_existing" && q.audience === audience)
      .reply(200, { client_grants: [{ id: "cgr_1", client_id: "m2m_existing", audience, scope: ["read:clients"] }] })
      .patch("/api/v2/client-grants/cgr_1")
      .reply(200, { id: "cgr_1", client_id: "m2m_existing", audience, scope: [] });
    const result = await cli(["credentials", "create", "--token", token, "--yes", "--json"], { env: { AUTH0_DOMAIN: TENANT_DOMAIN } });
    expect(result.code, result.stderr).toBe(0);
    scope.done();
    expect(credentialsOf(result.stdout)).toBe("m2m_existing");
    expect(result.stderr).toMatch(/created by another run meanwhile \(m2m_existing\)/);
  });
});
