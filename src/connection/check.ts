import { randomBytes } from "node:crypto";
import type { AuthorizationServerMetadata, OAuthClientInformationMixed, OAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Check } from "../doctor/check.js";
import { fixes, type Fixes } from "../doctor/fixes.js";
import { findRegistration, forgetRegistration, saveRegistration } from "./registrations.js";
import { answerTenantPages, listenOnLoopback, LoginTimeout, type AuthorizationResponse, type ConsentQuestion, type LoopbackCallback } from "./user-agent.js";
import { authorizeFailure, StoppedOnPage } from "../doctor/authorize-answers.js";
import { causeOf, serverRejectedToken, type Cause, type TokenFacts } from "./causes.js";
import { clip } from "../untrusted.js";
// The network error's code (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …), however deep fetch wrapped it.
import { errorCode } from "../tenant/http.js";

/*
 * What an MCP client does to reach a tool, step by step, with the MCP SDK's own client functions
 * (the MCP authorization spec): the server's 401 challenge, its protected-resource metadata
 * (RFC 9728), the authorization server's metadata (RFC 8414 / OIDC discovery), a client
 * registration (CIMD where both sides support it, else DCR — kept and reused), the authorization
 * request with PKCE and `resource` (RFC 8707), the code exchange, then tools/list and tools/call
 * with the access token. Each step is a check; the first that fails ends the run with its cause.
 */

export interface ConnectionOptions {
  serverUrl: string;
  /** The tool to call; default the first the server lists. */
  tool?: string;
  arguments: Record<string, unknown>;
  /** Set: the dev tenant's pages are answered here as this user (--local); unset: the system browser. */
  devUser?: string;
  /** The consent screen, answered by the person at the terminal (or yes when no one is asked). */
  consent: (question: ConsentQuestion) => Promise<boolean>;
  clientMetadataUrl?: string;
  /** The file kept registrations live in (registrations.ts). */
  registrations: string;
  fetch: typeof fetch;
  /** Opens the authorization URL in the browser; false when nothing could be opened. */
  openBrowser: (url: string) => Promise<boolean>;
  loginTimeoutMs: number;
  /** Progress lines (the browser URL). */
  say: (...lines: string[]) => void;
  /** What the MCP server's .env says it checks tokens against. */
  /** The MCP server's .env as given (--env-path), what it holds, and the preset that wrote it: a fix rewrites the same variables. */
  serverEnv: { path: string; domain?: string; audience?: string; template?: string };
  /** `npx mcp-auth0 <words>` with the flags that chose this tenant. */
  command: (words: string[]) => string;
  /** Whether a file a printed command names is there (the roles file of the roles sync fix). */
  rolesFileExists: (file: string) => boolean;
  /** The dev tenant of this directory: its hosts, and its CA file as the user types its path. */
  devTenant?: { hosts: string[]; caPath: string };
}

export interface ConnectionReport {
  checks: Check[];
  ok: boolean;
  token?: TokenFacts;
  tool?: { name: string; result: unknown };
  /** The failed step could not reach the tenant at all (exit 4). */
  unreachable?: boolean;
  /** The client the login used, and whether it was registered by this run. */
  client?: { id: string; how: "cimd" | "reused" | "registered" };
}

/** A failed step: its title and what the user can do. */
class StepFailed extends Error {
  constructor(readonly cause_: Cause) {
    super(cause_.detail);
  }
}

const SERVER = "MCP server";
const TENANT = "Authorization server";
const TOOLS = "Tools";
const INITIALIZE = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "mcp-auth0 try", version: "1" } },
};

const message = (error: unknown) => clip(error instanceof Error ? error.message : String(error), 300);

export async function checkConnection(o: ConnectionOptions): Promise<ConnectionReport> {
  const report: ConnectionReport = { checks: [], ok: false };
  const pass = (group: string, title: string, detail: string, status: Check["status"] = "pass", fix?: string) => report.checks.push({ group, title, status, detail, fix });
  const sdk = await import("@modelcontextprotocol/sdk/client/auth.js");
  let step = { group: SERVER, title: "401 challenge" };
  let loopback: LoopbackCallback | undefined;
  try {
    // 1. Without a token the server must answer 401 and point at its metadata.
    const challenge = await o
      .fetch(o.serverUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify(INITIALIZE),
      })
      .catch((error: unknown) => {
        throw new StepFailed(causeOf.serverUnreachable(o.serverUrl, errorCode(error) ?? message(error), o.devTenant?.caPath));
      });
    await challenge.body?.cancel();
    if (challenge.status !== 401) throw new StepFailed(causeOf.notProtected(challenge.status));
    const www = sdk.extractWWWAuthenticateParams(challenge);
    pass(SERVER, step.title, www.resourceMetadataUrl ? `401, resource_metadata=${clip(www.resourceMetadataUrl.href)}` : "401 (no resource_metadata: the well-known URL is tried)");

    // 2. The protected-resource metadata names the resource (the API identifier) and the tenant.
    step = { group: SERVER, title: "Protected-resource metadata" };
    const prm: OAuthProtectedResourceMetadata = await sdk
      .discoverOAuthProtectedResourceMetadata(o.serverUrl, www.resourceMetadataUrl ? { resourceMetadataUrl: www.resourceMetadataUrl } : {}, o.fetch)
      .catch((error: unknown) => {
        throw new StepFailed({
          detail: `not readable: ${message(error)}`,
          fix: "Serve RFC 9728 metadata at /.well-known/oauth-protected-resource… (resource, authorization_servers)",
        });
      });
    const authorizationServer = prm.authorization_servers?.[0];
    if (!prm.resource || !authorizationServer) {
      throw new StepFailed({
        detail: `names ${prm.resource ? "no authorization server" : "no resource"}`,
        fix: "List resource (the API identifier) and authorization_servers (the tenant's issuer)",
      });
    }
    const resource = prm.resource;
    // The tenant is this directory's dev tenant: an MCP server trusts it only with its CA.
    const devCaPath = o.devTenant?.hosts.includes(new URL(authorizationServer).host) ? o.devTenant.caPath : undefined;
    pass(SERVER, step.title, `resource ${clip(resource)}, authorization server ${clip(authorizationServer)}`);
    const scope = www.scope ?? prm.scopes_supported?.join(" ");
    const fix = fixes({
      identifier: resource,
      scopes: (prm.scopes_supported ?? []).map((value) => ({ value })),
      domain: new URL(authorizationServer).host,
      command: o.command,
      rolesFileExists: o.rolesFileExists,
      ...(o.serverEnv.path !== ".env" ? { envPath: o.serverEnv.path } : {}),
      ...(o.serverEnv.template ? { template: o.serverEnv.template } : {}),
    });

    // 3. The tenant's metadata: endpoints, PKCE, registration.
    step = { group: TENANT, title: "Metadata" };
    const metadata: AuthorizationServerMetadata | undefined = await sdk.discoverAuthorizationServerMetadata(authorizationServer, { fetchFn: o.fetch }).catch((error: unknown) => {
      throw new StepFailed(causeOf.tenantUnreachable(authorizationServer, errorCode(error) ?? message(error), devCaPath));
    });
    if (!metadata)
      throw new StepFailed({
        detail: `${clip(authorizationServer)} serves no OAuth or OpenID metadata`,
        fix: "Check authorization_servers in the MCP server's metadata: it must be the tenant's issuer",
      });
    const pkce = metadata.code_challenge_methods_supported?.includes("S256") === true;
    if (!pkce) throw new StepFailed({ detail: "code_challenge_methods_supported does not list S256: MCP clients refuse to log in without PKCE" });
    const cimd = (metadata as { client_id_metadata_document_supported?: boolean }).client_id_metadata_document_supported === true;
    pass(
      TENANT,
      step.title,
      `issuer ${clip(metadata.issuer)}, PKCE S256, ${metadata.registration_endpoint ? "registration endpoint" : "no registration endpoint"}, CIMD ${cimd ? "supported" : "not advertised"}`,
    );

    // 4. The client: a CIMD URL where both sides support it, else the kept registration, else DCR.
    step = { group: TENANT, title: "Client" };
    const headless = o.devUser !== undefined;
    const kept = o.clientMetadataUrl && cimd ? undefined : await findRegistration(o.registrations, metadata.issuer, resource);
    if (!headless)
      loopback = await listenOnLoopback(kept ? Number(new URL(kept.redirectUri).port) : 0).catch((error: unknown) => {
        throw new StepFailed(causeOf.callbackPortBusy(kept!.redirectUri, errorCode(error) ?? message(error), o.registrations));
      });
    // Headless, nothing listens: the response is read from the redirect before it is followed.
    const redirectUri = loopback?.redirectUri ?? kept?.redirectUri ?? "http://127.0.0.1:1/callback";
    const register = async (): Promise<OAuthClientInformationMixed> => {
      const registered = await sdk
        .registerClient(authorizationServer, {
          metadata,
          clientMetadata: {
            client_name: "mcp-auth0 try",
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
            token_endpoint_auth_method: "none",
          },
          fetchFn: o.fetch,
        })
        .catch((error: unknown) => {
          throw new StepFailed(causeOf.registrationRefused(message(error), fix));
        });
      await saveRegistration(o.registrations, { issuer: metadata.issuer, resource, clientId: registered.client_id, redirectUri, registeredAt: new Date().toISOString() });
      report.client = { id: registered.client_id, how: "registered" };
      return registered;
    };
    let client: OAuthClientInformationMixed;
    if (o.clientMetadataUrl && cimd) {
      client = { client_id: o.clientMetadataUrl };
      report.client = { id: o.clientMetadataUrl, how: "cimd" };
    } else if (kept) {
      client = { client_id: kept.clientId };
      report.client = { id: kept.clientId, how: "reused" };
    } else client = await register();
    const clientDetail = () =>
      report.client!.how === "cimd"
        ? `CIMD: ${clip(report.client!.id)} (no registration)`
        : report.client!.how === "reused"
          ? `reused ${clip(report.client!.id)}, kept in ${o.registrations} (no new application on the tenant)`
          : `registered ${clip(report.client!.id)} by DCR, kept in ${o.registrations} for the next run`;
    pass(TENANT, step.title, clientDetail() + (o.clientMetadataUrl && !cimd ? "; the tenant does not advertise CIMD, so DCR" : ""));

    // 5. The login: PKCE and the resource, through the dev tenant's pages or the browser.
    step = { group: TENANT, title: "Login" };
    const authorize = async () => {
      const state = randomBytes(16).toString("base64url");
      const { authorizationUrl, codeVerifier } = await sdk.startAuthorization(authorizationServer, {
        metadata,
        clientInformation: client,
        redirectUrl: redirectUri,
        scope,
        state,
        resource,
      });
      if (headless) authorizationUrl.searchParams.set("login_hint", o.devUser!);
      let answer: AuthorizationResponse;
      if (headless) answer = await answerTenantPages(o.fetch, authorizationUrl, redirectUri, o.devUser!, o.consent);
      else {
        o.say("Log in in the browser; if none opens, open this URL:", `  ${clip(authorizationUrl.href, 4000)}`);
        if (!(await o.openBrowser(authorizationUrl.href))) o.say("(No browser could be started: open the URL above yourself.)");
        answer = await loopback!.response(o.loginTimeoutMs);
      }
      return { answer, state, codeVerifier };
    };
    let login: Awaited<ReturnType<typeof authorize>>;
    try {
      try {
        login = await authorize();
      } catch (error) {
        // A kept registration the tenant no longer knows (a dev tenant started afresh, a client
        // deleted in the Dashboard): forget it and register once more.
        if (!(headless && report.client?.how === "reused" && error instanceof StoppedOnPage && authorizeFailure(error.message) === "unknown-client")) throw error;
        await forgetRegistration(o.registrations, metadata.issuer, resource);
        client = await register();
        report.checks[report.checks.length - 1]!.detail = `the kept client is unknown to the tenant: ${clientDetail()}`;
        login = await authorize();
      }
    } catch (error) {
      if (error instanceof StoppedOnPage) throw new StepFailed(causeOf.authorizationError(error.error, error.description, fix, true));
      if (error instanceof LoginTimeout) throw new StepFailed(causeOf.noCallback(o.loginTimeoutMs, fix));
      throw error;
    }
    const { answer } = login;
    if (answer.error) throw new StepFailed(causeOf.authorizationError(answer.error, answer.errorDescription ?? "", fix, false));
    if (answer.state !== login.state) throw new StepFailed({ detail: "the response's state is not the one sent: the login was not this run's" });
    if (answer.iss !== undefined && answer.iss !== metadata.issuer) {
      throw new StepFailed({ detail: `the response's iss ${clip(answer.iss)} is not the issuer ${clip(metadata.issuer)} (RFC 9207): clients refuse it as a mix-up` });
    }
    if (!answer.code) throw new StepFailed({ detail: "the redirect carried neither a code nor an error" });
    pass(TENANT, step.title, `${headless ? `${o.devUser} logged in and consented` : "logged in"} (PKCE S256, resource ${clip(resource)})`);

    // 6. The code exchange, and what the token says.
    step = { group: TENANT, title: "Token" };
    const tokens = await sdk
      .exchangeAuthorization(authorizationServer, {
        metadata,
        clientInformation: client,
        authorizationCode: answer.code,
        codeVerifier: login.codeVerifier,
        redirectUri,
        resource,
        fetchFn: o.fetch,
      })
      .catch((error: unknown) => {
        throw new StepFailed(causeOf.tokenRefused((error as { errorCode?: string }).errorCode ?? "error", message(error), resource, fix));
      });
    const facts = await readToken(tokens.access_token, metadata, resource, o.fetch, fix);
    report.token = facts;
    const permissions = facts.permissions === undefined ? "no permissions claim" : `permissions [${facts.permissions.map((p) => clip(p)).join(", ")}]`;
    pass(TENANT, step.title, `aud ${clip(facts.aud.join(" "))}, scope "${clip(facts.scope)}", ${permissions}; signed by the tenant's key`);
    const who = o.devUser ?? `the user (${clip(facts.sub)})`;
    if (facts.permissions !== undefined && facts.permissions.length === 0) {
      pass(TENANT, "Permissions", `no role grants ${who} any permission of ${clip(resource)}: tools that check permissions refuse them`, "warn", fix.rolesSync());
    }

    // 7. tools/list and tools/call with the token, through the MCP SDK's client.
    step = { group: TOOLS, title: "tools/list" };
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
    let refused: { status: number; www: string; body: string } | undefined;
    const recording: typeof fetch = async (input, init) => {
      const response = await o.fetch(input, init);
      if (response.status === 401 || response.status === 403)
        refused = { status: response.status, www: response.headers.get("www-authenticate") ?? "", body: await response.clone().text() };
      return response;
    };
    const transport = new StreamableHTTPClientTransport(new URL(o.serverUrl), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } }, fetch: recording });
    const mcp = new Client({ name: "mcp-auth0 try", version: "1" });
    const refusal = (error: unknown, tool?: string) => {
      if (refused?.status === 401) return new StepFailed(serverRejectedToken(facts, refused.www, String(metadata.jwks_uri ?? ""), o.serverEnv, devCaPath, fix));
      if (refused?.status === 403) return new StepFailed(causeOf.forbidden(refused.www, who, facts, tool, fix));
      return new StepFailed({ detail: message(error) });
    };
    try {
      const tools = await mcp
        .connect(transport)
        .then(() => mcp.listTools())
        .catch((error: unknown) => {
          throw refusal(error);
        });
      const names = tools.tools.map((t) => t.name);
      if (names.length === 0) throw new StepFailed({ detail: "the server lists no tools" });
      pass(TOOLS, step.title, names.map((n) => clip(n, 80)).join(", "));

      const name = o.tool ?? names[0]!;
      step = { group: TOOLS, title: `tools/call ${clip(name, 80)}` };
      const tool = tools.tools.find((t) => t.name === name);
      if (!tool)
        throw new StepFailed({
          detail: `the server lists no tool ${clip(name, 80)} (it has ${names.map((n) => clip(n, 80)).join(", ")})`,
          fix: "Pass --tool with one of them",
        });
      const missing = (tool.inputSchema.required ?? []).filter((key) => !(key in o.arguments));
      if (missing.length) {
        throw new StepFailed({
          detail: `needs the arguments ${missing.map((m) => clip(m, 80)).join(", ")}`,
          fix: `Pass them: --arguments '${JSON.stringify(Object.fromEntries(missing.map((m) => [m, "…"])))}'`,
        });
      }
      refused = undefined;
      const result = await mcp.callTool({ name, arguments: o.arguments }).catch((error: unknown) => {
        throw refusal(error, name);
      });
      const text = resultText(result as { content?: unknown; structuredContent?: unknown });
      if (result.isError === true) throw new StepFailed({ detail: `the tool answered an error: ${clip(text, 300)}` });
      report.tool = { name, result };
      pass(TOOLS, step.title, `answered: ${clip(text, 300)}`);
    } finally {
      await mcp.close().catch(() => undefined);
    }
    report.ok = true;
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    const { detail, fix, unreachable } = error.cause_;
    report.checks.push({ group: step.group, title: step.title, status: "fail", detail, ...(fix ? { fix } : {}) });
    report.unreachable = unreachable === true;
  } finally {
    await loopback?.close();
  }
  return report;
}

/** The text of a tool result: its text contents, else its structured content as JSON. */
function resultText(result: { content?: unknown; structuredContent?: unknown }): string {
  const texts = (Array.isArray(result.content) ? result.content : []).flatMap((c: { type?: unknown; text?: unknown }) =>
    c.type === "text" && typeof c.text === "string" ? [c.text] : [],
  );
  return texts.length ? texts.join(" ") : JSON.stringify(result.structuredContent ?? result.content ?? null);
}

/**
 * What the access token says, checked as a careful MCP server checks it: a JWT signed by a key of
 * the tenant's JWKS, its issuer the tenant's, its audience the resource. An opaque token (no
 * effective audience: Auth0 issues those for its userinfo endpoint only) cannot be checked at all.
 */
async function readToken(token: string, metadata: AuthorizationServerMetadata, resource: string, fetchFn: typeof fetch, fix: Fixes): Promise<TokenFacts> {
  const { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } = await import("jose");
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new StepFailed(causeOf.opaqueToken(fix));
  }
  const aud = [claims["aud"]].flat().map(String);
  const facts: TokenFacts = {
    iss: String(claims["iss"] ?? ""),
    sub: String(claims["sub"] ?? ""),
    aud,
    scope: typeof claims["scope"] === "string" ? claims["scope"] : "",
    permissions: Array.isArray(claims["permissions"]) ? claims["permissions"].map(String) : undefined,
    clientId: String(claims["client_id"] ?? claims["azp"] ?? ""),
  };
  if (!aud.includes(resource)) throw new StepFailed(causeOf.otherAudience(aud, resource, fix));
  if (!metadata.jwks_uri) throw new StepFailed({ detail: "the tenant's metadata names no jwks_uri: no server can verify its tokens" });
  try {
    await jwtVerify(token, createRemoteJWKSet(new URL(String(metadata.jwks_uri)), { [customFetch]: fetchFn }), { issuer: metadata.issuer, audience: resource });
  } catch (error) {
    throw new StepFailed({ detail: `the token does not verify against the tenant's keys and issuer (${message(error)})` });
  }
  return facts;
}
