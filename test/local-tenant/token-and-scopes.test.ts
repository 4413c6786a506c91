import type http from "node:http";

import type { ManagementClient } from "auth0";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addRule } from "../../src/local-tenant/endpoints/rules.js";
import { MANAGEMENT_SCOPES, startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import type { TenantStore } from "../../src/local-tenant/store.js";
import { rejectionOf, sdkFor, trustingFetch } from "./helpers.js";

let tenant: TestLocalTenant;
let trusted: ReturnType<typeof trustingFetch>;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true });
  trusted = trustingFetch(tenant.caCertPem);
});

afterAll(async () => {
  await trusted.close();
  await tenant.close();
});

function tokenRequest(body: Record<string, string>, type: "form" | "json" = "form"): Promise<Response> {
  return trusted.fetch(`${tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": type === "form" ? "application/x-www-form-urlencoded" : "application/json" },
    body: type === "form" ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
}

function clientCredentials(creds: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: "client_credentials",
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
    audience: `https://${tenant.domain}/api/v2/`,
    ...extra,
  };
}

describe("POST /oauth/token (client credentials for the Management API)", () => {
  it("issues an RS256 JWT whose scope claim lists every granted scope", async () => {
    const res = await tokenRequest(clientCredentials(tenant.m2m));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(86400);
    expect(body.scope.split(" ").sort()).toEqual([...MANAGEMENT_SCOPES].sort());

    expect(decodeProtectedHeader(body.access_token).alg).toBe("RS256");
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      iss: `https://${tenant.domain}/`,
      sub: `${tenant.m2m.clientId}@clients`,
      aud: `https://${tenant.domain}/api/v2/`,
      scope: body.scope,
      gty: "client-credentials",
      azp: tenant.m2m.clientId,
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(86400);
  });

  it("accepts a JSON body, and a scope parameter narrows the token", async () => {
    const res = await tokenRequest(clientCredentials(tenant.m2m, { scope: "read:roles read:users" }), "json");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe("read:roles read:users");
    expect(decodeJwt(body.access_token)["scope"]).toBe("read:roles read:users");
  });

  it("grants an application only the scopes of its client grant", async () => {
    const limited = tenant.createM2MApplication(["read:roles", "read:connections"]);
    const body = (await (await tokenRequest(clientCredentials(limited))).json()) as { scope: string };
    expect(body.scope).toBe("read:roles read:connections");
  });

  it("answers 401 access_denied for a wrong secret or an unknown client", async () => {
    for (const creds of [
      { ...tenant.m2m, clientSecret: "wrong" },
      { clientId: "no-such-client", clientSecret: "x" },
    ]) {
      const res = await tokenRequest(clientCredentials(creds));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "access_denied", error_description: "Unauthorized" });
    }
  });

  it("answers 403 with Auth0's client-grant message for an application without a grant", async () => {
    const ungranted = tenant.createM2MApplication([]);
    const res = await tokenRequest(clientCredentials(ungranted));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "access_denied",
      error_description: `Client is not authorized to access "https://${tenant.domain}/api/v2/". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
    });
  });

  it("the SDK's own token request fails the same way", async () => {
    const sdk = sdkFor(tenant, tenant.createM2MApplication([]));
    const error = await rejectionOf(sdk.client.roles.list());
    expect(error.statusCode).toBe(403);
    expect(error.body).toMatchObject({ error: "access_denied" });
    await sdk.close();
  });
});

describe("other /oauth/token requests", () => {
  it("go to the fallback, with the body already read and handed on", async () => {
    const seen: Array<{ url?: string; body: unknown; rawBody: string }> = [];
    const withFallback = await startLocalTenant({
      testControls: true,
      seed: false,
      fallback: (req: http.IncomingMessage, res: http.ServerResponse) => {
        const handed = req as http.IncomingMessage & { body?: unknown; rawBody?: Buffer };
        seen.push({ url: req.url, body: handed.body, rawBody: handed.rawBody?.toString() ?? "" });
        res.writeHead(418, { "content-type": "application/json" }).end('{"from":"fallback"}');
      },
    });
    const fetcher = trustingFetch(withFallback.caCertPem);
    const form = new URLSearchParams({ grant_type: "authorization_code", code: "abc", client_id: "x" }).toString();
    const res = await fetcher.fetch(`${withFallback.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    expect(res.status).toBe(418);
    expect(seen).toEqual([{ url: "/oauth/token", body: { grant_type: "authorization_code", code: "abc", client_id: "x" }, rawBody: form }]);

    // Client credentials for another audience belong to the OAuth side too.
    await fetcher.fetch(`${withFallback.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...clientCredentials(withFallback.m2m), audience: "https://api.example.com/" }),
    });
    expect(seen).toHaveLength(2);
    expect(withFallback.calls.map((c) => c.status)).toEqual([418, 418]);

    await fetcher.close();
    await withFallback.close();
  });
});

describe("Management API authentication", () => {
  async function get(authorization?: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await trusted.fetch(`${tenant.url}/api/v2/roles`, { headers: authorization ? { authorization } : {} });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  it("answers 401 Missing authentication without a token", async () => {
    const { status, body, headers } = await get();
    expect(status).toBe(401);
    expect(body).toMatchObject({ statusCode: 401, error: "Unauthorized", message: "Missing authentication" });
    expect(headers.get("x-ratelimit-limit")).toBeTruthy();
  });

  it("answers 401 Invalid token for garbage, expired tokens and tokens of another tenant", async () => {
    const other = await startLocalTenant({ testControls: true, seed: false });
    const tokens = ["not-a-jwt", tenant.issueManagementToken(["read:roles"], { expiresInSeconds: -10 }), other.issueManagementToken(["read:roles"])];
    await other.close();
    for (const token of tokens) {
      const { status, body } = await get(`Bearer ${token}`);
      expect(status).toBe(401);
      expect(body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid token", errorCode: "invalid_token" });
    }
  });
});

/** Fresh records for each scope case, so that a successful delete in one case cannot affect another. */
function fixtures(store: TenantStore) {
  const n = store.roles.length + store.resourceServers.length;
  const rs = store.addResourceServer({ identifier: `https://scope-case-${n}.example.com/`, scopes: [{ value: "tool:a" }] });
  const role = store.addRole({ name: `scope case ${n}` });
  const client = store.addClient({ name: `scope case ${n}`, app_type: "regular_web" });
  const grant = store.addClientGrant({ client_id: client.client_id, audience: rs.identifier, scope: [] });
  const connection = store.connections[0];
  const user = store.users[0];
  if (!connection || !user) throw new Error("the seeded tenant has connections and users");
  return { rs, role, client, grant, connection, user };
}

type Fixtures = ReturnType<typeof fixtures>;

const scopeCases: Array<[string, readonly string[], (c: ManagementClient, f: Fixtures) => Promise<unknown>]> = [
  ["GET /tenants/settings", ["read:tenant_settings"], (c) => c.tenants.settings.get()],
  ["PATCH /tenants/settings", ["update:tenant_settings"], (c) => c.tenants.settings.update({ friendly_name: "Scoped" })],
  ["GET /resource-servers", ["read:resource_servers"], (c) => c.resourceServers.list()],
  ["GET /resource-servers/{id}", ["read:resource_servers"], (c, f) => c.resourceServers.get(f.rs.identifier)],
  ["POST /resource-servers", ["create:resource_servers"], (c, f) => c.resourceServers.create({ identifier: `${f.rs.identifier}new` })],
  ["PATCH /resource-servers/{id}", ["update:resource_servers"], (c, f) => c.resourceServers.update(f.rs.id, { name: "Renamed" })],
  ["DELETE /resource-servers/{id}", ["delete:resource_servers"], (c, f) => c.resourceServers.delete(f.rs.id)],
  ["GET /client-grants", ["read:client_grants"], (c) => c.clientGrants.list()],
  ["POST /client-grants", ["create:client_grants"], (c, f) => c.clientGrants.create({ default_for: "third_party_clients", audience: f.rs.identifier, scope: [] })],
  ["PATCH /client-grants/{id}", ["update:client_grants"], (c, f) => c.clientGrants.update(f.grant.id, { scope: ["tool:a"] })],
  ["DELETE /client-grants/{id}", ["delete:client_grants"], (c, f) => c.clientGrants.delete(f.grant.id)],
  ["GET /connections", ["read:connections"], (c) => c.connections.list()],
  ["GET /connections/{id}", ["read:connections"], (c, f) => c.connections.get(f.connection.id)],
  ["PATCH /connections/{id}", ["update:connections"], (c, f) => c.connections.update(f.connection.id, { show_as_button: true })],
  ["GET /roles", ["read:roles"], (c) => c.roles.list()],
  ["GET /roles/{id}", ["read:roles"], (c, f) => c.roles.get(f.role.id)],
  ["POST /roles", ["create:roles"], (c, f) => c.roles.create({ name: `${f.role.name} new` })],
  ["PATCH /roles/{id}", ["update:roles"], (c, f) => c.roles.update(f.role.id, { description: "x" })],
  ["DELETE /roles/{id}", ["delete:roles"], (c, f) => c.roles.delete(f.role.id)],
  ["GET /roles/{id}/permissions", ["read:roles"], (c, f) => c.roles.permissions.list(f.role.id)],
  [
    "POST /roles/{id}/permissions",
    ["update:roles"],
    (c, f) => c.roles.permissions.add(f.role.id, { permissions: [{ resource_server_identifier: f.rs.identifier, permission_name: "tool:a" }] }),
  ],
  [
    "DELETE /roles/{id}/permissions",
    ["update:roles"],
    (c, f) => c.roles.permissions.delete(f.role.id, { permissions: [{ resource_server_identifier: f.rs.identifier, permission_name: "tool:a" }] }),
  ],
  ["GET /roles/{id}/users", ["read:users", "read:roles", "read:role_members"], (c, f) => c.roles.users.list(f.role.id)],
  ["POST /roles/{id}/users", ["update:roles", "create:role_members"], (c, f) => c.roles.users.assign(f.role.id, { users: [f.user.user_id] })],
  ["GET /users-by-email", ["read:users"], (c, f) => c.users.listUsersByEmail({ email: f.user.email })],
  ["GET /users/{id}/roles", ["read:users", "read:roles", "read:role_members"], (c, f) => c.users.roles.list(f.user.user_id)],
  ["GET /clients", ["read:clients"], (c) => c.clients.list()],
  ["GET /clients/{id}", ["read:clients"], (c, f) => c.clients.get(f.client.client_id)],
  ["POST /clients", ["create:clients"], (c) => c.clients.create({ name: "Scoped app" })],
  ["PATCH /clients/{id}", ["update:clients"], (c, f) => c.clients.update(f.client.client_id, { description: "x" })],
  ["DELETE /clients/{id}", ["delete:clients"], (c, f) => c.clients.delete(f.client.client_id)],
  ["GET /custom-domains", ["read:custom_domains"], (c) => c.customDomains.list()],
  ["GET /rules", ["read:rules"], (c) => c.rules.list({ enabled: true })],
  ["PATCH /rules/{id}", ["update:rules"], (c) => c.rules.update(addRule(tenant.store, { name: "Scoped rule" }).id, { enabled: false })],
];

describe("every endpoint checks its scope", () => {
  it.each(scopeCases)("%s needs any of %j", async (_name, scopes, call) => {
    const f = fixtures(tenant.store);

    // Every other scope is not enough: 403 with Auth0's body, and nothing is written.
    const others = MANAGEMENT_SCOPES.filter((s) => !scopes.includes(s));
    const denied = sdkFor(tenant, { token: tenant.issueManagementToken(others) });
    const before = JSON.stringify(tenant.store);
    const error = await rejectionOf(call(denied.client, f));
    expect(error.statusCode).toBe(403);
    expect(error.body).toEqual({
      statusCode: 403,
      error: "Forbidden",
      message: `Insufficient scope, expected any of: ${scopes.join(",")}`,
      errorCode: "insufficient_scope",
    });
    expect(JSON.stringify(tenant.store)).toBe(before);
    await denied.close();

    // Each of the listed scopes alone is enough.
    for (const scope of scopes) {
      const allowed = sdkFor(tenant, { token: tenant.issueManagementToken([scope]) });
      await expect(call(allowed.client, fixtures(tenant.store))).resolves.not.toThrow();
      await allowed.close();
    }
  });

  it("covers every scope the local Management API checks", () => {
    const checked = new Set(scopeCases.flatMap(([, scopes]) => scopes));
    expect(MANAGEMENT_SCOPES.filter((s) => !checked.has(s) && s !== "read:client_keys")).toEqual([]);
  });
});
