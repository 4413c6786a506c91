import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";

import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";
import { exampleArgs, IDENTIFIER, ROLES_YAML } from "../support/tenant.js";
import { authorize, connect, HeadlessOAuthProvider, StoppedAtPage, trustingFetch, whoami } from "./support/mcp-client.js";
import { createMcpTestServer, type McpTestServer } from "./support/mcp-server.js";

/*
 * The README's no-account path, end to end: `mcp-auth0 dev`, `mcp-auth0 init --local` with the
 * example of issue 1/8, an MCP server that reads the `.env` init wrote, and an MCP client that
 * discovers, registers by DCR and logs in with PKCE and `resource` — then the three
 * misconfigurations that fail on Auth0, failing here the same way.
 */

// The example's roles, with a user for "Tool User" too.
const ROLES = ROLES_YAML.replace("    permissions: [tool:whoami]\n", "    permissions: [tool:whoami]\n    users: [user@example.com]\n");

let dir: string;
let dataDir: string;
let dev: DevTenant;
let mcp: McpTestServer;
let trusted: ReturnType<typeof trustingFetch>;

/** `mcp-auth0 <args> --local`, run in-process from the project directory, as a user would. */
const local = (args: string[]) => cli([...args, "--local"], { cwd: dir });
const initArgs = () => exampleArgs(dir).map((arg) => (arg === IDENTIFIER ? mcp.url : arg));
const newClient = (email: string) => new HeadlessOAuthProvider(trusted.fetch, { loginHint: email });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-dev-"));
  dataDir = join(dir, ".mcp-auth0");
  await writeFile(join(dir, "roles.yaml"), ROLES);
  dev = await startDevTenant({ port: 0, dataDir, autoLogin: "user@example.com" });
  trusted = trustingFetch(dev.caCertPem);
  mcp = await createMcpTestServer({ fetch: trusted.fetch });

  const init = await local(initArgs());
  expect(init.stderr).toMatch(/Ready for MCP clients/);
  expect(init.code).toBe(0);
  await mcp.start(join(dir, ".env"));
});

afterAll(async () => {
  await mcp?.close();
  await dev?.close();
  await trusted?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the dev tenant, init --local, an MCP server and a headless MCP client", () => {
  it("init --local found the tenant from connection.json and wrote the server's .env", async () => {
    const connection = JSON.parse(await readFile(join(dataDir, "connection.json"), "utf8"));
    expect(connection).toEqual({ domain: dev.domain, clientId: dev.m2m.clientId, clientSecret: dev.m2m.clientSecret, caCertPath: join(dataDir, "ca.pem"), pid: process.pid });
    expect((await stat(join(dataDir, "connection.json"))).mode & 0o777).toBe(0o600);
    const env = await readFile(join(dir, ".env"), "utf8");
    expect(env).toContain(`AUTH0_DOMAIN=${dev.domain}\n`);
    expect(env).toContain(`AUTH0_AUDIENCE=${mcp.url}\n`);
  });

  it("a Tool User gets tool:whoami only, a Tool Administrator both", async () => {
    const user = newClient("user@example.com");
    const tokens = await authorize(mcp.url, user, trusted.fetch);
    // RFC 9068 JWT access token, signed with the tenant key that the JWKS publishes.
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: "at+jwt", alg: "RS256" });
    // The MCP client registered itself: a third-party client with a tpc_ id, visible to the Management API.
    const registered = user.clientInformation()!.client_id;
    expect(registered).toMatch(/^tpc_/);
    expect(dev.store.findClient(registered)).toMatchObject({ is_first_party: false, callbacks: ["http://127.0.0.1:53682/callback"] });
    // PKCE, the resource parameter and RFC 9207's iss (init turned it on) are all in the flow.
    const request = user.visited[0]!;
    expect(request.searchParams.get("code_challenge_method")).toBe("S256");
    expect(request.searchParams.get("resource")).toBe(mcp.url);
    expect(user.callback!.searchParams.get("iss")).toBe(dev.issuer);

    const asUser = await connect(mcp.url, user, trusted.fetch);
    expect(await whoami(asUser)).toMatchObject({ permissions: ["tool:whoami"], scopes: ["tool:whoami"] });
    await asUser.close();

    const admin = newClient("admin@example.com");
    await authorize(mcp.url, admin, trusted.fetch);
    const asAdmin = await connect(mcp.url, admin, trusted.fetch);
    const adminView = await whoami(asAdmin);
    expect([...adminView.permissions].sort()).toEqual(["tool:greet", "tool:whoami"]);
    expect([...adminView.scopes].sort()).toEqual(["tool:greet", "tool:whoami"]);
    expect(adminView.sub).toBe(dev.store.users.find((u) => u.email === "admin@example.com")!.user_id);
    await asAdmin.close();
  });

  it("without a domain-level connection, login fails on Auth0's error page with 'no connections enabled for the client'", async () => {
    const demoted = await local(["promote-connection", "--demote", "Username-Password-Authentication", "google-oauth2"]);
    expect(demoted.code).toBe(0);
    try {
      const client = newClient("user@example.com");
      const error = await authorize(mcp.url, client, trusted.fetch).catch((e: unknown) => e);
      // A strict third-party client is not sent back to its callback (see auth0-behaviours.test.ts).
      expect(error).toBeInstanceOf(StoppedAtPage);
      expect((error as StoppedAtPage).message).toMatch(/invalid_request ?: no connections enabled for the client/);
      expect(client.callback).toBeUndefined();
    } finally {
      expect((await local(["promote-connection", "Username-Password-Authentication", "google-oauth2"])).code).toBe(0);
    }
  });

  it("without the default third-party grant, the token request fails as on Auth0; init puts it back", async () => {
    const { store } = dev;
    store.clientGrants = store.clientGrants.filter((g) => !(g.audience === mcp.url && g.default_for === "third_party_clients"));
    store.changed();
    try {
      // Record what the token endpoint answers: the SDK retries once after unauthorized_client
      // (with the code already used), so the error it finally throws is not Auth0's.
      const tokenAnswers: Array<{ status: number; body: unknown }> = [];
      const recording = (async (input: string | URL | Request, init?: RequestInit) => {
        const response = await trusted.fetch(input, init);
        if (String(input).endsWith("/oauth/token")) tokenAnswers.push({ status: response.status, body: await response.clone().json() });
        return response;
      }) as typeof fetch;
      await expect(authorize(mcp.url, new HeadlessOAuthProvider(recording, { loginHint: "admin@example.com" }), recording)).rejects.toThrow();
      expect(tokenAnswers[0]).toEqual({
        status: 403,
        body: {
          error: "unauthorized_client",
          error_description: `Client is not authorized to access "${mcp.url}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
        },
      });

      const doctor = await local(["doctor", "--api-identifier", mcp.url]);
      expect(doctor.code).toBe(6);
      expect(doctor.stderr).toMatch(/Default grant for DCR clients\n\s+✖/);
    } finally {
      expect((await local(initArgs())).code).toBe(0);
    }
    await expect(authorize(mcp.url, newClient("admin@example.com"), trusted.fetch)).resolves.toMatchObject({ token_type: "Bearer" });
  });

  it("with the compatibility profile off and no default audience, a DCR client gets Auth0's userinfo-audience error", async () => {
    const { settings } = dev.store;
    settings["resource_parameter_profile"] = "audience";
    try {
      // With a default audience the ignored `resource` does not matter: the token is still for the API.
      const withDefault = await authorize(mcp.url, newClient("user@example.com"), trusted.fetch);
      expect(decodeProtectedHeader(withDefault.access_token).typ).toBe("at+jwt");

      delete settings["default_audience"];
      dev.store.changed();
      const refused = await authorize(mcp.url, newClient("user@example.com"), trusted.fetch).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoppedAtPage);
      expect((refused as StoppedAtPage).message).toContain("The userinfo audience is not allowed for third party clients");
    } finally {
      expect((await local(initArgs())).code).toBe(0);
    }
    expect(settings["resource_parameter_profile"]).toBe("compatibility");
    expect(settings["default_audience"]).toBe(mcp.url);
  });

  it("mcp-auth0 doctor --local passes on the provisioned tenant, MCP server included", async () => {
    const doctor = await local(["doctor", "--api-identifier", mcp.url, "--server-url", mcp.url]);
    expect(doctor.stderr).not.toContain("✖");
    expect(doctor.stderr).toMatch(/Ready for MCP clients/);
    expect(doctor.code).toBe(0);
  });

  it("state survives a restart: same CA, credentials, API and registered clients", async () => {
    const client = newClient("admin@example.com");
    await authorize(mcp.url, client, trusted.fetch);
    const registered = client.clientInformation()!.client_id;
    const before = { ca: dev.caCertPem, connection: await readFile(join(dataDir, "connection.json"), "utf8"), clients: dev.store.clients.length };
    const port = Number(dev.domain.split(":")[1]);

    await dev.close();
    await expect(stat(join(dataDir, "connection.json"))).rejects.toThrow();
    dev = await startDevTenant({ port, dataDir, autoLogin: "user@example.com" });

    expect(dev.caCertPem).toBe(before.ca);
    expect(await readFile(join(dataDir, "connection.json"), "utf8")).toBe(before.connection);
    expect(dev.store.resourceServerByIdentifier(mcp.url)).toMatchObject({ token_dialect: "rfc9068_profile_authz" });
    expect(dev.store.findClient(registered)).toMatchObject({ is_first_party: false });

    // The registered client logs in again without registering anew.
    await authorize(mcp.url, client, trusted.fetch);
    expect(client.visited[0]!.searchParams.get("client_id")).toBe(registered);
    expect(dev.store.clients).toHaveLength(before.clients);
    const session = await connect(mcp.url, client, trusted.fetch);
    expect([...(await whoami(session)).permissions].sort()).toEqual(["tool:greet", "tool:whoami"]);
    await session.close();
    expect((await local(["doctor", "--api-identifier", mcp.url])).code).toBe(0);
  });
});
