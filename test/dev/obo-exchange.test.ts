import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

import type { ManagementClient } from "auth0";
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, SignJWT } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { OBO_ERRORS } from "../../src/local-tenant/oauth/token-exchange.js";
import { AUTH0_ERRORS } from "../../src/local-tenant/oauth/policy.js";
import { sdkFor, type Sdk } from "../local-tenant/helpers.js";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { authorize, connect, HeadlessOAuthProvider, trustingFetch } from "./support/mcp-client.js";
import { createMcpTestServer, type McpTestServer } from "./support/mcp-server.js";

/*
 * On-Behalf-Of token exchange on the dev tenant (issue 23), with code nobody here wrote on both
 * sides of it: an MCP client (the MCP SDK) logs a user in by DCR and PKCE and calls a tool; the MCP
 * server exchanges the user's token with oauth4webapi's RFC 8693 grant request and calls a
 * downstream API that verifies the new token with jose against the tenant's JWKS. The tenant is set
 * up as Auth0's OBO guide does it, through the Management API: `mcp-auth0 init` for the MCP server's
 * API, then the auth0 SDK for the Custom API client, the downstream API and its grant and role.
 * Then each refusal, with Auth0's answer.
 */

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const DOWNSTREAM = "https://calendar.example.com/api";
/** An API the Custom API client has no grant for. */
const UNGRANTED = "https://billing.example.com/api";
/** APIs that call on: calendar → contacts → mail → archive, each through its own Custom API client. */
const HOPS = ["https://contacts.example.com/api", "https://mail.example.com/api", "https://archive.example.com/api"];

interface Credentials {
  clientId: string;
  clientSecret: string;
}

let fixture: Fixture;
let trusted: ReturnType<typeof trustingFetch>;
let sdk: Sdk;
let management: ManagementClient;
let mcp: McpTestServer;
let api: { url: string; server: Server };
let mcpClient: Credentials;
/** The Custom API clients of DOWNSTREAM and of the first two HOPS. */
const hopClients: Credentials[] = [];
let userToken: string;

const issuer = () => `${fixture.tenant.url}/`;
const userId = (email: string) => fixture.tenant.store.users.find((u) => u.email === email)!.user_id;

/** The exchange as the MCP server performs it: oauth4webapi's generic grant request, client_secret_post. */
async function exchange(credentials: Credentials, subjectToken: string, audience: string, scope?: string): Promise<oauth.TokenEndpointResponse> {
  const options = { [oauth.customFetch]: trusted.fetch };
  const as = await oauth.processDiscoveryResponse(new URL(issuer()), await oauth.discoveryRequest(new URL(issuer()), options));
  const client = { client_id: credentials.clientId };
  const parameters = { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, requested_token_type: ACCESS_TOKEN, audience, ...(scope ? { scope } : {}) };
  const response = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretPost(credentials.clientSecret), TOKEN_EXCHANGE, parameters, options);
  return oauth.processGenericTokenEndpointResponse(as, client, response);
}

/** The same request sent raw, to see the status and body of a refusal. */
async function exchangeRaw(fields: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const body = new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, requested_token_type: ACCESS_TOKEN, ...fields });
  const response = await trusted.fetch(`${fixture.tenant.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  return { status: response.status, body: await response.json() };
}

const asClient = (credentials: Credentials) => ({ client_id: credentials.clientId, client_secret: credentials.clientSecret });

/** The downstream API: verifies bearer tokens with jose and answers with the claims it saw. */
async function startDownstreamApi(): Promise<{ url: string; server: Server }> {
  const jwks = createRemoteJWKSet(new URL(`${issuer()}.well-known/jwks.json`), { [customFetch]: trusted.fetch });
  const server = createServer((req, res) => {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    jwtVerify(token, jwks, { issuer: issuer(), audience: DOWNSTREAM, typ: "at+jwt", algorithms: ["RS256"] })
      .then(({ payload }) => {
        const { sub, aud, client_id, act, permissions, scope } = payload;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ sub, aud, client_id, act, permissions, scope }));
      })
      .catch((error: unknown) => res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/calendar`, server };
}

/** A Custom API client linked to `linkedTo`, with the exchange on, granted `scope` on `downstream` for users. */
async function customApiClient(linkedTo: string, downstream: string, scope: string[]): Promise<Credentials> {
  const client = await management.clients.create({
    name: `Custom API client of ${linkedTo}`,
    app_type: "resource_server",
    resource_server_identifier: linkedTo,
    token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] },
  });
  await management.clientGrants.create({ client_id: client.client_id!, audience: downstream, scope, subject_type: "user" });
  return { clientId: client.client_id!, clientSecret: client.client_secret! };
}

beforeAll(async () => {
  fixture = await freshFixture({ oauth: { autoLogin: "user@example.com" } });
  trusted = trustingFetch(fixture.tenant.caCertPem);
  api = await startDownstreamApi();
  mcp = await createMcpTestServer({
    fetch: trusted.fetch,
    registerTools: (server) =>
      server.registerTool("calendar", { description: "Reads the user's calendar through the downstream API", outputSchema: { seen: z.unknown() } }, async (extra) => {
        const exchanged = await exchange(mcpClient, extra.authInfo!.token, DOWNSTREAM);
        const answer = await fetch(api.url, { headers: { authorization: `Bearer ${exchanged.access_token}` } });
        const seen = (await answer.json()) as unknown;
        return { content: [{ type: "text", text: JSON.stringify(seen) }], structuredContent: { seen } };
      }),
  });

  // The MCP server's API, as `mcp-auth0 init` provisions it (DCR, the compatibility profile, roles…).
  const init = await cli(
    exampleArgs(fixture.dir).map((arg) => (arg === IDENTIFIER ? mcp.url : arg)),
    { env: fixture.env, ca: fixture.tenant.caCertPem, cwd: fixture.dir },
  );
  expect(init.code, init.stderr).toBe(0);
  await mcp.start(join(fixture.dir, ".env"));

  // The rest as Auth0's OBO guide does it, through the Management API.
  sdk = sdkFor(fixture.tenant);
  management = sdk.client;
  await management.resourceServers.create({
    identifier: DOWNSTREAM,
    name: "Calendar API",
    signing_alg: "RS256",
    token_dialect: "rfc9068_profile_authz",
    enforce_policies: true,
    scopes: ["read:calendar", "write:calendar", "delete:calendar"].map((value) => ({ value })),
    subject_type_authorization: { user: { policy: "require_client_grant" }, client: { policy: "require_client_grant" } },
  });
  for (const identifier of [UNGRANTED, ...HOPS]) await management.resourceServers.create({ identifier, scopes: [{ value: "read:all" }], token_dialect: "rfc9068_profile" });
  mcpClient = await customApiClient(mcp.url, DOWNSTREAM, ["read:calendar", "write:calendar"]);
  hopClients.push(await customApiClient(DOWNSTREAM, HOPS[0]!, ["read:all"]));
  for (let i = 0; i < 2; i++) hopClients.push(await customApiClient(HOPS[i]!, HOPS[i + 1]!, ["read:all"]));
  // The user may read and delete calendars; the grant lets the MCP server read and write them.
  const reader = await management.roles.create({ name: "Calendar Reader" });
  await management.roles.permissions.add(reader.id!, {
    permissions: ["read:calendar", "delete:calendar"].map((permission_name) => ({ resource_server_identifier: DOWNSTREAM, permission_name })),
  });
  await management.roles.users.assign(reader.id!, { users: [userId("user@example.com")] });

  userToken = (await authorize(mcp.url, new HeadlessOAuthProvider(trusted.fetch, { loginHint: "user@example.com" }), trusted.fetch)).access_token;
});

afterAll(async () => {
  await mcp?.close();
  await new Promise((resolve) => api?.server.close(resolve));
  await sdk?.close();
  await trusted?.close();
  await fixture?.tenant.close();
});

describe("On-Behalf-Of token exchange, end to end", () => {
  it("the downstream API sees the user's sub, its own aud, the MCP server as actor, and only what the user's roles grant there", async () => {
    const user = new HeadlessOAuthProvider(trusted.fetch, { loginHint: "user@example.com" });
    await authorize(mcp.url, user, trusted.fetch);
    const session = await connect(mcp.url, user, trusted.fetch);
    const result = await session.client.callTool({ name: "calendar", arguments: {} });
    await session.close();
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect((result.structuredContent as { seen: unknown }).seen).toEqual({
      sub: userId("user@example.com"),
      aud: DOWNSTREAM,
      client_id: mcpClient.clientId,
      // The MCP server on top of the MCP client the user logged in with (a DCR client).
      act: { sub: mcpClient.clientId, act: { sub: user.clientInformation()!.client_id } },
      // Roles: read and delete; grant: read and write.
      permissions: ["read:calendar"],
      scope: "read:calendar",
    });

    // A user whose roles give nothing on the downstream API gets a token that holds nothing.
    const admin = new HeadlessOAuthProvider(trusted.fetch, { loginHint: "admin@example.com" });
    await authorize(mcp.url, admin, trusted.fetch);
    const asAdmin = await connect(mcp.url, admin, trusted.fetch);
    const adminResult = await asAdmin.client.callTool({ name: "calendar", arguments: {} });
    await asAdmin.close();
    const adminSeen = (adminResult.structuredContent as { seen: Record<string, unknown> }).seen;
    expect(adminSeen).toMatchObject({ sub: userId("admin@example.com"), aud: DOWNSTREAM, permissions: [] });
    expect(adminSeen).not.toHaveProperty("scope");
  });

  it("answers as Auth0 documents: issued_token_type, the downstream API's lifetime, and scope only when it differs from the request", async () => {
    const all = await exchange(mcpClient, userToken, DOWNSTREAM);
    expect(all).toMatchObject({ token_type: "bearer", issued_token_type: ACCESS_TOKEN, expires_in: 86400, scope: "read:calendar" });
    const asked = await exchange(mcpClient, userToken, DOWNSTREAM, "read:calendar");
    expect(asked).not.toHaveProperty("scope");
    expect(decodeJwt(asked.access_token)).toMatchObject({ scope: "read:calendar", permissions: ["read:calendar"] });
    // Asked for write, which the grant allows but the user's roles do not: dropped, and said so.
    const narrowed = await exchange(mcpClient, userToken, DOWNSTREAM, "read:calendar write:calendar");
    expect(narrowed.scope).toBe("read:calendar");
  });

  it("chains: each API's Custom API client exchanges the token it received, and the act claim nests them all", async () => {
    const calendar = (await exchange(mcpClient, userToken, DOWNSTREAM)).access_token;
    const contacts = (await exchange(hopClients[0]!, calendar, HOPS[0]!)).access_token;
    const mail = decodeJwt((await exchange(hopClients[1]!, contacts, HOPS[1]!)).access_token);
    const original = decodeJwt(userToken)["client_id"];
    expect(mail).toMatchObject({
      sub: userId("user@example.com"),
      aud: HOPS[1],
      client_id: hopClients[1]!.clientId,
      scope: "read:all",
      act: { sub: hopClients[1]!.clientId, act: { sub: hopClients[0]!.clientId, act: { sub: mcpClient.clientId, act: { sub: original } } } },
    });
  });
});

describe("refusals, with Auth0's answer", () => {
  it("a chain too deep: a subject token that already has four nested act levels", async () => {
    const calendar = (await exchange(mcpClient, userToken, DOWNSTREAM)).access_token;
    const contacts = (await exchange(hopClients[0]!, calendar, HOPS[0]!)).access_token;
    const mail = (await exchange(hopClients[1]!, contacts, HOPS[1]!)).access_token;
    expect(await exchangeRaw({ ...asClient(hopClients[2]!), subject_token: mail, audience: HOPS[2]! })).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Delegation chain (`act` claim) depth exceeds the maximum allowed limit of 4" },
    });
  });

  it("a subject token issued for another audience than the client's API", async () => {
    const calendar = (await exchange(mcpClient, userToken, DOWNSTREAM)).access_token;
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: calendar, audience: DOWNSTREAM })).toEqual({
      status: 403,
      body: { error: "access_denied", error_description: OBO_ERRORS.foreignAudience(mcp.url) },
    });
  });

  it("an expired subject token", async () => {
    const expired = fixture.tenant.issueManagementToken([], { expiresInSeconds: -60 });
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: expired, audience: DOWNSTREAM })).toEqual({
      status: 401,
      body: { error: "invalid_request", error_description: "The subject_token has expired" },
    });
  });

  it("a subject token the tenant did not sign", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forged = await new SignJWT({ client_id: "someone", scope: "tool:whoami" })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt" })
      .setIssuer(issuer())
      .setAudience(mcp.url)
      .setSubject(userId("user@example.com"))
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: forged, audience: DOWNSTREAM })).toEqual({
      status: 401,
      body: { error: "invalid_request", error_description: "Invalid subject_token" },
    });
  });

  it("a client without the grant for the downstream API, or for one of the scopes it asks", async () => {
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: userToken, audience: UNGRANTED })).toEqual({
      status: 403,
      body: { error: "access_denied", error_description: AUTH0_ERRORS.notGranted(UNGRANTED) },
    });
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: userToken, audience: DOWNSTREAM, scope: "read:calendar delete:calendar" })).toEqual({
      status: 403,
      body: { error: "access_denied", error_description: "Client has not been granted scopes: delete:calendar" },
    });
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: userToken, audience: "https://nowhere.example.com/" })).toEqual({
      status: 403,
      body: { error: "access_denied", error_description: "Service not enabled within domain: https://nowhere.example.com/" },
    });
  });

  it("a client that is not a Custom API client with the exchange on", async () => {
    const notAllowed = { status: 403, body: { error: "unauthorized_client", error_description: `Grant type '${TOKEN_EXCHANGE}' not allowed for the client.` } };
    const webApp = await management.clients.create({ name: "Regular web app", app_type: "regular_web", callbacks: ["https://app.example.com/callback"] });
    expect(await exchangeRaw({ client_id: webApp.client_id!, client_secret: webApp.client_secret!, subject_token: userToken, audience: DOWNSTREAM })).toEqual(notAllowed);

    // The MCP server's own Custom API client, with the exchange turned off in its settings.
    await management.clients.update(mcpClient.clientId, { token_exchange: { allow_any_profile_of_type: [] } });
    try {
      expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: userToken, audience: DOWNSTREAM })).toEqual(notAllowed);
    } finally {
      await management.clients.update(mcpClient.clientId, { token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] } });
    }
  });

  it("a request without the documented parameters", async () => {
    const { requested_token_type: _omitted, ...withoutRequestedType } = { ...asClient(mcpClient), subject_token: userToken, audience: DOWNSTREAM, requested_token_type: "" };
    const body = new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, ...withoutRequestedType });
    const response = await trusted.fetch(`${fixture.tenant.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Missing required parameter: requested_token_type" },
    });
    expect(await exchangeRaw({ ...asClient(mcpClient), subject_token: userToken, audience: DOWNSTREAM, subject_token_type: "urn:ietf:params:oauth:token-type:id_token" })).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Unsupported subject_token_type: urn:ietf:params:oauth:token-type:id_token" },
    });
  });
});
