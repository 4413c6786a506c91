import nock from "nock";
import { describe, expect, it } from "vitest";
import { applyPlan, PartialApplyError } from "../../src/plan/apply.js";
import { makePlan, type Change } from "../../src/plan/plan.js";
import { planDefaultGrant, readDefaultGrant } from "../../src/resources/client-grant.js";
import { planConnection, readConnections } from "../../src/resources/connections.js";
import { API_SETTINGS, planResourceServer, readResourceServer } from "../../src/resources/resource-server.js";
import { createUserLookup, planRole, readRoles, readRoleState } from "../../src/resources/roles.js";
import { planDefaultAudience, planTenantSettings, type TenantSettings } from "../../src/resources/tenant-settings.js";
import { readThirdPartyUse, thirdPartyReason } from "../../src/resources/third-party-use.js";
import { connectTenant, type Tenant } from "../../src/tenant/connect.js";
import { jwtWith, TENANT_URL, testTenant, useNock } from "../support/nock.js";

useNock();

const API = "https://mcp.example.com/mcp";
const ENCODED_API = encodeURIComponent(API);

/** Records each request's method, path and raw JSON body, for exact assertions on what was sent. */
function recorder() {
  const sent: Array<{ method: string; path: string; body: unknown }> = [];
  const reply = (status: number, answer: unknown = {}) =>
    function (this: { req: { method: string } }, uri: string, body: unknown) {
      sent.push({ method: this.req.method, path: uri, body });
      return [status, answer] as [number, unknown];
    };
  return { sent, reply };
}

const hooks = (steps: string[] = []) => ({
  steps,
  step: <T>(label: string, work: () => Promise<T>) => {
    steps.push(label);
    return work();
  },
});

/** Applies a plan of this one change; what its writes returned (the created id). */
async function applyOne(tenant: Tenant, change: Change) {
  const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [change], warnings: [] }), hooks());
  return report.applied[0]!.written;
}

describe("applyRole", () => {
  it("adds only the missing permissions, in one POST, and never deletes to re-add", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL).post("/api/v2/roles/rol_1/permissions").reply(reply(201, ""));
    const change = planRole(
      { id: "rol_1", name: "Admin", permissions: ["tool:whoami"], userIds: new Set() },
      { name: "Admin", permissions: ["tool:whoami", "tool:greet", "tool:weather"], users: [] },
      API,
      new Map(),
      false,
    );
    await applyOne(tenant, change);
    scope.done();
    expect(sent).toEqual([
      {
        method: "POST",
        path: "/api/v2/roles/rol_1/permissions",
        body: {
          permissions: [
            { resource_server_identifier: API, permission_name: "tool:greet" },
            { resource_server_identifier: API, permission_name: "tool:weather" },
          ],
        },
      },
    ]);
    expect(tenant.http.writes()).toBe(1);
  });

  it("with --prune, deletes only the permissions the file does not list", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL).delete("/api/v2/roles/rol_1/permissions").reply(reply(204, ""));
    const change = planRole(
      { id: "rol_1", name: "User", permissions: ["tool:whoami", "tool:legacy"], userIds: new Set() },
      { name: "User", permissions: ["tool:whoami"], users: [] },
      API,
      new Map(),
      true,
    );
    await applyOne(tenant, change);
    scope.done();
    expect(sent).toEqual([
      { method: "DELETE", path: "/api/v2/roles/rol_1/permissions", body: { permissions: [{ resource_server_identifier: API, permission_name: "tool:legacy" }] } },
    ]);
  });

  it("creates a missing role, then adds its permissions and assigns its users to the new id", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .post("/api/v2/roles")
      .reply(reply(200, { id: "rol_new", name: "Admin", description: "Everything" }))
      .post("/api/v2/roles/rol_new/permissions")
      .reply(reply(201, ""))
      .post("/api/v2/roles/rol_new/users")
      .reply(reply(200, ""));
    const change = planRole(
      undefined,
      { name: "Admin", description: "Everything", permissions: ["tool:whoami"], users: ["a@example.com", "b@example.com"] },
      API,
      new Map([
        ["a@example.com", ["auth0|a"]],
        ["b@example.com", []],
      ]),
      false,
    );
    const written = await applyOne(tenant, change);
    scope.done();
    expect(written.id).toBe("rol_new");
    expect(sent).toEqual([
      { method: "POST", path: "/api/v2/roles", body: { name: "Admin", description: "Everything" } },
      { method: "POST", path: "/api/v2/roles/rol_new/permissions", body: { permissions: [{ resource_server_identifier: API, permission_name: "tool:whoami" }] } },
      { method: "POST", path: "/api/v2/roles/rol_new/users", body: { users: ["auth0|a"] } },
    ]);
  });

  it("changes a description with a PATCH of the description alone", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .patch("/api/v2/roles/rol_1")
      .reply(reply(200, { id: "rol_1", name: "User", description: "New" }));
    const change = planRole(
      { id: "rol_1", name: "User", description: "Old", permissions: ["tool:whoami"], userIds: new Set() },
      { name: "User", description: "New", permissions: ["tool:whoami"], users: [] },
      API,
      new Map(),
      false,
    );
    await applyOne(tenant, change);
    scope.done();
    expect(sent).toEqual([{ method: "PATCH", path: "/api/v2/roles/rol_1", body: { description: "New" } }]);
  });
});

describe("applyConnection", () => {
  it('sends exactly {"is_domain_connection":true}, never `options` (which would replace the whole object)', async () => {
    const tenant = await testTenant();
    let raw: string | undefined;
    const scope = nock(TENANT_URL)
      .patch("/api/v2/connections/con_1", (body) => {
        raw = JSON.stringify(body);
        return true;
      })
      .reply(200, { id: "con_1", name: "db", strategy: "auth0", is_domain_connection: true, options: { mfa: { active: true } } });
    await applyOne(tenant, planConnection({ id: "con_1", name: "db", strategy: "auth0", is_domain_connection: false }));
    scope.done();
    expect(raw).toBe('{"is_domain_connection":true}');
  });
});

describe("tenant settings", () => {
  it("PATCHes exactly the planned body, including the consent flag the SDK's types lack", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL).patch("/api/v2/tenants/settings").reply(reply(200, {}));
    await applyOne(tenant, planTenantSettings({ flags: { enable_dynamic_client_registration: true } } as TenantSettings, { cimd: false }));
    scope.done();
    expect(sent).toEqual([
      {
        method: "PATCH",
        path: "/api/v2/tenants/settings",
        body: { resource_parameter_profile: "compatibility", authorization_response_iss_parameter_supported: true, flags: { use_scope_descriptions_for_consent: true } },
      },
    ]);
  });

  it("sets the default audience with a body of that field alone", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    // Read again right before it is claimed (issue 21): still none, so it is set.
    const scope = nock(TENANT_URL).get("/api/v2/tenants/settings").reply(200, {}).patch("/api/v2/tenants/settings").reply(reply(200, {}));
    await applyOne(tenant, planDefaultAudience({} as TenantSettings, API, "auto").change!);
    scope.done();
    expect(sent[0]!.body).toStrictEqual({ default_audience: API });
  });

  it("leaves a default audience that another run set since the plan read it, and says so: no write", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL).get("/api/v2/tenants/settings").reply(200, { default_audience: "https://other.example.com/api" });
    const steps: string[] = [];
    const report = await applyPlan(
      tenant,
      makePlan({ domain: "tenant.test", changes: [planDefaultAudience({} as TenantSettings, API, "auto").change!], warnings: [] }),
      hooks(steps),
    );
    scope.done();
    expect(tenant.http.writes()).toBe(0);
    const { written } = report.applied[0]!;
    expect(written.notApplied).toMatch(/^The tenant's default audience became https:\/\/other\.example\.com\/api while this run was applying/);
    // The closing verdict reads the tenant again rather than trusting the plan's view.
    expect(written.readBack).toBe(true);
  });

  it("teardown's clearing, when another run replaced the audience meanwhile: left as it is, and no advice of a flag teardown lacks", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL).get("/api/v2/tenants/settings").reply(200, { default_audience: "https://other.example.com/api" });
    const clear = planDefaultAudience({ default_audience: API } as TenantSettings, "", "replace").change!;
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [clear], warnings: [] }), hooks([]));
    scope.done();
    expect(tenant.http.writes()).toBe(0);
    const { notApplied } = report.applied[0]!.written;
    expect(notApplied).toBe(
      `The tenant's default audience became https://other.example.com/api while this run was applying (another run changed it): it was left as it is. It no longer names ${API}, so it needs no clearing.`,
    );
  });
});

describe("resource server", () => {
  it("reads the API by its URL-encoded identifier, and a 404 means it does not exist", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get(`/api/v2/resource-servers/${ENCODED_API}`)
      .reply(404, { statusCode: 404, error: "Not Found", message: "The resource server does not exist", errorCode: "inexistent_resource_server" })
      .get(`/api/v2/resource-servers/${ENCODED_API}`)
      .reply(200, { id: "rs_1", identifier: API, scopes: [] });
    expect(await readResourceServer(tenant, API)).toBeUndefined();
    expect(await readResourceServer(tenant, API)).toMatchObject({ id: "rs_1" });
    scope.done();
  });

  it("a read failure other than 404 is not mistaken for a missing API", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get(`/api/v2/resource-servers/${ENCODED_API}`)
      .reply(403, { statusCode: 403, message: "Insufficient scope, expected any of: read:resource_servers", errorCode: "insufficient_scope" });
    await expect(readResourceServer(tenant, API)).rejects.toMatchObject({ statusCode: 403 });
    scope.done();
  });

  it("creates the API with the planned body and remembers its id", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .post("/api/v2/resource-servers")
      .reply(reply(201, { id: "rs_new", identifier: API }));
    const { change } = planResourceServer(undefined, { identifier: API, scopes: [{ value: "tool:whoami" }] });
    const written = await applyOne(tenant, change);
    scope.done();
    expect(written.id).toBe("rs_new");
    expect(sent[0]!.body).toStrictEqual({ identifier: API, name: "MCP Server", ...API_SETTINGS, scopes: [{ value: "tool:whoami", description: "tool:whoami" }] });
  });

  it("updates the API by id with only the differing fields, never the identifier", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .patch("/api/v2/resource-servers/rs_1")
      .reply(reply(200, { id: "rs_1", identifier: API }));
    const { change } = planResourceServer(
      { id: "rs_1", identifier: API, name: "MCP Server", ...API_SETTINGS, enforce_policies: false, scopes: [{ value: "a", description: "a" }] },
      { identifier: API, scopes: [{ value: "a" }] },
    );
    await applyOne(tenant, change);
    scope.done();
    expect(sent[0]!.body).toStrictEqual({ enforce_policies: true });
  });
});

describe("default grant", () => {
  it("finds the third-party default grant of this API among the grants Auth0 returns", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get("/api/v2/client-grants")
      .query((q) => q.audience === API && q.default_for === "third_party_clients")
      .reply(200, {
        client_grants: [
          { id: "cgr_m2m", client_id: "abc", audience: API, scope: [] },
          { id: "cgr_default", audience: API, default_for: "third_party_clients", subject_type: "user", scope: ["a"] },
        ],
      });
    expect(await readDefaultGrant(tenant, API)).toMatchObject({ id: "cgr_default" });
    scope.done();
  });

  it("creates the grant, then updates only its scope", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .post("/api/v2/client-grants")
      .reply(reply(201, { id: "cgr_new" }))
      .patch("/api/v2/client-grants/cgr_1")
      .reply(reply(200, { id: "cgr_1", audience: API, scope: ["a", "b"] }));
    const create = planDefaultGrant(undefined, API, ["a"]).change;
    const created = await applyOne(tenant, create);
    await applyOne(tenant, planDefaultGrant({ id: "cgr_1", audience: API, subject_type: "user", scope: ["a"] }, API, ["a", "b"]).change);
    scope.done();
    expect(created.id).toBe("cgr_new");
    expect(sent).toEqual([
      { method: "POST", path: "/api/v2/client-grants", body: { audience: API, default_for: "third_party_clients", subject_type: "user", scope: ["a"] } },
      { method: "PATCH", path: "/api/v2/client-grants/cgr_1", body: { scope: ["a", "b"] } },
    ]);
  });
});

describe("default grant with subject_type client", () => {
  it("is planned as delete + create (PATCH cannot change subject_type), with a warning, and applied in that order", async () => {
    const planned = planDefaultGrant({ id: "cgr_old", audience: API, subject_type: "client", scope: ["a"] }, API, ["a", "b"]);
    expect(planned.change).toMatchObject({
      action: "create",
      replaces: { id: "cgr_old" },
      body: { audience: API, default_for: "third_party_clients", subject_type: "user", scope: ["a", "b"] },
    });
    expect(planned.warning).toMatch(/cgr_old[^]*subject_type "client"[^]*deleted, then created/);
    // A grant without subject_type is what Auth0 stores as "client": replaced too.
    expect(planDefaultGrant({ id: "cgr_x", audience: API, scope: ["a"] }, API, ["a"]).change.replaces?.id).toBe("cgr_x");

    const tenant = await testTenant();
    const { sent, reply } = recorder();
    // The delete's answer was lost once (404 on the retry): the create still follows.
    const scope = nock(TENANT_URL)
      .delete("/api/v2/client-grants/cgr_old")
      .reply(reply(404, { statusCode: 404, error: "Not Found", message: "The grant does not exist", errorCode: "inexistent_client_grant" }))
      .post("/api/v2/client-grants")
      .reply(reply(201, { id: "cgr_new" }));
    const written = await applyOne(tenant, planned.change);
    scope.done();
    expect(sent.map((c) => `${c.method} ${c.path}`)).toEqual(["DELETE /api/v2/client-grants/cgr_old", "POST /api/v2/client-grants"]);
    expect(written.id).toBe("cgr_new");
  });
});

describe("reads", () => {
  it("reads every connection across checkpoint pages", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get("/api/v2/connections")
      .query((q) => q.take === "100" && q.from === undefined)
      .reply(200, { connections: [{ id: "con_1", name: "db", strategy: "auth0", is_domain_connection: false }], next: "cursor1" })
      .get("/api/v2/connections")
      .query((q) => q.from === "cursor1")
      .reply(200, { connections: [{ id: "con_2", name: "google-oauth2", strategy: "google-oauth2", is_domain_connection: true }] });
    expect(await readConnections(tenant)).toEqual([
      { id: "con_1", name: "db", strategy: "auth0", is_domain_connection: false },
      { id: "con_2", name: "google-oauth2", strategy: "google-oauth2", is_domain_connection: true },
    ]);
    scope.done();
  });

  it("reads every role across pages", async () => {
    const tenant = await testTenant();
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `rol_${from + i}`, name: `Role ${from + i}` }));
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles")
      .query((q) => q.page === "0")
      .reply(200, { roles: page(0, 100), start: 0, limit: 100, total: 101 })
      .get("/api/v2/roles")
      .query((q) => q.page === "1")
      .reply(200, { roles: page(100, 1), start: 100, limit: 100, total: 101 });
    const roles = await readRoles(tenant);
    scope.done();
    expect(roles).toHaveLength(101);
    expect(roles[100]).toMatchObject({ name: "Role 100" });
  });

  it("reads a role's permissions of this API only, and its users only when the file lists some", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles/rol_1/permissions")
      .query(true)
      .times(2)
      .reply(200, {
        permissions: [
          { resource_server_identifier: API, permission_name: "tool:whoami" },
          { resource_server_identifier: "https://other.example.com/", permission_name: "read:orders" },
        ],
        start: 0,
        limit: 100,
        total: 2,
      })
      .get("/api/v2/roles/rol_1/users")
      .query(true)
      .reply(200, { users: [{ user_id: "auth0|1", email: "a@example.com" }] });
    const role = { id: "rol_1", name: "Admin", description: "All" };
    const withoutUsers = await readRoleState(tenant, role, { name: "Admin", permissions: [], users: [] }, API);
    expect(withoutUsers).toEqual({ id: "rol_1", name: "Admin", description: "All", permissions: ["tool:whoami"], userIds: new Set(), memberEmails: new Set() });
    const withUsers = await readRoleState(tenant, role, { name: "Admin", permissions: [], users: ["a@example.com"] }, API);
    expect(withUsers.userIds).toEqual(new Set(["auth0|1"]));
    // The members' emails come with them: a listed email among them needs no lookup.
    expect(withUsers.memberEmails).toEqual(new Set(["a@example.com"]));
    scope.done();
  });

  it("looks up each distinct email once, lower-cased first (Auth0 stores database emails so), as written only when that finds nobody", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get("/api/v2/users-by-email")
      .query((q) => q.email === "admin@example.com")
      .reply(200, [{ user_id: "auth0|1", email: "admin@example.com" }])
      .get("/api/v2/users-by-email")
      .query((q) => q.email === "new@example.com")
      .reply(200, [])
      .get("/api/v2/users-by-email")
      .query((q) => q.email === "sso@corp.example")
      .reply(200, [])
      .get("/api/v2/users-by-email")
      .query((q) => q.email === "SSO@Corp.example")
      .reply(200, [{ user_id: "samlp|9", email: "SSO@Corp.example" }]);
    const lookup = createUserLookup(tenant);
    const found = await Promise.all(["Admin@Example.com", "new@example.com", "Admin@Example.com", "SSO@Corp.example"].map(lookup));
    scope.done();
    expect(found).toEqual([["auth0|1"], [], ["auth0|1"], ["samlp|9"]]);
  });
});

describe("applyPlan", () => {
  const connectionChange = () => planConnection({ id: "con_1", name: "db", strategy: "auth0", is_domain_connection: false });
  /** Auth0's answer to the PATCH that makes it domain-level. */
  const DB_CONNECTION = { id: "con_1", name: "db", strategy: "auth0", is_domain_connection: true };

  it("on a 409 for a create (an earlier attempt created the API), reads it back and applies only what is missing", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .post("/api/v2/resource-servers")
      .reply(reply(409, { statusCode: 409, error: "Conflict", message: "A resource server with the same identifier already exists", errorCode: "conflict" }))
      .get(`/api/v2/resource-servers/${ENCODED_API}`)
      .reply(200, { id: "rs_1", identifier: API, name: "MCP Server", ...API_SETTINGS, scopes: [{ value: "a", description: "a" }] })
      .patch("/api/v2/resource-servers/rs_1")
      .reply(reply(200, { id: "rs_1", identifier: API }));
    const change = planResourceServer(undefined, { identifier: API, scopes: [{ value: "a" }, { value: "b" }] }).change;
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [change], warnings: [] }), hooks());
    scope.done();
    expect(report.applied).toHaveLength(1);
    expect(sent.map((s) => s.method)).toEqual(["POST", "PATCH"]);
    expect(sent[1]!.body).toStrictEqual({
      scopes: [
        { value: "a", description: "a" },
        { value: "b", description: "b" },
      ],
    });
    expect(report.applied[0]!.written.id).toBe("rs_1");
    // The plan is a value: apply reports the id and leaves the change as planned.
    expect(change.id).toBeUndefined();
  });

  it("skips unchanged resources and applies in order, one step each", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .patch("/api/v2/connections/con_1")
      .reply(200, DB_CONNECTION)
      .get("/api/v2/tenants/settings")
      .reply(200, {})
      .patch("/api/v2/tenants/settings")
      .reply(200, {});
    const steps: string[] = [];
    const unchanged = planConnection({ id: "con_2", name: "google", strategy: "google-oauth2", is_domain_connection: true });
    const changes: Change[] = [planDefaultAudience({} as TenantSettings, API, "auto").change!, unchanged, connectionChange()];
    await applyPlan(tenant, makePlan({ domain: "tenant.test", changes, warnings: [] }), hooks(steps));
    scope.done();
    expect(steps).toEqual(["Promote connection db to domain level", `Set the tenant's default audience to ${API}`]);
    expect(tenant.http.writes()).toBe(2);
  });

  it("sends the tenant settings and the default audience as one PATCH, after the API it names exists", async () => {
    const tenant = await testTenant();
    const { sent, reply } = recorder();
    const scope = nock(TENANT_URL)
      .post("/api/v2/resource-servers")
      .reply(reply(201, { id: "rs_new", identifier: API }))
      // The default audience's re-read, alongside the API's creation (issue 21).
      .get("/api/v2/tenants/settings")
      .reply(reply(200, {}))
      .patch("/api/v2/tenants/settings")
      .reply(reply(200, { default_audience: API }));
    const changes: Change[] = [
      planDefaultAudience({} as TenantSettings, API, "auto").change!,
      planTenantSettings({ flags: { enable_dynamic_client_registration: true } } as TenantSettings, { cimd: false }),
      planResourceServer(undefined, { identifier: API, scopes: [{ value: "a" }] }).change,
    ];
    const plan = makePlan({ domain: "tenant.test", changes, warnings: [] });
    // A plain value: JSON carries all of it, and applying it changes none of it.
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
    const before = structuredClone(plan);
    const report = await applyPlan(tenant, plan, hooks());
    scope.done();
    expect(plan).toStrictEqual(before);
    expect(sent.map((s) => `${s.method} ${s.path}`).sort()).toEqual(["GET /api/v2/tenants/settings", "PATCH /api/v2/tenants/settings", "POST /api/v2/resource-servers"]);
    expect(sent.at(-1)!.body).toStrictEqual({
      resource_parameter_profile: "compatibility",
      authorization_response_iss_parameter_supported: true,
      flags: { use_scope_descriptions_for_consent: true },
      default_audience: API,
    });
    expect(report.applied.map((a) => a.change.label)).toEqual(["Tenant settings", `API ${API}`, "Default audience"]);
  });

  it("stops after the wave that failed and says what was and was not applied, with the cause's exit code", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .patch("/api/v2/connections/con_1")
      .reply(200, DB_CONNECTION)
      .get("/api/v2/tenants/settings")
      .reply(200, {})
      .patch("/api/v2/tenants/settings")
      .reply(403, { statusCode: 403, error: "Forbidden", message: "Insufficient scope, expected any of: update:tenant_settings", errorCode: "insufficient_scope" });
    const plan = makePlan({
      domain: "tenant.test",
      changes: [connectionChange(), planDefaultAudience({} as TenantSettings, API, "auto").change!, planTenantSettings({} as TenantSettings, { cimd: false })],
      warnings: [],
    });
    const error = await applyPlan(tenant, plan, hooks()).then(
      () => undefined,
      (e: unknown) => e,
    );
    scope.done();
    expect(error).toBeInstanceOf(PartialApplyError);
    const partial = error as PartialApplyError;
    expect(partial.exitCode).toBe(3);
    expect(partial.message).toContain("update:tenant_settings");
    // The connection (wave 1) went through; the settings and the default audience were one PATCH (wave 2), refused.
    expect(partial.message).toContain("Applied: Connection db. Not applied: Tenant settings; Default audience.");
    expect(tenant.http.writes()).toBe(2);
    expect(partial.hint).toContain("Re-run the same command");
  });

  // The SDK wraps our OutcomeUnknownError in a ManagementError (as `cause`): apply must look
  // through it, or a write whose connection broke would fail the command instead of converging.
  it("a write whose connection broke is read back, and not re-sent when it took effect", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .patch("/api/v2/connections/con_1")
      .replyWithError({ code: "ECONNRESET" })
      .get("/api/v2/connections/con_1")
      .query(true)
      .reply(200, { id: "con_1", name: "db", strategy: "auth0", is_domain_connection: true });
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [connectionChange()], warnings: [] }), hooks());
    scope.done();
    expect(report.applied.map((a) => a.change.label)).toEqual(["Connection db"]);
    expect(tenant.http.writes()).toBe(1);
  });

  // Under periodic faults a write's every attempt can lose its answer: the last one may still have
  // taken effect, so it is read back too before the run gives up (a run failed here for a role's
  // users that were in fact assigned).
  it("reads back the last attempt too: a write that took effect on it is applied, not a failure", async () => {
    const tenant = await testTenant({ sleep: async () => {} });
    const notYet = { ...DB_CONNECTION, is_domain_connection: false };
    let scope = nock(TENANT_URL);
    for (let attempt = 1; attempt <= 5; attempt++) {
      scope = scope
        .patch("/api/v2/connections/con_1")
        .replyWithError({ code: "ECONNRESET" })
        .get("/api/v2/connections/con_1")
        .query(true)
        .reply(200, attempt < 5 ? notYet : DB_CONNECTION);
    }
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [connectionChange()], warnings: [] }), hooks());
    scope.done();
    expect(report.applied.map((a) => a.change.label)).toEqual(["Connection db"]);
    expect(tenant.http.writes()).toBe(5);
  });
});

describe("teardown: who else needs domain-level connections", () => {
  const OTHER = "https://other.example.com/mcp";
  const grants = {
    client_grants: [
      { id: "cgr_own", audience: API, default_for: "third_party_clients", subject_type: "user", scope: [] },
      { id: "cgr_dcr", client_id: "tpc_claude", audience: OTHER, subject_type: "user", scope: [] },
      { id: "cgr_app", client_id: "plain_id", audience: OTHER, subject_type: "user", scope: [] },
    ],
  };

  it("names third-party clients with a grant of their own to another API, telling ordinary ids apart by reading the third-party clients", async () => {
    const tenant = await connectTenant({ domain: "tenant.test", token: jwtWith({ scope: "read:client_grants read:clients" }) });
    const scope = nock(TENANT_URL)
      .get("/api/v2/client-grants")
      .query((q) => q.subject_type === "user")
      .reply(200, grants)
      .get("/api/v2/clients")
      .query((q) => q.is_first_party === "false")
      .reply(200, { clients: [{ client_id: "plain_id" }], start: 0, limit: 100, total: 1 });
    const use = await readThirdPartyUse(tenant, API);
    scope.done();
    // The API's own default grant is not a reason: it goes with the API.
    expect(use).toEqual({
      apis: [],
      clients: [
        { clientId: "tpc_claude", audience: OTHER },
        { clientId: "plain_id", audience: OTHER },
      ],
    });
    expect(thirdPartyReason(use)).toBe(`third-party clients tpc_claude, plain_id hold a grant to ${OTHER}: third-party clients log users in only through domain-level connections`);
  });

  it("without read:clients, an application it cannot tell apart keeps the connections, and the reason says why", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL).get("/api/v2/client-grants").query(true).reply(200, grants);
    const use = await readThirdPartyUse(tenant, API);
    scope.done();
    expect(thirdPartyReason(use)).toContain("1 application with a user grant to another API may be third-party (the token has no read:clients to tell)");
  });

  it("with nothing else on the tenant there is no reason to keep anything", async () => {
    const tenant = await testTenant();
    const scope = nock(TENANT_URL)
      .get("/api/v2/client-grants")
      .query(true)
      .reply(200, { client_grants: [grants.client_grants[0]] });
    expect(thirdPartyReason(await readThirdPartyUse(tenant, API))).toBeUndefined();
    scope.done();
  });
});
