import { createHash, randomBytes } from "node:crypto";
import { unverifiedFacts, type CatalogueClient, type ScopeRule } from "../clients/catalogue.js";
import type { TenantState } from "../resources/tenant-state.js";
import { tenantUrls } from "../tenant/urls.js";
import type { Check } from "./check.js";
import type { Fixes } from "./fixes.js";
import type { ServerFacts } from "./oauth-checks.js";
import { FREE_PLAN_APPLICATIONS, type ClientSummary } from "./tenant-usage-checks.js";
import { isThirdPartyClient } from "../resources/application.js";
import { clip } from "../untrusted.js";
import { authorizeFailure, browse, pageText, StoppedOnPage, type AuthorizeFailure } from "./authorize-answers.js";

/*
 * doctor --client: what one MCP client of the catalogue meets on this tenant and MCP server,
 * without a browser and without changing anything. A CIMD client's journey starts at /authorize,
 * so doctor sends the very request it would (its URL as client_id, one of its redirect URIs,
 * PKCE S256, `resource` and `scope` chosen as that client chooses them) and follows the tenant's
 * redirects up to the first page, never submitting one: Auth0 answers "Unknown client" for a URL
 * never imported, "Service not found" for a resource no API has, and shows the error page of a
 * strict third-party client there. A DCR client's journey starts with a registration, which doctor
 * never sends (every registration is an application, and a free tenant holds ten): its checks
 * are the static conditions the registration and its logins depend on.
 */

export interface ClientCheckFacts {
  clients: CatalogueClient[];
  state: TenantState;
  /** The tenant's applications (read:clients), or why they could not be read. */
  applications: ClientSummary[] | { unreadable: string };
  identifier: string;
  /** The domain MCP clients use (its issuer). */
  issuerDomain: string;
  /** The authorization server metadata (openid-configuration) as fetched, when it was. */
  discovery?: Record<string, unknown>;
  /** The MCP server as clients meet it, when --server-url names it. */
  server?: ServerFacts;
  fix: Fixes;
}

/** The port doctor puts where a client uses an ephemeral loopback port. */
export const SAMPLE_PORT = 49152;

/** How the tenant answered an authorization request: one of Auth0's failures (authorize-answers.ts), or how it lets the user in. */
export type AuthorizeOutcome = AuthorizeFailure | "login-page" | "signed-in" | "other";

/** What came back: a redirect off the tenant (to the client's redirect URI), or a page the flow stopped at. */
export type AuthorizeAnswer = { kind: "redirect"; location: URL } | { kind: "page"; status: number; url: URL; text: string };

/** The outcome of an answer, and the text it was read from (outside text: made printable before it is shown). */
export function classifyAnswer(answer: AuthorizeAnswer): { outcome: AuthorizeOutcome; text: string } {
  if (answer.kind === "redirect") {
    const params = answer.location.searchParams;
    if (params.get("code")) return { outcome: "signed-in", text: "" };
    const text = [params.get("error"), params.get("error_description")].filter(Boolean).join(": ");
    return { outcome: authorizeFailure(text) ?? "other", text };
  }
  const failure = authorizeFailure(answer.text);
  if (failure) return { outcome: failure, text: answer.text };
  const loginPage = answer.status === 200 && /^\/(u\/)?login\b/.test(answer.url.pathname);
  return { outcome: loginPage ? "login-page" : "other", text: answer.text };
}

/** Outside text (an error page, a redirect's description) as one short line; the logger shows its unsafe characters as escapes (untrusted.ts). */
export function printable(text: string, max = 240): string {
  return clip(text.replace(/\s+/g, " ").trim(), max);
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

/**
 * The `scope` the client sends: the first source of its rule that has one (the MCP spec: the 401
 * challenge, then the protected-resource metadata's scopes_supported), plus offline_access when it
 * adds that. `assumed`: the MCP server was not read, so its metadata is taken to list the API's scopes.
 */
function chooseScope(rule: ScopeRule, known: { challenge?: string; resourceScopes?: string[]; serverScopes?: string[] }): string | undefined {
  const from: Record<ScopeRule["from"][number], string[] | undefined> = {
    challenge: known.challenge?.split(" ").filter(Boolean),
    "resource-metadata": known.resourceScopes,
    "authorization-server-metadata": known.serverScopes,
  };
  const chosen = [...(rule.from.map((source) => from[source]).find((scopes) => scopes && scopes.length) ?? [])];
  if (rule.offlineAccess && known.serverScopes?.includes("offline_access") && !chosen.includes("offline_access")) chosen.push("offline_access");
  return chosen.length ? chosen.join(" ") : undefined;
}

interface ProbeRequest {
  authorizeUrl: URL;
  /** What doctor could not read and took as the MCP spec's defaults, said in the check. */
  assumptions: string[];
}

/** `url`: the client's metadata URL, its client_id. */
function authorizeRequest(client: CatalogueClient, url: string, f: ClientCheckFacts): ProbeRequest {
  const assumptions: string[] = [];
  const meta = f.server?.meta?.json;
  let resourceScopes = Array.isArray(meta?.scopes_supported) ? (meta.scopes_supported as unknown[]).map(String) : undefined;
  let prmResource = typeof meta?.resource === "string" ? meta.resource : undefined;
  if (!meta) {
    // Without the server, its metadata is taken to say what init set up: this API and its scopes.
    resourceScopes = (f.state.resourceServer?.scopes ?? []).map((s) => s.value!);
    prmResource = f.identifier;
    assumptions.push("the MCP server was not read (--server-url): its metadata taken to name this API and its scopes");
  }
  const serverScopes = Array.isArray(f.discovery?.scopes_supported) ? (f.discovery.scopes_supported as unknown[]).map(String) : undefined;
  const scope = chooseScope(client.scope.value, { challenge: f.server?.scope, resourceScopes, serverScopes });
  const resource = client.resource.value === "server-url" ? (f.server?.serverUrl ?? f.identifier) : (prmResource ?? f.identifier);
  const redirectUri = (client.cimdRedirectUri?.value ?? "").replace("{port}", String(SAMPLE_PORT));
  const endpoint = typeof f.discovery?.authorization_endpoint === "string" ? f.discovery.authorization_endpoint : `${tenantUrls(f.issuerDomain).issuer}authorize`;
  const authorizeUrl = new URL(endpoint);
  const verifier = base64url(randomBytes(32));
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: url,
    redirect_uri: redirectUri,
    code_challenge: base64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    state: base64url(randomBytes(16)),
    scope,
    resource,
  };
  for (const [key, value] of Object.entries(params)) if (value !== undefined) authorizeUrl.searchParams.set(key, value);
  return { authorizeUrl, assumptions };
}

/**
 * Sends the request and follows the tenant's own redirects, as a browser would, to the first page
 * or off the tenant (to the client's redirect URI). Nothing is submitted.
 */
export async function probeAuthorize(doFetch: typeof fetch, authorizeUrl: URL): Promise<AuthorizeAnswer> {
  try {
    const reached = await browse(
      doFetch,
      authorizeUrl,
      (url) => url.origin !== authorizeUrl.origin,
      async () => undefined,
      6,
    );
    return reached.kind === "redirect" ? reached : { kind: "page", status: reached.status, url: reached.url, text: pageText(reached.html) };
  } catch (error) {
    if (!(error instanceof StoppedOnPage)) throw error;
    return { kind: "page", status: error.status, url: authorizeUrl, text: error.message };
  }
}

/** Every check of the named clients, one group each. */
export async function clientChecks(doFetch: typeof fetch, f: ClientCheckFacts): Promise<Check[]> {
  const groups = await Promise.all(f.clients.map((client) => checksOf(doFetch, client, f)));
  return groups.flat();
}

async function checksOf(doFetch: typeof fetch, client: CatalogueClient, f: ClientCheckFacts): Promise<Check[]> {
  const G = `MCP client ${client.title}`;
  const checks: Check[] = [];
  const add = (title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group: G, title, status, detail, fix });
  const cimdOn = f.state.settings.client_id_metadata_document_supported === true;
  const authMethods = Array.isArray(f.discovery?.token_endpoint_auth_methods_supported) ? (f.discovery.token_endpoint_auth_methods_supported as unknown[]).map(String) : [];
  const url = client.cimdUrl.value;
  const noneMissing = client.cimdNeedsNoneAuthMethod?.value === true && !authMethods.includes("none");
  const usesCimd = url !== null && cimdOn && !noneMissing;
  const facts = unverifiedFacts(client, usesCimd ? ["cimdUrl", "cimdWhen", "cimdRedirectUri", "scope", "resource"] : ["cimdUrl", "dcr"]);
  if (facts.length) add("Catalogue values used", "note", `unverified: ${facts.map((f) => `${f.key}: ${f.why}`).join("; ")}`);

  if (url === null) add("Registration", "note", "no Client ID Metadata Document: it registers by Dynamic Client Registration");
  else if (!cimdOn) add("Registration", "note", `CIMD is off on this tenant: it registers by Dynamic Client Registration instead of presenting ${url}`);
  else if (noneMissing)
    add(
      "Registration",
      "note",
      `the tenant's metadata lists no "none" in token_endpoint_auth_methods_supported, which it needs for CIMD: it registers by Dynamic Client Registration`,
    );

  if (usesCimd) {
    const imported = Array.isArray(f.applications) ? f.applications.find((a) => a.external_metadata_type === "cimd" && a.external_client_id === url) : undefined;
    add("Registration", "pass", `CIMD: presents ${url} as client_id${imported ? ` (imported as ${imported.client_id})` : ""}`);
    const request = authorizeRequest(client, url, f);
    const answer = await probeAuthorize(doFetch, request.authorizeUrl);
    const { outcome, text } = classifyAnswer(answer);
    const sent = `GET ${request.authorizeUrl.pathname}?${request.authorizeUrl.searchParams.toString()}`;
    const resource = request.authorizeUrl.searchParams.get("resource") ?? f.identifier;
    const verdicts: Record<AuthorizeOutcome, [Check["status"], string, string | undefined]> = {
      "login-page": ["pass", "the login page is reached", undefined],
      "signed-in": ["pass", "the tenant logged the user in at once (auto-login) and redirected to the client", undefined],
      "unknown-client": ["fail", `Auth0 answers "Unknown client": ${url} was never imported`, f.fix.init("--clients", client.name)],
      "service-not-found": ["fail", `"Service not found": no API has the identifier ${resource}, the resource this client sends`, f.fix.init("--api-identifier", resource)],
      "no-connection": ["fail", "no domain-level connection: the user meets an Auth0 error page, never the client's callback", f.fix.init()],
      "userinfo-audience": ["fail", "no audience: the resource parameter selects no API (compatibility profile off, no default audience)", f.fix.init()],
      "callback-mismatch": ["fail", `the redirect URI it sends is not among the imported client's callbacks${client.importNote ? ` (${client.importNote.value})` : ""}`, undefined],
      "refused-parameter": ["fail", "a parameter of the request is refused (strict third-party clients accept only standard /authorize parameters)", undefined],
      "not-granted": ["fail", "the client is not granted the API (no default grant for third-party clients)", f.fix.init()],
      // doctor answers no consent screen: a tenant that says it was declined is not understood.
      "consent-declined": ["warn", "the tenant answered as if the user had declined consent, though doctor answers no page", undefined],
      other: ["warn", "an answer doctor does not recognise", undefined],
    };
    const [status, meaning, fix] = verdicts[outcome];
    const said = text && status !== "pass" ? `: "${printable(text)}"` : "";
    const assumed = request.assumptions.length ? ` (${request.assumptions.join("; ")})` : "";
    add("Authorization request", status, `${meaning}${said}${assumed}. Sent: ${printable(sent, 2000)}`, fix);
    return checks;
  }
  dcrChecks(client, f, add);
  return checks;
}

/** The static conditions a DCR client's registration and logins depend on; nothing is registered to find out. */
function dcrChecks(client: CatalogueClient, f: ClientCheckFacts, add: (title: string, status: Check["status"], detail: string, fix?: string) => void): void {
  const settings = f.state.settings;
  const dcr = (settings.flags as Record<string, unknown> | undefined)?.enable_dynamic_client_registration === true;
  add("Dynamic Client Registration", dcr ? "pass" : "fail", dcr ? "on" : "off: its registration answers 400", f.fix.init());
  const grant = f.state.defaultGrant;
  add(
    "Default grant for third-party clients",
    grant?.subject_type === "user" ? "pass" : "fail",
    grant ? `subject_type ${grant.subject_type ?? "client"}${grant.subject_type === "user" ? "" : ": covers no user login"}` : "none: its registration gets no token for the API",
    f.fix.init(),
  );
  const domainLevel = f.state.connections.filter((c) => c.is_domain_connection).map((c) => c.name);
  add("Domain-level connections", domainLevel.length ? "pass" : "fail", domainLevel.length ? domainLevel.join(", ") : "none: its logins end on an Auth0 error page", f.fix.init());

  const asks = client.dcr.value?.grant_types;
  const offline = f.state.resourceServer?.allow_offline_access === true;
  if (!offline) add("Refresh tokens", "warn", "the API does not allow offline access: users log in again when the access token expires", f.fix.init());
  else if (!asks)
    add("Refresh tokens", "note", "its registration's grant_types are not published; a registration without grant_types gets authorization_code only, so no refresh token");
  else if (!asks.includes("refresh_token")) add("Refresh tokens", "warn", `it registers with grant_types ${asks.join(", ")}: no refresh token, users log in again at expiry`);
  else add("Refresh tokens", "pass", "it registers with refresh_token, and the API allows offline access");

  if (Array.isArray(f.applications)) {
    const apps = f.applications.filter((a) => !a.global);
    const used = `${apps.length} of the free plan's ${FREE_PLAN_APPLICATIONS} applications used; each registration is one more`;
    add(
      "Application limit",
      apps.length >= FREE_PLAN_APPLICATIONS ? "warn" : "note",
      apps.length >= FREE_PLAN_APPLICATIONS ? `${used}: on a free tenant the next one fails (403 too_many_entities)` : used,
    );
    const withoutRefresh = apps.filter(
      (a) => isThirdPartyClient(a) && a.external_metadata_type !== "cimd" && Array.isArray(a.grant_types) && !a.grant_types.includes("refresh_token"),
    );
    if (withoutRefresh.length)
      add(
        "Third-party clients without refresh_token",
        "warn",
        `${withoutRefresh.map((a) => `${printable(a.name ?? "")} (${a.client_id})`).join(", ")}: registered without refresh_token, their users log in again at every expiry`,
      );
  } else add("Application limit", "note", `not counted: ${f.applications.unreadable}`);
}
