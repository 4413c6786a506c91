import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { trustingFetch } from "./support/mcp-client.js";
import { API, provision, RawClient, type Flow } from "./support/oauth.js";

/*
 * The OAuth side of the local tenant, request by request: Auth0's paths and metadata, and the
 * tenant settings that change what clients get, as on Auth0.
 */

let tenant: TestLocalTenant;
let trusted: ReturnType<typeof trustingFetch>;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true, oauth: { autoLogin: "user@example.com" } });
  trusted = trustingFetch(tenant.caCertPem);
});
afterAll(async () => {
  await tenant?.close();
  await trusted?.close();
});

const get = async (path: string) => {
  const response = await trusted.fetch(`${tenant.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const client = () => new RawClient(tenant, trusted.fetch);

/**
 * The error of an authorization that failed for a strict third-party client: Auth0 shows its error
 * page (HTTP 400, "Oops!, something went wrong") rather than redirecting to the callback.
 */
function errorPage(flow: Flow): { error?: string; description?: string } {
  expect(flow.callback).toBeUndefined();
  expect(flow.page?.status).toBe(400);
  const match = /<p class="error"><strong>([^<]+)<\/strong>(?:: ([^<]*))?<\/p>/.exec(flow.page?.html ?? "");
  return { ...(match?.[1] ? { error: match[1] } : {}), ...(match?.[2] ? { description: match[2].replace(/&#39;/g, "'").replace(/&quot;/g, '"') } : {}) };
}

describe("discovery and registration follow the tenant's settings", () => {
  it("a fresh tenant advertises its registration endpoint, as Auth0 does, but refuses registration", async () => {
    const { status, body } = await get("/.well-known/openid-configuration");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: `${tenant.url}/`,
      authorization_endpoint: `${tenant.url}/authorize`,
      token_endpoint: `${tenant.url}/oauth/token`,
      jwks_uri: `${tenant.url}/.well-known/jwks.json`,
      userinfo_endpoint: `${tenant.url}/userinfo`,
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: false,
    });
    // Auth0 names /oidc/register with DCR off too: MCP clients try it and get the 400.
    expect(body).toMatchObject({ registration_endpoint: `${tenant.url}/oidc/register` });
    expect(await client().register()).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Dynamic client registration is disabled for this tenant" },
    });
  });

  it("after provisioning: registration endpoint, RFC 9207 flag, the same document at oauth-authorization-server", async () => {
    provision(tenant.store);
    const oidc = await get("/.well-known/openid-configuration");
    expect(oidc.body).toMatchObject({ registration_endpoint: `${tenant.url}/oidc/register`, authorization_response_iss_parameter_supported: true });
    expect((await get("/.well-known/oauth-authorization-server")).body).toEqual(oidc.body);
  });

  it("the JWKS is the key that signs Management API tokens", async () => {
    const jwks = createLocalJWKSet((await get("/.well-known/jwks.json")).body as unknown as JSONWebKeySet);
    const token = tenant.issueManagementToken(["read:clients"]);
    await expect(jwtVerify(token, jwks, { issuer: `${tenant.url}/` })).resolves.toBeDefined();
  });

  it("a registered client is a third-party client with a tpc_ id, listed by the Management API", async () => {
    const raw = client();
    const { status, body } = await raw.register({ client_name: "Claude", scope: "tool:whoami tool:greet" });
    expect(status).toBe(201);
    expect(body["client_id"]).toMatch(/^tpc_/);
    const listed = await trusted.fetch(`${tenant.url}/api/v2/clients?is_first_party=false`, {
      headers: { authorization: `Bearer ${tenant.issueManagementToken(["read:clients"])}` },
    });
    expect(await listed.json()).toEqual([expect.objectContaining({ client_id: raw.clientId, name: "Claude", is_first_party: false, callbacks: [expect.any(String)] })]);
  });

  it("browser-based clients (MCP Inspector) can register across origins", async () => {
    const origin = "http://localhost:6274";
    const preflight = await trusted.fetch(`${tenant.url}/oidc/register`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
    const registered = await trusted.fetch(`${tenant.url}/oidc/register`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["http://localhost:6274/oauth/callback"], token_endpoint_auth_method: "none" }),
    });
    expect(registered.status).toBe(201);
    expect(registered.headers.get("access-control-allow-origin")).toBe(origin);
  });
});

describe("tokens, as Auth0 issues them", () => {
  it("audience → an RFC 9068 JWT with scope, client_id and the permissions of the user's roles", async () => {
    const raw = client();
    await raw.register();
    const flow = await raw.authorize({ audience: API, scope: "tool:whoami tool:greet", login_hint: "admin@example.com" });
    expect(flow.callback?.searchParams.get("iss")).toBe(`${tenant.url}/`);
    const { status, body } = await raw.exchange(flow);
    expect(status).toBe(200);
    const token = String(body["access_token"]);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: "at+jwt", alg: "RS256" });
    const admin = tenant.store.users.find((u) => u.email === "admin@example.com")!;
    expect(decodeJwt(token)).toMatchObject({
      iss: `${tenant.url}/`,
      aud: API,
      sub: admin.user_id,
      client_id: raw.clientId,
      scope: "tool:whoami tool:greet",
      permissions: ["tool:whoami", "tool:greet"],
    });
    // Third-party clients in strict mode get no ID token.
    expect(body).not.toHaveProperty("id_token");
  });

  it("RBAC limits the scopes to the user's permissions; the grant's scopes limit third-party clients", async () => {
    const raw = client();
    await raw.register();
    const asUser = await raw.exchange(await raw.authorize({ resource: API, scope: "tool:whoami tool:greet" }));
    expect(decodeJwt(String(asUser.body["access_token"]))).toMatchObject({ scope: "tool:whoami", permissions: ["tool:whoami"] });

    const grant = tenant.store.clientGrants.find((g) => g.default_for === "third_party_clients")!;
    grant.scope = ["tool:greet"];
    try {
      const asAdmin = await raw.exchange(await raw.authorize({ resource: API, scope: "tool:whoami tool:greet", login_hint: "admin@example.com" }));
      expect(decodeJwt(String(asAdmin.body["access_token"]))).toMatchObject({ scope: "tool:greet" });
    } finally {
      grant.scope = ["tool:whoami", "tool:greet"];
    }
  });

  it("permissions only with an _authz dialect and RBAC on; without RBAC every requested scope", async () => {
    const api = tenant.store.resourceServerByIdentifier(API)!;
    api.token_dialect = "rfc9068_profile";
    api.enforce_policies = false;
    try {
      const raw = client();
      await raw.register();
      const { body } = await raw.exchange(await raw.authorize({ audience: API, scope: "tool:whoami tool:greet" }));
      const claims = decodeJwt(String(body["access_token"]));
      expect(claims["scope"]).toBe("tool:whoami tool:greet");
      expect(claims).not.toHaveProperty("permissions");
    } finally {
      api.token_dialect = "rfc9068_profile_authz";
      api.enforce_policies = true;
    }
  });

  it("refresh tokens with offline_access when the API allows offline access, and not otherwise", async () => {
    const raw = client();
    await raw.register({ grant_types: ["authorization_code", "refresh_token"] });
    const first = await raw.exchange(await raw.authorize({ audience: API, scope: "tool:whoami offline_access" }));
    expect(first.body["refresh_token"]).toEqual(expect.any(String));
    const refreshed = await raw.token({ grant_type: "refresh_token", refresh_token: String(first.body["refresh_token"]) });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(String(refreshed.body["access_token"]))).toMatchObject({ aud: API, scope: "tool:whoami" });

    tenant.store.resourceServerByIdentifier(API)!.allow_offline_access = false;
    try {
      const second = await raw.exchange(await raw.authorize({ audience: API, scope: "tool:whoami offline_access" }));
      expect(second.status).toBe(200);
      expect(second.body).not.toHaveProperty("refresh_token");
    } finally {
      tenant.store.resourceServerByIdentifier(API)!.allow_offline_access = true;
    }
  });

  it("the resource parameter is ignored outside the compatibility profile; the default audience applies", async () => {
    const { settings } = tenant.store;
    settings["resource_parameter_profile"] = "audience";
    try {
      const raw = client();
      await raw.register();
      // No effective audience: a third-party client is refused (a first-party one would get an opaque token).
      expect(errorPage(await raw.authorize({ resource: API, scope: "tool:whoami" }))).toEqual({
        error: "invalid_request",
        description: "The userinfo audience is not allowed for third party clients. Please specify a valid API audience.",
      });
      settings["default_audience"] = API;
      const defaulted = await raw.exchange(await raw.authorize({ resource: "https://ignored.example.com", scope: "tool:whoami" }));
      expect(decodeJwt(String(defaulted.body["access_token"]))).toMatchObject({ aud: API });
    } finally {
      settings["resource_parameter_profile"] = "compatibility";
      delete settings["default_audience"];
    }
  });

  it("an audience that is no API fails at /authorize with Auth0's 'Service not found'", async () => {
    const raw = client();
    await raw.register();
    const flow = await raw.authorize({ audience: "https://nowhere.example.com", scope: "tool:whoami" });
    expect(errorPage(flow)).toEqual({ error: "access_denied", description: "Service not found: https://nowhere.example.com" });
    // A client that allows redirects (redirection_policy allow_always) gets the error at its callback.
    tenant.store.findClient(raw.clientId)!["redirection_policy"] = "allow_always";
    const redirected = await raw.authorize({ audience: "https://nowhere.example.com", scope: "tool:whoami" });
    expect(Object.fromEntries(redirected.callback!.searchParams)).toMatchObject({
      error: "access_denied",
      error_description: "Service not found: https://nowhere.example.com",
      state: "xyz",
    });
  });

  it("no iss in authorization responses when the tenant setting is off", async () => {
    tenant.store.settings["authorization_response_iss_parameter_supported"] = false;
    try {
      const raw = client();
      await raw.register();
      const flow = await raw.authorize({ audience: API, scope: "tool:whoami" });
      expect(flow.callback!.searchParams.get("code")).toBeTruthy();
      expect(flow.callback!.searchParams.has("iss")).toBe(false);
    } finally {
      tenant.store.settings["authorization_response_iss_parameter_supported"] = true;
    }
  });

  it("a redirect URI the client did not register: Auth0's 'Callback URL mismatch' page, exact match (a loopback port included)", async () => {
    const raw = client();
    await raw.register({ application_type: "web" });
    const other = "http://127.0.0.1:40000/callback";
    const flow = await raw.follow(
      new URL(
        `${tenant.url}/authorize?${new URLSearchParams({ response_type: "code", client_id: raw.clientId, redirect_uri: other, audience: API, code_challenge: "x".repeat(43), code_challenge_method: "S256" })}`,
      ),
      "",
    );
    expect(flow.callback).toBeUndefined();
    expect(flow.page?.status).toBe(403);
    expect(flow.page?.html).toContain(`Callback URL mismatch. ${other} is not in the list of allowed callback URLs`);
    expect(flow.page?.html).toContain("unauthorized_client");
  });

  it("PKCE is required", async () => {
    const raw = client();
    await raw.register();
    const flow = await raw.authorize({ audience: API, scope: "tool:whoami", code_challenge: "", code_challenge_method: "" });
    const { error, description } = errorPage(flow);
    expect(error).toBe("invalid_request");
    expect(description).toMatch(/PKCE/);
  });

  it("a first-party application logs in without consent and gets an ID token", async () => {
    const app = tenant.store.addClient({ name: "First party SPA", app_type: "spa", callbacks: ["http://127.0.0.1:53682/callback"] });
    tenant.store.findConnectionByName("Username-Password-Authentication")!.enabled_clients.push(app.client_id);
    const raw = client();
    raw.clientId = app.client_id;
    const { status, body } = await raw.exchange(await raw.authorize({ audience: API, scope: "openid profile email tool:whoami" }));
    expect(status).toBe(200);
    expect(decodeJwt(String(body["id_token"]))).toMatchObject({ aud: app.client_id, email: "user@example.com" });
  });
});

describe("the /authorize parameters of strict third-party clients", () => {
  // docs-v2, third-party-applications/security-controls: "Not supported … Requests with unsupported
  // parameters receive an invalid_request error".
  const REFUSED = ["screen_hint", "request", "request_uri", "claims", "id_token_hint", "invitation", "login_ticket"];

  it("each unsupported parameter is refused with invalid_request on the error page; without it the same request logs in", async () => {
    const raw = client();
    await raw.register();
    for (const name of REFUSED) {
      expect(errorPage(await raw.authorize({ audience: API, scope: "tool:whoami", [name]: "x" })), name).toEqual({
        error: "invalid_request",
        description: `The following parameters are not supported for third-party applications: ${name}`,
      });
    }
    expect((await raw.authorize({ audience: API, scope: "tool:whoami", login_hint: "user@example.com", prompt: "login" })).callback?.searchParams.get("code")).toBeTruthy();
    // A client that allows redirects gets the refusal at its callback.
    tenant.store.findClient(raw.clientId)!["redirection_policy"] = "allow_always";
    const redirected = await raw.authorize({ audience: API, scope: "tool:whoami", screen_hint: "signup", invitation: "x" });
    expect(Object.fromEntries(redirected.callback!.searchParams)).toMatchObject({
      error: "invalid_request",
      error_description: "The following parameters are not supported for third-party applications: screen_hint, invitation",
    });
  });

  it("a first-party application may send them", async () => {
    const app = tenant.store.addClient({ name: "First party with signup", app_type: "spa", callbacks: ["http://127.0.0.1:53682/callback"] });
    tenant.store.findConnectionByName("Username-Password-Authentication")!.enabled_clients.push(app.client_id);
    const raw = client();
    raw.clientId = app.client_id;
    const flow = await raw.authorize({ audience: API, scope: "tool:whoami", screen_hint: "signup", login_ticket: "x", invitation: "x" });
    expect(flow.callback?.searchParams.get("code")).toBeTruthy();
  });
});

describe("the login page and the consent screen (no auto-login)", () => {
  let interactive: TestLocalTenant;
  let fetchFn: ReturnType<typeof trustingFetch>;
  beforeAll(async () => {
    interactive = await startLocalTenant({ testControls: true, seed: true });
    provision(interactive.store);
    fetchFn = trustingFetch(interactive.caCertPem);
  });
  afterAll(async () => {
    await interactive?.close();
    await fetchFn?.close();
  });

  it("lists the users of domain-level connections, then the scope descriptions, and issues a code on Accept", async () => {
    const raw = new RawClient(interactive, fetchFn.fetch, true);
    await raw.register({ client_name: "Inspector" });
    const login = await raw.authorize({ resource: API, scope: "tool:whoami tool:greet" });
    expect(login.page?.url.pathname).toBe("/u/login");
    expect(login.page?.html).toContain("Log in to Inspector");
    expect(login.page?.html).toContain("admin@example.com");
    // google-oauth2 is not domain level: its users cannot log in to a third-party client.
    expect(login.page?.html).not.toContain("google.user@example.com");

    const admin = interactive.store.users.find((u) => u.email === "admin@example.com")!;
    const consent = await raw.submit(login, { user_id: admin.user_id });
    expect(consent.page?.url.pathname).toBe("/u/consent");
    expect(consent.page?.html).toContain("Read your identity");
    expect(consent.page?.html).toContain("Greet someone");

    const done = await raw.submit(consent, { decision: "accept" });
    const { body } = await raw.exchange(done);
    expect(decodeJwt(String(body["access_token"]))).toMatchObject({ sub: admin.user_id, scope: "tool:whoami tool:greet" });
  });

  it("Decline shows Auth0's access_denied on the error page (strict third-party clients are not redirected)", async () => {
    const raw = new RawClient(interactive, fetchFn.fetch, true);
    await raw.register();
    const login = await raw.authorize({ resource: API, scope: "tool:whoami" });
    const user = interactive.store.users.find((u) => u.email === "user@example.com")!;
    const consent = await raw.submit(login, { user_id: user.user_id });
    const declined = await raw.submit(consent, { decision: "decline" });
    expect(errorPage(declined)).toEqual({ error: "access_denied", description: "User did not authorize the request" });
  });

  it("scope values instead of descriptions when use_scope_descriptions_for_consent is off", async () => {
    interactive.store.settings.flags["use_scope_descriptions_for_consent"] = false;
    const raw = new RawClient(interactive, fetchFn.fetch, true);
    await raw.register();
    const login = await raw.authorize({ resource: API, scope: "tool:whoami" });
    const admin = interactive.store.users.find((u) => u.email === "admin@example.com")!;
    const consent = await raw.submit(login, { user_id: admin.user_id });
    expect(consent.page?.html).toContain("<li>tool:whoami</li>");
    expect(consent.page?.html).not.toContain("Read your identity");
  });
});
