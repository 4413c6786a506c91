import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CURRENT_USER_SCOPES } from "../../src/local-tenant/scopes.js";
import { cli } from "../support/cli.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { trustingFetch } from "./helpers.js";
import { RawClient, REDIRECT_URI } from "../dev/support/oauth.js";

/*
 * Issue 16, defect 1: Management API authority comes only from client-credentials tokens of
 * applications granted for it. A user logging in through any application with the Management API
 * as audience gets at most the `current_user` scopes Auth0 gives users
 * (https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens/get-management-api-tokens-for-single-page-applications),
 * and /api/v2 refuses admin calls with such a token. Every grant type and client kind is tried.
 */

const ADMIN_SCOPES = ["read:clients", "read:client_keys", "update:tenant_settings", "create:clients"];

let fx: Fixture;
let trusted: ReturnType<typeof trustingFetch>;
let proxy: { clientId: string; clientSecret: string };
let audience: string;

beforeAll(async () => {
  fx = await freshFixture({ oauth: { autoLogin: "admin@example.com" } });
  trusted = trustingFetch(fx.tenant.caCertPem);
  audience = fx.tenant.store.managementAudience;
  // The scenario: a proxy application made by `init --mode proxy`, its id and secret in the .env.
  const result = await cli(
    [
      "init",
      "--yes",
      "--mode",
      "proxy",
      "--template",
      "mcp-use-proxy",
      "--callback-url",
      REDIRECT_URI,
      "--api-identifier",
      IDENTIFIER,
      "--scopes",
      "tool:whoami",
      "--connections",
      "Username-Password-Authentication",
      "--env-path",
      join(fx.dir, ".env"),
    ],
    { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir },
  );
  expect(result.code, result.stderr).toBe(0);
  const env = parseEnv(await readFile(join(fx.dir, ".env"), "utf8"));
  proxy = { clientId: env["AUTH0_CLIENT_ID"] ?? "", clientSecret: env["AUTH0_CLIENT_SECRET"] ?? "" };
  expect(fx.tenant.store.findClient(proxy.clientId)?.is_first_party).toBe(true);
});

afterAll(async () => {
  await trusted?.close();
  await fx?.tenant.close();
});

async function api(token: string, method: "GET" | "PATCH", path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await trusted.fetch(`${fx.tenant.url}/api/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The admin calls of the issue: every client with its secret, and a tenant settings PATCH. */
async function expectAdminRefused(token: string): Promise<void> {
  const clients = await api(token, "GET", "/clients");
  expect(clients).toMatchObject({ status: 403, body: { errorCode: "insufficient_scope" } });
  const patch = await api(token, "PATCH", "/tenants/settings", { friendly_name: "owned" });
  expect(patch).toMatchObject({ status: 403, body: { errorCode: "insufficient_scope" } });
  expect(fx.tenant.store.settings["friendly_name"]).not.toBe("owned");
}

function scopesOf(token: string): string[] {
  return String(decodeJwt(token)["scope"] ?? "")
    .split(" ")
    .filter(Boolean);
}

async function clientCredentials(id: string, secret: string) {
  const response = await trusted.fetch(`${fx.tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: id, client_secret: secret, audience }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A user's login through `client` asking for the Management API and admin scopes. */
async function userLogin(client: RawClient, scope: string) {
  const flow = await client.authorize({ audience, scope });
  return client.exchange(flow);
}

describe("client credentials", () => {
  it("of the M2M application granted the Management API: a token with its admin scopes, accepted by /api/v2", async () => {
    const { status, body } = await clientCredentials(fx.tenant.m2m.clientId, fx.tenant.m2m.clientSecret);
    expect(status).toBe(200);
    const token = String(body["access_token"]);
    expect(scopesOf(token)).toEqual(expect.arrayContaining(ADMIN_SCOPES));
    expect((await api(token, "GET", "/clients")).status).toBe(200);
  });

  it("of an application without a Management API grant: 403 access_denied", async () => {
    const app = fx.tenant.createM2MApplication([]);
    expect(await clientCredentials(app.clientId, app.clientSecret)).toMatchObject({ status: 403, body: { error: "access_denied" } });
  });

  it("of the proxy application (no client-credentials grant, no Management API grant): refused", async () => {
    const { status, body } = await clientCredentials(proxy.clientId, proxy.clientSecret);
    expect(status).toBe(403);
    expect(body).not.toHaveProperty("access_token");
  });
});

describe("a user's login for the Management API audience", () => {
  it("through the proxy application (authorization code + PKCE): only current_user scopes, admin calls refused with 403 insufficient_scope", async () => {
    const client = new RawClient(fx.tenant, trusted.fetch);
    client.clientId = proxy.clientId;
    client.clientSecret = proxy.clientSecret;
    const { status, body } = await userLogin(client, `openid offline_access read:current_user ${ADMIN_SCOPES.join(" ")}`);
    expect(status).toBe(200);
    const token = String(body["access_token"]);
    const claims = decodeJwt(token);
    expect(claims["aud"]).toBe(audience);
    expect(claims["sub"]).toBe(fx.tenant.store.users.find((u) => u.email === "admin@example.com")?.user_id);
    expect(scopesOf(token)).toContain("read:current_user");
    for (const s of scopesOf(token)) expect(CURRENT_USER_SCOPES).toContain(s);
    await expectAdminRefused(token);
    // The Management API does not allow offline access: no refresh token to trade for more.
    expect(body).not.toHaveProperty("refresh_token");
  });

  it("through a DCR client: refused at the token endpoint (no client grant for the Management API)", async () => {
    fx.tenant.store.settings.flags["enable_dynamic_client_registration"] = true;
    fx.tenant.store.findConnectionByName("Username-Password-Authentication")!.is_domain_connection = true;
    const client = new RawClient(fx.tenant, trusted.fetch);
    expect((await client.register({ client_name: "Sneaky" })).status).toBe(201);
    const { status, body } = await userLogin(client, `openid ${ADMIN_SCOPES.join(" ")}`);
    expect(status).toBe(403);
    expect(body).not.toHaveProperty("access_token");
  });

  it("with a refresh token of the API the user logged in to: the token is for that API, never for /api/v2 admin", async () => {
    const client = new RawClient(fx.tenant, trusted.fetch);
    client.clientId = proxy.clientId;
    client.clientSecret = proxy.clientSecret;
    fx.tenant.store.resourceServerByIdentifier(IDENTIFIER)!.allow_offline_access = true;
    const flow = await client.authorize({ audience: IDENTIFIER, scope: "openid offline_access tool:whoami" });
    const first = await client.exchange(flow);
    const refreshToken = String(first.body["refresh_token"]);
    expect(refreshToken).not.toBe("undefined");
    // Asking to switch the audience to the Management API on refresh is ignored, as on Auth0.
    const refreshed = await client.token({ grant_type: "refresh_token", refresh_token: refreshToken, audience });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const token = String(refreshed.body["access_token"]);
    expect(decodeJwt(token)["aud"]).toBe(IDENTIFIER);
    expect((await api(token, "GET", "/clients")).status).toBe(401);
  });

  it("with the password grant: not offered", async () => {
    const response = await trusted.fetch(`${fx.tenant.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "password",
        username: "admin@example.com",
        password: "x",
        client_id: proxy.clientId,
        client_secret: proxy.clientSecret,
        audience,
        scope: ADMIN_SCOPES.join(" "),
      }).toString(),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.json()).not.toHaveProperty("access_token");
  });
});
