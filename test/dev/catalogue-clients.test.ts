import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createPrivateKeyJwtAuth } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { cimdClients, findClient } from "../../src/clients/catalogue.js";
import { METADATA_SNAPSHOT } from "../../src/clients/metadata-snapshot.js";
import { classifyAnswer, probeAuthorize, SAMPLE_PORT } from "../../src/doctor/client-checks.js";
import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";
import { cliArgs } from "../support/shell.js";
import { exampleArgs, IDENTIFIER, ROLES_YAML } from "../support/tenant.js";
import { asUser, authorize, connect, HeadlessOAuthProvider, trustingFetch, whoami } from "./support/mcp-client.js";
import { createMcpTestServer, type McpTestServer } from "./support/mcp-server.js";

/*
 * Issue 22, "Done when" 1–3, on one dev tenant: `init --clients` imports the catalogue's CIMD
 * clients (tpc_ ids, the URL as external_client_id, CIMD on, a re-run writes nothing); the MCP SDK's
 * client presenting each imported URL logs in and calls a tool; `doctor --client` sends each CIMD
 * client's /authorize request and names what it meets, one cause at a time, writing nothing and
 * registering nothing.
 *
 * ChatGPT's document asks for private_key_jwt with its keys at https://chatgpt.com/oauth/jwks.json.
 * No machine here reaches chatgpt.com and nobody here holds ChatGPT's private key, so the test plays
 * that one URL: the dev tenant's fetch answers it with a key pair made here, and the MCP SDK's client
 * signs its client assertions with that pair's private key. Everything else (the document from the
 * bundled snapshot, the import, /authorize with the URL, the assertion checked at /oauth/token) is
 * what the dev tenant does for any Private Key JWT client on an Enterprise-like tenant.
 */

let dir: string;
let dev: DevTenant;
let mcp: McpTestServer;
let trusted: ReturnType<typeof trustingFetch>;

const local = (args: string[]) => cli([...args, "--local"], { cwd: dir });
const initArgs = () => exampleArgs(dir).map((arg) => (arg === IDENTIFIER ? mcp.url : arg));
const CIMD = cimdClients();
const CHATGPT_JWKS = "https://chatgpt.com/oauth/jwks.json";
/** The key pair that stands in for ChatGPT's: its public half answers CHATGPT_JWKS, its private half signs the assertions. */
let chatgptKey: { publicJwk: JWK; privateJwk: JWK };
const usesPrivateKeyJwt = (url: string) => METADATA_SNAPSHOT.documents[url]?.["token_endpoint_auth_method"] === "private_key_jwt";
/**
 * Those that get through: Claude Code's document lists its loopback redirects without the port it
 * sends, and no application_type (so a web application, matched exactly): it meets "callback
 * mismatch", as on Auth0 (anthropics/claude-code#37747), which doctor names below.
 */
const LOGGING_IN = CIMD.filter((c) => c.name !== "claude-code");

interface DoctorCheck {
  group: string;
  title: string;
  status: string;
  detail: string;
  fix?: string;
}

/** doctor --client, with what it cost the tenant: its writes and any registration (a new client). */
async function doctorClient(name: string, extra: string[] = []) {
  const clientsBefore = dev.store.clients.length;
  const result = await local(["doctor", "--api-identifier", mcp.url, "--client", name, "--json", ...extra]);
  const doc = JSON.parse(result.stdout) as { checks: DoctorCheck[]; writes: number };
  const title = findClient(name)!.title;
  const checks = doc.checks.filter((c) => c.group === `MCP client ${title}`);
  expect(doc.writes).toBe(0);
  expect(dev.store.clients.length).toBe(clientsBefore);
  return { result, checks, request: checks.find((c) => c.title === "Authorization request") };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-catalogue-"));
  await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
  const pair = await generateKeyPair("RS256", { extractable: true });
  chatgptKey = { publicJwk: { ...(await exportJWK(pair.publicKey)), kid: "chatgpt-test-key", alg: "RS256", use: "sig" }, privateJwk: await exportJWK(pair.privateKey) };
  // Offline, as here: the one URL the test plays is ChatGPT's key set; any other fetch fails.
  const offline = (input: string | URL | Request) =>
    String(input instanceof Request ? input.url : input) === CHATGPT_JWKS
      ? Promise.resolve(Response.json({ keys: [chatgptKey.publicJwk] }))
      : Promise.reject(new TypeError(`fetch failed: no network for ${String(input)}`));
  dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0"), fetch: offline as typeof fetch });
  trusted = trustingFetch(dev.caCertPem);
  mcp = await createMcpTestServer({ fetch: trusted.fetch });
  expect((await local([...initArgs(), "--cimd"])).code).toBe(0);
  await mcp.start(join(dir, ".env"));
});

afterAll(async () => {
  await mcp?.close();
  await dev?.close();
  await trusted?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("doctor --client before the client is imported", () => {
  it("names the URL Auth0 does not know, with the init --clients fix, and the fix lets the client through", async () => {
    const before = await doctorClient("vscode");
    expect(before.result.code).toBe(6);
    expect(before.request).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(
        /^Auth0 answers "Unknown client": https:\/\/vscode\.dev\/oauth\/client-metadata\.json was never imported: "[^"]*Unknown client: https:\/\/vscode\.dev\/oauth\/client-metadata\.json/,
      ),
    });
    // The exact request VS Code sends: its URL, its loopback redirect, PKCE S256, the API as resource, the server's scopes.
    const sent = new URL(`https://x${/Sent: GET (\S+)/.exec(before.request!.detail)![1]}`).searchParams;
    expect(Object.fromEntries([...sent].filter(([k]) => !["code_challenge", "state"].includes(k)))).toEqual({
      response_type: "code",
      client_id: "https://vscode.dev/oauth/client-metadata.json",
      redirect_uri: "http://127.0.0.1:33418/",
      code_challenge_method: "S256",
      scope: "tool:whoami tool:greet",
      resource: mcp.url,
    });
    expect(before.request!.fix).toBe(`npx mcp-auth0 init --api-identifier ${mcp.url} --scopes 'tool:whoami=Read your identity,tool:greet=Greet someone' --clients vscode --local`);

    const fixed = await local(cliArgs(before.request!.fix!).slice(0, -1));
    expect(fixed.code, fixed.stderr).toBe(0);
    const after = await doctorClient("vscode");
    expect(after.request).toMatchObject({ status: "pass", detail: expect.stringMatching(/^the login page is reached/) });
  });
});

describe("init --clients", () => {
  it("imports the named catalogue clients' CIMD URLs as tpc_ clients with CIMD on, names them in the plan, and a re-run writes nothing", async () => {
    const names = CIMD.map((c) => c.name);
    const first = await local([...initArgs(), "--clients", [...names, "cursor"].join(","), "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const plan = JSON.parse(first.stdout).plan as { changes: Array<{ kind: string; label: string; action: string; client?: string }> };
    for (const c of CIMD) {
      const imported = dev.store.findCimdClient(c.cimdUrl.value);
      expect(imported, c.name).toMatchObject({
        client_id: expect.stringMatching(/^tpc_/),
        external_client_id: c.cimdUrl.value,
        external_metadata_type: "cimd",
        is_first_party: false,
      });
      expect(plan.changes).toContainEqual(expect.objectContaining({ kind: "cimd-client", label: `CIMD client ${c.title} (${c.cimdUrl.value})`, client: c.name }));
    }
    expect(dev.store.settings["client_id_metadata_document_supported"]).toBe(true);
    // ChatGPT comes in as a confidential client with the key its jwks_uri served; the plan said it needs Private Key JWT.
    expect(dev.store.findCimdClient("https://chatgpt.com/oauth/client.json")).toMatchObject({
      token_endpoint_auth_method: "private_key_jwt",
      jwks_uri: CHATGPT_JWKS,
      client_authentication_methods: { private_key_jwt: { credentials: [expect.objectContaining({ kid: "chatgpt-test-key" })] } },
    });
    expect(first.stderr).toMatch(/ChatGPT[^\n]*private_key_jwt[^\n]*Enterprise plans only/);
    // Every catalogued CIMD client is imported, so advertising CIMD leaves none out; Cursor keeps DCR.
    expect(first.stderr).not.toContain("⚠ Advertising Client ID Metadata Documents");
    expect(first.stderr).toMatch(/⚠ Cursor has no metadata document: it registers by Dynamic Client Registration, which stays on/);
    expect(first.stderr).toMatch(/⚠ Unverified catalogue value used: claude cimdUrl: /);

    const again = await local([...initArgs(), "--clients", names.join(","), "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ plan: { converged: true }, result: { writes: 0 } });
  });

  it.each(LOGGING_IN.map((c) => [c.name, c] as const))("the MCP SDK's client presenting %s's URL logs in and calls a tool", async (_name, c) => {
    const document = METADATA_SNAPSHOT.documents[c.cimdUrl.value]!;
    const redirectUrl = (c.cimdRedirectUri!.value as string).replace("{port}", String(SAMPLE_PORT));
    expect(document["redirect_uris"]).toBeDefined();
    const url = c.cimdUrl.value;
    const clientAuthentication = usesPrivateKeyJwt(url) ? createPrivateKeyJwtAuth({ issuer: url, subject: url, privateKey: chatgptKey.privateJwk, alg: "RS256" }) : undefined;
    const provider = new HeadlessOAuthProvider(trusted.fetch, {
      answer: asUser("admin@example.com"),
      clientMetadataUrl: url,
      redirectUrl,
      ...(clientAuthentication ? { clientAuthentication } : {}),
    });
    await authorize(mcp.url, provider, trusted.fetch);
    expect(decodeJwt(provider.tokens()!.access_token)).toMatchObject({ client_id: c.cimdUrl.value, aud: mcp.url });
    const session = await connect(mcp.url, provider, trusted.fetch);
    try {
      expect((await whoami(session)).permissions).toContain("tool:whoami");
    } finally {
      await session.close();
    }
  });
});

describe("doctor --client: one cause at a time", () => {
  it("Service not found: the resource the client sends names no API", async () => {
    const { request } = await doctorClient("vscode", ["--api-identifier", "https://other.example.com/mcp"]);
    expect(request).toMatchObject({ status: "fail", detail: expect.stringMatching(/^"Service not found": no API has the identifier https:\/\/other\.example\.com\/mcp/) });
    expect(request!.fix).toMatch(/^npx mcp-auth0 init --api-identifier https:\/\/other\.example\.com\/mcp /);
  });

  it("no connection enabled: no connection is domain level", async () => {
    const connections = dev.store.connections.filter((c) => c.is_domain_connection);
    for (const c of connections) c.is_domain_connection = false;
    dev.store.changed();
    try {
      const { request } = await doctorClient("vscode");
      expect(request).toMatchObject({ status: "fail", detail: expect.stringMatching(/^no domain-level connection: .*no connections enabled for the client/) });
    } finally {
      for (const c of connections) c.is_domain_connection = true;
      dev.store.changed();
    }
  });

  it("userinfo audience: with the compatibility profile off the resource selects no API", async () => {
    const { settings } = dev.store;
    const defaultAudience = settings["default_audience"];
    settings["resource_parameter_profile"] = "audience";
    delete settings["default_audience"];
    dev.store.changed();
    try {
      const { request } = await doctorClient("vscode");
      expect(request).toMatchObject({ status: "fail", detail: expect.stringMatching(/^no audience: .*The userinfo audience is not allowed for third party clients/) });
    } finally {
      settings["resource_parameter_profile"] = "compatibility";
      settings["default_audience"] = defaultAudience;
      dev.store.changed();
    }
  });

  it("callback mismatch: Claude Code sends a port its document does not list", async () => {
    const { request } = await doctorClient("claude-code");
    expect(request).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(
        /^the redirect URI it sends is not among the imported client's callbacks \(its metadata document lists loopback redirect URIs without a port.*unauthorized_client : Callback URL mismatch\. http:\/\/localhost:\d+\/callback is not in the list of allowed callback URLs/,
      ),
    });
    expect(request!.detail).toContain(`redirect_uri=http%3A%2F%2Flocalhost%3A${SAMPLE_PORT}%2Fcallback`);
  });

  it("a refused parameter: strict third-party clients get only standard /authorize parameters", async () => {
    const url = new URL(`${dev.url}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: "https://vscode.dev/oauth/client-metadata.json",
      redirect_uri: "http://127.0.0.1:33418/",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      resource: mcp.url,
      screen_hint: "signup",
    }))
      url.searchParams.set(k, v);
    expect(classifyAnswer(await probeAuthorize(trusted.fetch, url))).toMatchObject({ outcome: "refused-parameter", text: expect.stringContaining("screen_hint") });
  });

  it("a DCR client: every static condition it depends on, nothing registered to find out", async () => {
    const { checks } = await doctorClient("cursor");
    expect(checks.map((c) => [c.title, c.status])).toEqual([
      ["Catalogue values used", "note"],
      ["Registration", "note"],
      ["Dynamic Client Registration", "pass"],
      ["Default grant for third-party clients", "pass"],
      ["Domain-level connections", "pass"],
      ["Refresh tokens", "note"],
      ["Application limit", "note"],
    ]);
    expect(checks.find((c) => c.title === "Application limit")!.detail).toMatch(/^\d+ of the free plan's 10 applications used/);
  });
});
