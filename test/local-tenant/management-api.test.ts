import type { ManagementClient } from "auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { rejectionOf, sdkFor, type Sdk } from "./helpers.js";

let tenant: TestLocalTenant;
let sdk: Sdk;
let client: ManagementClient;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true });
  sdk = sdkFor(tenant);
  client = sdk.client;
});

afterAll(async () => {
  await sdk.close();
  await tenant.close();
});

function invalidBody(message: string) {
  return { statusCode: 400, error: "Bad Request", message, errorCode: "invalid_body" };
}

/** The body of the error a call fails with, asserting its status. */
async function failure(promise: Promise<unknown>, statusCode: number): Promise<unknown> {
  const error = await rejectionOf(promise);
  expect(error.statusCode).toBe(statusCode);
  return error.body;
}

describe("tenant settings", () => {
  it("start as on a new tenant: DCR off, audience profile, no default audience, strict third-party mode", async () => {
    const settings = await client.tenants.settings.get();
    expect(settings.flags).toMatchObject({ enable_dynamic_client_registration: false, enable_client_connections: true });
    expect(settings.resource_parameter_profile).toBe("audience");
    expect(settings).not.toHaveProperty("default_audience");
    expect(settings.dynamic_client_registration_security_mode).toBe("strict");
    expect(settings.authorization_response_iss_parameter_supported).toBe(false);
    expect(typeof settings.friendly_name).toBe("string");
    expect(typeof settings.sandbox_version).toBe("string");
  });

  it("PATCH merges top-level fields and merges flags key by key", async () => {
    await client.tenants.settings.update({ flags: { enable_dynamic_client_registration: true } });
    // use_scope_descriptions_for_consent is missing from the SDK's types; the API takes it.
    await client.tenants.settings.update({ flags: { use_scope_descriptions_for_consent: true } } as never);
    const after = await client.tenants.settings.update({ resource_parameter_profile: "compatibility", default_audience: "https://api.example.com/" });
    expect(after.flags).toMatchObject({
      enable_dynamic_client_registration: true,
      use_scope_descriptions_for_consent: true,
      enable_client_connections: true,
    });
    expect(after.resource_parameter_profile).toBe("compatibility");
    expect(after.default_audience).toBe("https://api.example.com/");
    expect(after.friendly_name).toBe((await client.tenants.settings.get()).friendly_name);
  });

  it("rejects unknown fields with 400 invalid_body and changes nothing", async () => {
    const before = structuredClone(tenant.store.settings);
    const body = await failure(client.tenants.settings.update({ enable_dcr: true } as never), 400);
    expect(body).toEqual(invalidBody("Payload validation error: 'Additional properties not allowed: enable_dcr'."));
    expect(tenant.store.settings).toEqual(before);
  });

  it("rejects values outside the enums", async () => {
    expect(await failure(client.tenants.settings.update({ resource_parameter_profile: "resource" } as never), 400)).toEqual(
      invalidBody(`Payload validation error: 'No enum match for: "resource"' on property resource_parameter_profile.`),
    );
    expect(await failure(client.tenants.settings.update({ flags: { enable_dynamic_client_registration: "yes" } } as never), 400)).toEqual(
      invalidBody("Payload validation error: 'Expected type boolean but found type string' on property flags.enable_dynamic_client_registration."),
    );
  });
});

describe("resource servers", () => {
  const api = {
    identifier: "https://mcp.example.com/",
    name: "MCP Server",
    signing_alg: "RS256" as const,
    token_dialect: "rfc9068_profile_authz" as const,
    enforce_policies: true,
    allow_offline_access: true,
    scopes: [
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:greet", description: "Greet" },
    ],
  };

  it("POST creates the API with a 24-hex id; a second POST with the same identifier is 409", async () => {
    const created = await client.resourceServers.create(api);
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(created).toMatchObject(api);

    const body = await failure(client.resourceServers.create({ identifier: api.identifier, name: "Again" }), 409);
    expect(body).toEqual({ statusCode: 409, error: "Conflict", message: "A resource server with the same identifier already exists", errorCode: "conflict" });
  });

  it("GET and PATCH accept the identifier (URL-encoded by the SDK) as well as the id", async () => {
    const byIdentifier = await client.resourceServers.get(api.identifier);
    expect(tenant.calls.at(-1)?.path).toBe(`/api/v2/resource-servers/${encodeURIComponent(api.identifier)}`);
    const byId = await client.resourceServers.get(byIdentifier.id ?? "");
    expect(byId.identifier).toBe(api.identifier);

    const updated = await client.resourceServers.update(api.identifier, { scopes: [...api.scopes, { value: "tool:new" }] });
    expect(updated.scopes?.map((s) => s.value)).toEqual(["tool:whoami", "tool:greet", "tool:new"]);
  });

  it("refuses to change the identifier", async () => {
    const body = await failure(client.resourceServers.update(api.identifier, { identifier: "https://other/" } as never), 400);
    expect(body).toEqual(invalidBody("Payload validation error: 'Additional properties not allowed: identifier'."));
  });

  it("enforces Auth0's limits", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ identifier: "" }, "Payload validation error: 'String is too short (0 chars), minimum 1' on property identifier."],
      [{ identifier: `https://x/${"a".repeat(600)}` }, "Payload validation error: 'String is too long (610 chars), maximum 600' on property identifier."],
      [{ identifier: "https://a/", name: "a".repeat(201) }, "Payload validation error: 'String is too long (201 chars), maximum 200' on property name."],
      [{ identifier: "https://a/", name: "<script>" }, "Payload validation error: 'String does not match pattern: ^[^<>]*$' on property name."],
      [{ identifier: "https://a/", scopes: [{ value: "" }] }, "Payload validation error: 'String is too short (0 chars), minimum 1' on property scopes[0].value."],
      [{ identifier: "https://a/", scopes: [{ value: "a".repeat(281) }] }, "Payload validation error: 'String is too long (281 chars), maximum 280' on property scopes[0].value."],
      [
        { identifier: "https://a/", scopes: [{ value: "a", description: "d".repeat(501) }] },
        "Payload validation error: 'String is too long (501 chars), maximum 500' on property scopes[0].description.",
      ],
      [{ identifier: "https://a/", scopes: [{ value: "a", extra: 1 }] }, "Payload validation error: 'Additional properties not allowed: extra' on property scopes[0]."],
      [{ identifier: "https://a/", token_dialect: "jwt" }, `Payload validation error: 'No enum match for: "jwt"' on property token_dialect.`],
      [{ identifier: "https://a/", signing_alg: "ES256" }, `Payload validation error: 'No enum match for: "ES256"' on property signing_alg.`],
      [{ name: "no identifier" }, "Payload validation error: 'Missing required property: identifier'."],
    ];
    for (const [input, message] of cases) {
      expect(await failure(client.resourceServers.create(input as never), 400)).toEqual(invalidBody(message));
    }
    expect(tenant.store.resourceServerByIdentifier("https://a/")).toBeUndefined();
  });

  it("filters the list by identifiers, sent repeated in the query string", async () => {
    await client.resourceServers.create({ identifier: "https://second.example.com/" });
    const page = await client.resourceServers.list({ identifiers: [api.identifier, "https://second.example.com/"] });
    expect(page.data.map((rs) => rs.identifier)).toEqual([api.identifier, "https://second.example.com/"]);
    expect(tenant.calls.at(-1)?.path).toContain(`identifiers=${encodeURIComponent(api.identifier)}&identifiers=${encodeURIComponent("https://second.example.com/")}`);
  });

  it("the system Management API exists and cannot be updated or deleted", async () => {
    const audience = `https://${tenant.domain}/api/v2/`;
    const system = await client.resourceServers.get(audience);
    expect(system).toMatchObject({ name: "Auth0 Management API", is_system: true, identifier: audience });
    await failure(client.resourceServers.update(audience, { name: "Mine" }), 400);
    await failure(client.resourceServers.delete(system.id ?? ""), 400);
    expect((await client.resourceServers.get(audience)).name).toBe("Auth0 Management API");
  });

  it("answers 404 inexistent_resource_server for an unknown id", async () => {
    expect(await failure(client.resourceServers.get("https://nowhere/"), 404)).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: "The resource server does not exist",
      errorCode: "inexistent_resource_server",
    });
  });

  it("DELETE removes the API with its grants and role permissions", async () => {
    const rs = await client.resourceServers.create({ identifier: "https://doomed.example.com/", scopes: [{ value: "x" }] });
    const role = tenant.store.addRole({ name: "Doomed role" });
    await client.roles.permissions.add(role.id, { permissions: [{ resource_server_identifier: "https://doomed.example.com/", permission_name: "x" }] });
    await client.clientGrants.create({ default_for: "third_party_clients", audience: "https://doomed.example.com/", scope: ["x"], subject_type: "user" });
    await client.resourceServers.delete(rs.id ?? "");
    expect(tenant.store.resourceServerByIdentifier("https://doomed.example.com/")).toBeUndefined();
    expect(tenant.store.clientGrants.filter((g) => g.audience === "https://doomed.example.com/")).toEqual([]);
    expect(tenant.store.rolePermissions[role.id]).toEqual([]);
  });
});

describe("client grants", () => {
  const audience = "https://grants.example.com/";
  beforeAll(() => {
    tenant.store.addResourceServer({ identifier: audience, scopes: [{ value: "tool:a" }, { value: "tool:b" }] });
  });

  it("creates the default grant for third-party (DCR) clients, once", async () => {
    const input = { audience, default_for: "third_party_clients" as const, subject_type: "user" as const, scope: ["tool:a", "tool:b"] };
    const grant = await client.clientGrants.create(input);
    expect(grant).toMatchObject(input);
    expect(grant.id).toMatch(/^cgr_/);
    const body = await failure(client.clientGrants.create(input), 409);
    expect(body).toMatchObject({ statusCode: 409, error: "Conflict", errorCode: "conflict" });

    const listed = await client.clientGrants.list({ audience, default_for: "third_party_clients" });
    expect(listed.data.map((g) => g.id)).toEqual([grant.id]);

    const patched = await client.clientGrants.update(grant.id ?? "", { scope: ["tool:a"] });
    expect(patched.scope).toEqual(["tool:a"]);
  });

  it("needs exactly one of client_id and default_for", async () => {
    expect(await failure(client.clientGrants.create({ audience, scope: [] }), 400)).toEqual(invalidBody("Payload validation error: 'Missing required property: client_id'."));
    await failure(client.clientGrants.create({ audience, client_id: tenant.m2m.clientId, default_for: "third_party_clients", scope: [] }), 400);
  });

  it("answers 404 for an audience that is no API, 400 for a scope the API does not define", async () => {
    expect(await failure(client.clientGrants.create({ audience: "https://nope/", default_for: "third_party_clients", scope: [] }), 404)).toMatchObject({
      statusCode: 404,
      message: "No resource with identifier https://nope/",
    });
    const app = tenant.store.addClient({ name: "Grant test", app_type: "non_interactive" });
    expect(await failure(client.clientGrants.create({ audience, client_id: app.client_id, scope: ["tool:a", "tool:zzz"] }), 400)).toMatchObject({
      statusCode: 400,
      error: "Bad Request",
    });
    expect(await failure(client.clientGrants.create({ audience, client_id: app.client_id, scope: [], subject_type: "robot" } as never), 400)).toEqual(
      invalidBody(`Payload validation error: 'No enum match for: "robot"' on property subject_type.`),
    );
  });

  it("DELETE removes the grant", async () => {
    const app = tenant.store.addClient({ name: "Grant delete", app_type: "non_interactive" });
    const grant = await client.clientGrants.create({ audience, client_id: app.client_id, scope: ["tool:b"] });
    await client.clientGrants.delete(grant.id ?? "");
    expect(tenant.store.clientGrants.some((g) => g.id === grant.id)).toBe(false);
    // Deleting it again succeeds, as recorded on Auth0 (TestAccClientGrant in the oracle's data).
    await client.clientGrants.delete(grant.id ?? "");
  });
});

describe("connections", () => {
  it("are seeded with Username-Password-Authentication and google-oauth2, neither domain level", async () => {
    const page = await client.connections.list();
    expect(page.data.map((c) => [c.name, c.strategy, c.is_domain_connection])).toEqual([
      ["Username-Password-Authentication", "auth0", false],
      ["google-oauth2", "google-oauth2", false],
    ]);
    expect(page.data[0]?.id).toMatch(/^con_/);
    const google = await client.connections.list({ strategy: ["google-oauth2"] });
    expect(google.data.map((c) => c.name)).toEqual(["google-oauth2"]);
    expect(tenant.calls.at(-1)?.path).toContain("strategy=google-oauth2");
  });

  it("PATCH is_domain_connection changes only that field", async () => {
    const google = tenant.store.findConnectionByName("google-oauth2");
    const before = structuredClone(google?.options);
    const updated = await client.connections.update(google?.id ?? "", { is_domain_connection: true });
    expect(updated.is_domain_connection).toBe(true);
    expect(updated.options).toEqual(before);
  });

  it("PATCH with options replaces the whole options object, as on Auth0", async () => {
    const google = tenant.store.findConnectionByName("google-oauth2");
    expect(google?.options).toMatchObject({ email: true, profile: true, scope: ["email", "profile"] });
    const updated = await client.connections.update(google?.id ?? "", { options: { scope: ["email"] } as never });
    expect(updated.options).toEqual({ scope: ["email"] });
    expect(tenant.store.findConnectionByName("google-oauth2")?.options).toEqual({ scope: ["email"] });
  });

  it("refuses name and strategy, and answers 404 for an unknown id", async () => {
    const id = tenant.store.connections[0]?.id ?? "";
    expect(await failure(client.connections.update(id, { name: "renamed" } as never), 400)).toEqual(
      invalidBody("Payload validation error: 'Additional properties not allowed: name'."),
    );
    expect(await failure(client.connections.get("con_doesnotexist00"), 404)).toMatchObject({ errorCode: "inexistent_connection" });
  });
});

describe("roles, permissions and users", () => {
  const identifier = "https://rbac.example.com/";
  const perm = (permission_name: string) => ({ resource_server_identifier: identifier, permission_name });
  beforeAll(() => {
    tenant.store.addResourceServer({ identifier, name: "RBAC API", scopes: [{ value: "tool:read", description: "Read things" }, { value: "tool:write" }] });
  });

  it("POST /roles creates a rol_ id; the same name again is 409; name_filter ignores case", async () => {
    const role = await client.roles.create({ name: "Tool Administrator", description: "Can use every tool" });
    expect(role.id).toMatch(/^rol_/);
    expect(await failure(client.roles.create({ name: "Tool Administrator" }), 409)).toMatchObject({ statusCode: 409, error: "Conflict" });
    const found = await client.roles.list({ name_filter: "tool administrator" });
    expect(found.data.map((r) => r.id)).toEqual([role.id]);
  });

  it("adds permissions idempotently, lists them with API details, and deletes them", async () => {
    const role = await client.roles.create({ name: "Permissions role" });
    await client.roles.permissions.add(role.id ?? "", { permissions: [perm("tool:read"), perm("tool:write")] });
    await client.roles.permissions.add(role.id ?? "", { permissions: [perm("tool:read")] });
    const listed = await client.roles.permissions.list(role.id ?? "");
    expect(listed.data).toEqual([
      { permission_name: "tool:read", description: "Read things", resource_server_name: "RBAC API", resource_server_identifier: identifier },
      { permission_name: "tool:write", description: "", resource_server_name: "RBAC API", resource_server_identifier: identifier },
    ]);

    await client.roles.permissions.delete(role.id ?? "", { permissions: [perm("tool:write")] });
    expect((await client.roles.permissions.list(role.id ?? "")).data.map((p) => p.permission_name)).toEqual(["tool:read"]);
  });

  it("refuses a permission that is not a scope of an existing API, and an empty list", async () => {
    const role = await client.roles.create({ name: "Strict role" });
    expect(await failure(client.roles.permissions.add(role.id ?? "", { permissions: [perm("tool:delete")] }), 400)).toMatchObject({
      statusCode: 400,
      error: "Bad Request",
    });
    expect(await failure(client.roles.permissions.add(role.id ?? "", { permissions: [{ resource_server_identifier: "https://none/", permission_name: "x" }] }), 400)).toMatchObject(
      { statusCode: 400 },
    );
    expect(await failure(client.roles.permissions.add(role.id ?? "", { permissions: [] }), 400)).toEqual(
      invalidBody("Payload validation error: 'Array is too short (0), minimum 1' on property permissions."),
    );
    expect(tenant.store.rolePermissions[role.id ?? ""] ?? []).toEqual([]);
  });

  it("finds users by exact email and assigns them to roles idempotently", async () => {
    const [admin] = await client.users.listUsersByEmail({ email: "admin@example.com" });
    expect(admin?.user_id).toMatch(/^auth0\|/);
    expect(await client.users.listUsersByEmail({ email: "Admin@Example.com" })).toEqual([]);

    const role = await client.roles.create({ name: "Assigned role" });
    await client.roles.users.assign(role.id ?? "", { users: [admin?.user_id ?? ""] });
    await client.roles.users.assign(role.id ?? "", { users: [admin?.user_id ?? ""] });
    const members = await client.roles.users.list(role.id ?? "");
    expect(members.data).toEqual([{ user_id: admin?.user_id, email: "admin@example.com", name: "Admin Example", picture: admin?.picture }]);

    const roles = await client.users.roles.list(admin?.user_id ?? "");
    expect(roles.data.map((r) => r.name)).toContain("Assigned role");

    expect(await failure(client.roles.users.assign(role.id ?? "", { users: ["auth0|nobody"] }), 404)).toMatchObject({ errorCode: "inexistent_user" });
  });

  it("DELETE /roles removes the role and its assignments", async () => {
    const role = await client.roles.create({ name: "Short-lived" });
    await client.roles.delete(role.id ?? "");
    expect(await failure(client.roles.get(role.id ?? ""), 404)).toMatchObject({ errorCode: "inexistent_role" });
  });
});

describe("clients", () => {
  it("creates, reads, updates and deletes a Regular Web Application", async () => {
    const created = await client.clients.create({ name: "MCP proxy", app_type: "regular_web", callbacks: ["https://mcp.example.com/callback"] });
    expect(created.client_id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created.client_secret).toBeTruthy();
    expect(created.token_endpoint_auth_method).toBe("client_secret_post");

    const id = created.client_id ?? "";
    expect((await client.clients.get(id)).callbacks).toEqual(["https://mcp.example.com/callback"]);
    expect((await client.clients.update(id, { description: "Proxy" })).description).toBe("Proxy");
    const regularWeb = await client.clients.list({ app_type: "regular_web" });
    expect(regularWeb.data.map((c) => c.client_id)).toContain(id);

    await client.clients.delete(id);
    await failure(client.clients.get(id), 404);
  });

  it("shows client_secret only to tokens with read:client_keys", async () => {
    const app = tenant.store.addClient({ name: "Secretive", app_type: "regular_web" });
    const reader = sdkFor(tenant, { token: tenant.issueManagementToken(["read:clients"]) });
    expect(await reader.client.clients.get(app.client_id)).not.toHaveProperty("client_secret");
    await reader.close();
    expect((await client.clients.get(app.client_id)).client_secret).toBe(app.client_secret);
  });

  it("store helpers can add DCR clients with tpc_ ids", () => {
    const dcr = tenant.store.addClient({ name: "Claude", dynamic: true, app_type: "regular_web", token_endpoint_auth_method: "none" });
    expect(dcr.client_id).toMatch(/^tpc_/);
    expect(dcr.is_first_party).toBe(false);
  });
});

describe("request handling", () => {
  it("answers 404 for unknown Management API routes and 400 for malformed JSON", async () => {
    const token = tenant.issueManagementToken(["read:roles", "create:roles"]);
    const unknown = await sdk.fetch(`${tenant.url}/api/v2/no-such-thing`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ statusCode: 404, error: "Not Found" });

    const malformed = await sdk.fetch(`${tenant.url}/api/v2/roles`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ statusCode: 400, error: "Bad Request", message: "Invalid request payload JSON format", errorCode: "invalid_body" });
  });

  it("records every call in order, and which were writes", async () => {
    tenant.resetCalls();
    await client.roles.create({ name: "Recorded" });
    await client.roles.list({ per_page: 100 });
    expect(tenant.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(["POST /api/v2/roles 200", "GET /api/v2/roles?per_page=100&page=0&include_totals=true 200"]);
    expect(tenant.writes()).toEqual([{ method: "POST", path: "/api/v2/roles", status: 200, write: true }]);
  });
});
