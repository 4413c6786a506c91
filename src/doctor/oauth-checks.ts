import type { Check } from "./check.js";
import { tenantUrls } from "../tenant/urls.js";

export interface Fetched {
  status: number | "error";
  json?: Record<string, unknown>;
  headers?: Headers;
  error?: string;
}

async function get(doFetch: typeof fetch, url: string, init?: RequestInit): Promise<Fetched> {
  try {
    const response = await doFetch(url, { ...init, headers: { accept: "application/json, text/event-stream", ...(init?.headers as object) } });
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, headers: response.headers };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: "error", error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

/** What MCP clients read first: the tenant's discovery documents and keys. */
export async function oauthMetadataChecks(
  doFetch: typeof fetch,
  domain: string,
  dcrExpected: boolean,
  initFix: string,
): Promise<{ checks: Check[]; discovery?: Record<string, unknown> }> {
  const G = "OAuth metadata (what MCP clients discover)";
  const urls = tenantUrls(domain);
  const issuer = urls.issuer;
  const checks: Check[] = [];
  const add = (title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group: G, title, status, detail, fix });

  const [oidc, oauthAs] = await Promise.all([get(doFetch, urls.openidConfiguration), get(doFetch, urls.oauthMetadata)]);
  if (oidc.status !== 200 || !oidc.json) {
    add("/.well-known/openid-configuration", "fail", `not readable (${oidc.status === "error" ? oidc.error : `HTTP ${oidc.status}`})`);
    return { checks };
  }
  const m = oidc.json;
  add("Issuer", m.issuer === issuer ? "pass" : "fail", m.issuer === issuer ? issuer : `${String(m.issuer)} (expected ${issuer})`);
  // Auth0 advertises /oidc/register whether or not DCR is on; with it off, registration answers 400.
  if (!m.registration_endpoint) add("Registration endpoint", dcrExpected ? "fail" : "warn", "absent: Dynamic Client Registration is off", initFix);
  else if (dcrExpected) add("Registration endpoint", "pass", String(m.registration_endpoint));
  else
    add(
      "Registration endpoint",
      "warn",
      `${String(m.registration_endpoint)} is advertised, but Dynamic Client Registration is off: registering answers 400 ("dynamic client registration is disabled")`,
      initFix,
    );
  const pkce = Array.isArray(m.code_challenge_methods_supported) && m.code_challenge_methods_supported.includes("S256");
  add("PKCE S256", pkce ? "pass" : "fail", pkce ? "supported" : "code_challenge_methods_supported does not list S256");
  if (typeof m.jwks_uri !== "string") add("JWKS", "fail", "no jwks_uri");
  else {
    const jwks = await get(doFetch, m.jwks_uri);
    const keys = Array.isArray(jwks.json?.keys) ? (jwks.json!.keys as unknown[]).length : 0;
    add("JWKS", keys ? "pass" : "fail", keys ? `${m.jwks_uri} (${keys} key${keys === 1 ? "" : "s"})` : `${m.jwks_uri} has no keys (${jwks.status})`);
  }
  if (oauthAs.status === 200) add("/.well-known/oauth-authorization-server", "pass", "served");
  else add("/.well-known/oauth-authorization-server", "note", `HTTP ${oauthAs.status === "error" ? oauthAs.error : oauthAs.status}: clients fall back to openid-configuration`);
  return { checks, discovery: m };
}

const stripSlash = (s: string) => s.replace(/\/+$/, "");

/**
 * The MCP server as a client meets it (MCP authorization spec, RFC 9728): an unauthenticated
 * request gets 401 with WWW-Authenticate pointing at the protected-resource metadata, which names
 * this API as `resource` and the tenant's issuer among `authorization_servers`.
 */
/** What an MCP client learns from the server before it logs in: the 401 challenge and the protected-resource metadata. */
export interface ServerFacts {
  serverUrl: string;
  probe: Fetched;
  /** The challenge's resource_metadata and scope (RFC 9728, RFC 6750). */
  pointer?: string;
  scope?: string;
  metadataUrl: string;
  meta?: Fetched;
}

export async function readServer(doFetch: typeof fetch, serverUrl: string): Promise<ServerFacts> {
  const probe = await get(doFetch, serverUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "mcp-auth0 doctor", version: "1" } },
    }),
  });
  if (probe.status === "error") return { serverUrl, probe, metadataUrl: serverUrl };
  const challenge = probe.headers?.get("www-authenticate") ?? "";
  const pointer = /resource_metadata="([^"]+)"/i.exec(challenge)?.[1];
  const scope = /scope="([^"]*)"/i.exec(challenge)?.[1];
  const url = new URL(serverUrl);
  const metadataUrl = pointer ?? `${url.origin}/.well-known/oauth-protected-resource${url.pathname === "/" ? "" : url.pathname}`;
  return { serverUrl, probe, pointer, scope, metadataUrl, meta: await get(doFetch, metadataUrl) };
}

export function serverChecks(
  server: ServerFacts,
  identifier: string,
  domain: string,
  /** The init command that creates the API the server names (and rewrites the .env's audience). */
  initFor: (identifier: string) => string,
): Check[] {
  const G = `MCP server ${server.serverUrl}`;
  const checks: Check[] = [];
  const add = (title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group: G, title, status, detail, fix });
  const { probe, pointer, metadataUrl } = server;
  if (probe.status === "error") {
    add("Reachable", "fail", `cannot connect (${probe.error})`, "Start the MCP server, or check --server-url");
    return checks;
  }
  if (probe.status !== 401)
    add("Asks for a token", "fail", `an unauthenticated request got HTTP ${probe.status}, not 401`, "Protect the MCP endpoint with bearer-token verification");
  else
    add(
      "Asks for a token",
      pointer ? "pass" : "warn",
      pointer ? `401, resource_metadata=${pointer}` : "401, but WWW-Authenticate names no resource_metadata",
      pointer ? undefined : "Add resource_metadata to the WWW-Authenticate header (RFC 9728)",
    );

  const meta = server.meta!;
  if (meta.status !== 200 || !meta.json) {
    const why = meta.status === "error" ? meta.error : meta.status === 200 ? "HTTP 200, but not a JSON document" : `HTTP ${meta.status}`;
    add("Protected-resource metadata", "fail", `${metadataUrl}: ${why}`, "Serve RFC 9728 metadata at /.well-known/oauth-protected-resource…");
    return checks;
  }
  // Auth0 compares the resource with API identifiers exactly: a near miss gets "Service not found".
  const resource = String(meta.json.resource ?? "");
  const fix = resource ? initFor(resource) : "Serve the API identifier as resource in the protected-resource metadata";
  const originOnly = (a: string, b: string) => URL.canParse(a) && URL.canParse(b) && stripSlash(a) === new URL(a).origin && new URL(b).origin === new URL(a).origin;
  if (resource === identifier) add("resource", "pass", `${resource} (the API identifier)`);
  else if (stripSlash(resource) === stripSlash(identifier)) {
    add("resource", "fail", `${resource} differs from the API identifier ${identifier} by a trailing slash: Auth0 compares them exactly and answers "Service not found"`, fix);
  } else if (originOnly(resource, identifier) || originOnly(identifier, resource)) {
    add(
      "resource",
      "fail",
      `${resource} and the API identifier ${identifier} differ by the path (one is the origin only): Auth0 compares them exactly and answers "Service not found"`,
      fix,
    );
  } else add("resource", "fail", `${resource || "(none)"} is not the API identifier ${identifier}: Auth0 answers "Service not found"`, fix);
  const servers = Array.isArray(meta.json.authorization_servers) ? (meta.json.authorization_servers as unknown[]).map(String) : [];
  const { issuer } = tenantUrls(domain);
  if (servers.includes(issuer)) add("authorization_servers", "pass", issuer);
  else if (servers.some((s) => stripSlash(s) === stripSlash(issuer)))
    add(
      "authorization_servers",
      "warn",
      `${servers.join(", ")} differs from the tenant's issuer ${issuer} by a trailing slash; strict clients compare it exactly`,
      `List ${issuer} exactly in authorization_servers`,
    );
  else add("authorization_servers", "fail", `${servers.join(", ") || "(none)"} does not name the tenant ${issuer}`, "Set AUTH0_DOMAIN to the tenant's domain");
  return checks;
}
