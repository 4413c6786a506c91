import { createServer, type Server } from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";
import { exampleArgs, IDENTIFIER, ROLES_YAML } from "../support/tenant.js";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { createPrivateKeyJwtAuth } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import { asUser, AuthorizationError, authorize, connect, HeadlessOAuthProvider, StoppedAtPage, trustingFetch, whoami, type PageAnswer } from "./support/mcp-client.js";
import { createMcpTestServer, type McpTestServer } from "./support/mcp-server.js";
import { RawClient, REDIRECT_URI } from "./support/oauth.js";

/*
 * Where Auth0 fails and where it does not (AUTH0-FACTS, "Corrections and additions"), each shown
 * with the MCP SDK's own client through the dev tenant's login and consent pages: first the tenant
 * setting that makes Auth0 fail, and the failure as a user meets it; then the fix (an mcp-auth0
 * command, or the setting), and the same client getting through to the MCP server's tool.
 */

let dir: string;
let dev: DevTenant;
let mcp: McpTestServer;
let trusted: ReturnType<typeof trustingFetch>;
let documents: { server: Server; url: string; confidentialUrl: string; privateKey: JWK; caCertPem: string };

const local = (args: string[]) => cli([...args, "--local"], { cwd: dir });
const initArgs = () => exampleArgs(dir).map((arg) => (arg === IDENTIFIER ? mcp.url : arg));
const client = (answer: PageAnswer = asUser("admin@example.com"), extra: Omit<ConstructorParameters<typeof HeadlessOAuthProvider>[1], "answer"> = {}) =>
  new HeadlessOAuthProvider(trusted.fetch, { answer, ...extra });

/** The MCP client logs in and calls `whoami`: what a user would see work. */
async function loginAndCall(provider: HeadlessOAuthProvider): Promise<string[]> {
  await authorize(mcp.url, provider, trusted.fetch);
  const session = await connect(mcp.url, provider, trusted.fetch);
  try {
    return [...(await whoami(session)).permissions].sort();
  } finally {
    await session.close();
  }
}

async function failure(provider: HeadlessOAuthProvider): Promise<unknown> {
  return authorize(mcp.url, provider, trusted.fetch).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/**
 * Client ID Metadata Documents on their own HTTPS host, as an MCP client vendor serves them: a
 * public client (`url`) and a confidential one authenticating with Private Key JWT (`confidentialUrl`,
 * its public key at /oauth/jwks.json, its private key in `privateKey`).
 */
async function documentServer(): Promise<typeof documents> {
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  const keys = await generateKeyPair("ES256", { extractable: true });
  const publicKey = { ...(await exportJWK(keys.publicKey)), kid: "key-1", alg: "ES256" };
  let origin = "";
  const client = (path: string, extra: Record<string, unknown>) => ({
    client_id: `${origin}${path}`,
    client_name: "CIMD MCP client",
    client_uri: "https://client.example.com",
    redirect_uris: [REDIRECT_URI],
    grant_types: ["authorization_code", "refresh_token"],
    ...extra,
  });
  const served: Record<string, () => unknown> = {
    "/oauth/client.json": () => client("/oauth/client.json", { token_endpoint_auth_method: "none" }),
    "/oauth/confidential.json": () => client("/oauth/confidential.json", { token_endpoint_auth_method: "private_key_jwt", jwks_uri: `${origin}/oauth/jwks.json` }),
    "/oauth/jwks.json": () => ({ keys: [publicKey] }),
  };
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const document = served[req.url ?? ""];
    if (!document) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url: `${origin}/oauth/client.json`, confidentialUrl: `${origin}/oauth/confidential.json`, privateKey: await exportJWK(keys.privateKey), caCertPem: pems.cert };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-behaviours-"));
  await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
  documents = await documentServer();
  const documentFetch = trustingFetch(documents.caCertPem);
  // No auto-login: every login goes through the login page and the consent screen.
  dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0"), fetch: documentFetch.fetch });
  trusted = trustingFetch(dev.caCertPem);
  mcp = await createMcpTestServer({ fetch: trusted.fetch });
  expect((await local(initArgs())).code).toBe(0);
  await mcp.start(join(dir, ".env"));
});

afterAll(async () => {
  await mcp?.close();
  await dev?.close();
  await trusted?.close();
  documents?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a third-party client without an effective audience", () => {
  it("gets Auth0's userinfo-audience error (a first-party app an opaque token); init's compatibility profile fixes it", async () => {
    const { settings } = dev.store;
    settings["resource_parameter_profile"] = "audience";
    delete settings["default_audience"];
    dev.store.changed();

    // The MCP SDK sends `resource` only, which Auth0 ignores outside the compatibility profile.
    const dcr = client();
    const error = await failure(dcr);
    expect(error).toBeInstanceOf(StoppedAtPage);
    expect((error as StoppedAtPage).page.status).toBe(400);
    expect((error as StoppedAtPage).message).toContain("The userinfo audience is not allowed for third party clients. Please specify a valid API audience.");
    expect(dcr.callback).toBeUndefined();

    // A first-party application asking the same gets a token, but an opaque one.
    const firstParty = dev.store.addClient({ name: "First-party app", app_type: "spa", callbacks: [REDIRECT_URI], grant_types: ["authorization_code"] });
    dev.store.findConnectionByName("Username-Password-Authentication")!.enabled_clients.push(firstParty.client_id);
    const raw = new RawClient(dev, trusted.fetch, true);
    raw.clientId = firstParty.client_id;
    const login = await raw.authorize({ resource: mcp.url, scope: "openid" });
    const admin = dev.store.users.find((u) => u.email === "admin@example.com")!;
    const token = await raw.exchange(await raw.submit(login, { user_id: admin.user_id }));
    expect(token.status).toBe(200);
    expect(String(token.body["access_token"]).split(".")).not.toHaveLength(3);

    expect((await local(initArgs())).code).toBe(0);
    expect(await loginAndCall(client())).toEqual(["tool:greet", "tool:whoami"]);
  });
});

describe("authentication errors of strict third-party clients", () => {
  it("without a domain-level connection: Auth0's error page, no redirect; promote-connection fixes it", async () => {
    expect((await local(["promote-connection", "--demote", "Username-Password-Authentication", "google-oauth2"])).code).toBe(0);
    const dcr = client();
    const error = await failure(dcr);
    expect(error).toBeInstanceOf(StoppedAtPage);
    expect((error as StoppedAtPage).page.html).toContain("Oops!, something went wrong");
    expect((error as StoppedAtPage).message).toMatch(/invalid_request ?: no connections enabled for the client/);
    // The MCP client's callback is never called: it would wait for it forever.
    expect(dcr.visited.some((u) => u.href.startsWith(REDIRECT_URI))).toBe(false);

    expect((await local(["promote-connection", "Username-Password-Authentication", "google-oauth2"])).code).toBe(0);
    expect(await loginAndCall(client())).toEqual(["tool:greet", "tool:whoami"]);
  });

  it("a declined consent: the error page; accepted: the tool call", async () => {
    const declined = client(asUser("admin@example.com", "decline"));
    const error = await failure(declined);
    expect(error).toBeInstanceOf(StoppedAtPage);
    expect((error as StoppedAtPage).message).toMatch(/access_denied ?: User did not authorize the request/);
    expect(declined.callback).toBeUndefined();

    expect(await loginAndCall(client(asUser("admin@example.com", "accept")))).toEqual(["tool:greet", "tool:whoami"]);
  });

  it("a client whose redirection_policy is allow_always is sent back to its callback with the error instead", async () => {
    const provider = client(asUser("user@example.com", "decline"));
    // Register first (the first auth() call does), then change the client as an admin would.
    await failure(provider);
    dev.store.findClient(provider.clientInformation()!.client_id)!["redirection_policy"] = "allow_always";
    const error = await failure(provider);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).toMatchObject({ error: "access_denied", description: "User did not authorize the request" });
  });
});

describe("Dynamic Client Registration", () => {
  it("off: the registration endpoint is still advertised, the MCP client's registration gets 400 'disabled'; init turns it on", async () => {
    dev.store.settings.flags["enable_dynamic_client_registration"] = false;
    dev.store.changed();
    const error = await failure(client());
    expect(String(error)).toBe("InvalidRequestError: Dynamic client registration is disabled for this tenant");
    const direct = await trusted.fetch(`${dev.url}/oidc/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
    });
    expect(direct.status).toBe(400);
    expect(await direct.json()).toEqual({ error: "invalid_request", error_description: "Dynamic client registration is disabled for this tenant" });

    expect((await local(initArgs())).code).toBe(0);
    expect(await loginAndCall(client())).toEqual(["tool:greet", "tool:whoami"]);
  });

  it("a permissive tenant gives DCR clients ordinary ids (still third-party); a strict one tpc_ ids in strict mode", async () => {
    delete dev.store.settings["dynamic_client_registration_security_mode"];
    dev.store.changed();
    const permissive = client();
    expect(await loginAndCall(permissive)).toEqual(["tool:greet", "tool:whoami"]);
    const permissiveId = permissive.clientInformation()!.client_id;
    expect(permissiveId).not.toMatch(/^tpc_/);
    expect(dev.store.findClient(permissiveId)).toMatchObject({ is_first_party: false });
    expect(dev.store.findClient(permissiveId)).not.toHaveProperty("third_party_security_mode");

    dev.store.settings["dynamic_client_registration_security_mode"] = "strict";
    dev.store.changed();
    const strict = client();
    expect(await loginAndCall(strict)).toEqual(["tool:greet", "tool:whoami"]);
    const strictId = strict.clientInformation()!.client_id;
    expect(strictId).toMatch(/^tpc_/);
    expect(dev.store.findClient(strictId)).toMatchObject({ is_first_party: false, third_party_security_mode: "strict" });
  });

  it("without grant_types a registration gets authorization_code only: no refresh token; with refresh_token it refreshes", async () => {
    // The client asks for offline_access, as an MCP client that wants to stay connected does.
    const scope = "tool:whoami tool:greet offline_access";
    const bare = client(asUser("admin@example.com"), { registration: { grant_types: undefined } });
    await authorize(mcp.url, bare, trusted.fetch, scope);
    expect(bare.clientInformation()).toMatchObject({ grant_types: ["authorization_code"] });
    expect(dev.store.findClient(bare.clientInformation()!.client_id)!.grant_types).toEqual(["authorization_code"]);
    expect(bare.tokens()?.access_token).toEqual(expect.any(String));
    expect(bare.tokens()).not.toHaveProperty("refresh_token");

    const refreshing = client(asUser("admin@example.com"), { registration: { grant_types: ["authorization_code", "refresh_token"] } });
    const first = await authorize(mcp.url, refreshing, trusted.fetch, scope);
    expect(first.refresh_token).toEqual(expect.any(String));
    // What the SDK does when the access token has expired: refresh, without the user.
    refreshing.visited = [];
    expect(await auth(refreshing, { serverUrl: mcp.url, fetchFn: trusted.fetch })).toBe("AUTHORIZED");
    expect(refreshing.tokens()!.access_token).not.toBe(first.access_token);
    expect(refreshing.visited).toHaveLength(0);
    const session = await connect(mcp.url, refreshing, trusted.fetch);
    try {
      expect((await whoami(session)).permissions.sort()).toEqual(["tool:greet", "tool:whoami"]);
    } finally {
      await session.close();
    }
  });
});

describe("Client ID Metadata Documents", () => {
  async function managementToken(): Promise<string> {
    const token = await trusted.fetch(`${dev.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: dev.m2m.clientId, client_secret: dev.m2m.clientSecret, audience: `https://${dev.domain}/api/v2/` }),
    });
    return ((await token.json()) as { access_token: string }).access_token;
  }

  async function management(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> | Array<Record<string, unknown>> }> {
    const answer = await trusted.fetch(`${dev.url}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${await managementToken()}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  }
  const importCimd = (url: string) => management("POST", "/clients/cimd/register", { external_client_id: url });

  it("import needs the setting; a URL never imported is an unknown client; imported, it gets a tpc_ id and logs in under its URL", async () => {
    expect(await importCimd(documents.url)).toMatchObject({
      status: 400,
      body: { errorCode: "invalid_body", message: expect.stringContaining("client_id_metadata_document_supported") },
    });
    expect(dev.store.findCimdClient(documents.url)).toBeUndefined();

    const discovery = async () => (await (await trusted.fetch(`${dev.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(await discovery()).not.toHaveProperty("client_id_metadata_document_supported");
    expect((await local([...initArgs(), "--cimd"])).code).toBe(0);
    expect(await discovery()).toMatchObject({ client_id_metadata_document_supported: true });

    // The MCP SDK prefers CIMD when advertised: it sends its document's URL as client_id, unregistered,
    // and Auth0 stops it before any login with its error page.
    const before = client(asUser("admin@example.com"), { clientMetadataUrl: documents.url });
    const error = await failure(before);
    expect(error).toBeInstanceOf(StoppedAtPage);
    expect((error as StoppedAtPage).page.status).toBe(400);
    expect((error as StoppedAtPage).message).toContain(`invalid_request : Unknown client: ${documents.url}`);
    expect((error as StoppedAtPage).message).not.toContain("saved registration");
    expect(before.visited).toHaveLength(1);
    expect(before.visited[0]!.searchParams.get("client_id")).toBe(documents.url);

    const created = await importCimd(documents.url);
    expect(created).toMatchObject({
      status: 201,
      body: {
        client_id: expect.stringMatching(/^tpc_/),
        mapped_fields: {
          external_client_id: documents.url,
          name: "CIMD MCP client",
          callbacks: [REDIRECT_URI],
          grant_types: ["authorization_code", "refresh_token"],
          app_type: "regular_web",
        },
        validation: { valid: true, warnings: [expect.stringContaining("Ignoring unsupported properties: client_uri.")] },
      },
    });
    const id = (created.body as Record<string, unknown>)["client_id"];
    // Idempotent: importing again updates the same client.
    expect(await importCimd(documents.url)).toMatchObject({ status: 200, body: { client_id: id } });
    const listed = await management("GET", `/clients?external_client_id=${encodeURIComponent(documents.url)}`);
    expect(listed.body).toEqual([
      expect.objectContaining({
        client_id: id,
        external_client_id: documents.url,
        external_metadata_type: "cimd",
        external_metadata_created_by: "admin",
        is_first_party: false,
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
      }),
    ]);
    expect((await management("GET", `/clients?external_client_id=${encodeURIComponent("https://other.example.com/client.json")}`)).body).toEqual([]);

    const imported = client(asUser("admin@example.com"), { clientMetadataUrl: documents.url });
    expect(await loginAndCall(imported)).toEqual(["tool:greet", "tool:whoami"]);
    // The token names the client by its URL, as Auth0's does; the code exchange used the URL too.
    expect(decodeJwt(imported.tokens()!.access_token)).toMatchObject({ client_id: documents.url, aud: mcp.url, scope: "tool:whoami tool:greet" });
    expect(decodeJwt(imported.tokens()!.access_token)["client_id"]).not.toBe(id);
  });

  it("a confidential client's Private Key JWT: its keys are taken from jwks_uri at import, and its code exchange must carry an assertion", async () => {
    const created = await importCimd(documents.confidentialUrl);
    expect(created).toMatchObject({
      status: 201,
      body: {
        mapped_fields: {
          token_endpoint_auth_method: "private_key_jwt",
          jwks_uri: documents.confidentialUrl.replace("confidential.json", "jwks.json"),
          client_authentication_methods: { private_key_jwt: { credentials: [{ credential_type: "public_key", kid: "key-1", alg: "ES256" }] } },
        },
      },
    });

    // Without an assertion the code exchange is refused; with one signed by the client's key it logs in.
    const unauthenticated = client(asUser("admin@example.com"), { clientMetadataUrl: documents.confidentialUrl });
    expect(String(await failure(unauthenticated))).toMatch(/^InvalidClientError/);
    const signing = client(asUser("admin@example.com"), {
      clientMetadataUrl: documents.confidentialUrl,
      clientAuthentication: createPrivateKeyJwtAuth({ issuer: documents.confidentialUrl, subject: documents.confidentialUrl, privateKey: documents.privateKey, alg: "ES256" }),
    });
    expect(await loginAndCall(signing)).toEqual(["tool:greet", "tool:whoami"]);
    expect(decodeJwt(signing.tokens()!.access_token)).toMatchObject({ client_id: documents.confidentialUrl });
  });
});

describe("a client_id this dev tenant never issued", () => {
  it("gets Auth0's Unknown client page, and the dev tenant's own line on the registration an MCP client kept from another dev tenant at this address", async () => {
    // What the MCP Inspector sends after the data directory was deleted: the registration it keeps for this issuer.
    const url = new URL(`${dev.url}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: "tpc_FromAnotherDevTenant",
      redirect_uri: "http://127.0.0.1:6276/oauth/callback",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      resource: mcp.url,
    }))
      url.searchParams.set(k, v);
    const page = await trusted.fetch(url, { redirect: "manual" });
    const html = await page.text();
    expect(page.status).toBe(400);
    expect(html).toContain("invalid_request</strong>: Unknown client: tpc_FromAnotherDevTenant");
    expect(html).toContain(`another dev tenant at ${dev.issuer}`);
    expect(html).toContain("delete its saved registration for this issuer (MCP Inspector: ~/.mcp-inspector/storage/oauth.json)");
  });
});
