import { IncomingMessage } from "node:http";

import type { TenantStore } from "../store.js";
import type { TokenParams } from "../token-endpoint.js";
import { defaultAudience, isStrictThirdParty, isThirdParty, resourceIsAudience, STRICT_REFUSED_PARAMETERS, strictRegistration } from "./policy.js";

/*
 * Auth0's request parameters, turned into what oidc-provider understands before it sees them.
 * oidc-provider speaks RFC 8707 (`resource`) and OpenID Connect to the letter; Auth0 speaks
 * `audience`, and the tenant's settings decide what `resource` means. Rewriting the request keeps
 * oidc-provider's own validation of everything else (PKCE, redirect URIs, clients) intact.
 */

const split = (scope: string | null | undefined): string[] => (scope ?? "").split(" ").filter(Boolean);

/**
 * Where the profile hands oidc-provider the names of the parameters a strict third-party client
 * may not send: oidc-provider drops or judges some of them itself (`request`, `id_token_hint`) before
 * it has checked the client and its redirect URI, so they are taken out of the request and refused
 * by a validator of this parameter (see provider.ts), after those checks, as Auth0 refuses them.
 */
export const REFUSED_PARAMETERS = "mcp_auth0_refused_parameters";

/**
 * The query of an authorization request, as Auth0 would read it:
 * - `audience` names the API; `resource` is an alias of it only under the `compatibility` resource
 *   parameter profile, and is ignored otherwise; with neither, the tenant's default audience
 *   applies; with none at all there is no API, and the access token will be opaque.
 * - Third-party clients in strict mode get no ID token: Auth0 does not process the OIDC scopes
 *   (`openid`, `profile`, `email`) for them, and issues a token whatever the scopes. oidc-provider
 *   refuses an authorization that grants nothing at all, so `openid` is always requested for them
 *   (their ID token is then dropped from the token response, see index.ts). That keeps Auth0's
 *   failure points: no client grant fails at the token request, no audience gives an opaque token.
 * - `offline_access` needs no `prompt=consent` on Auth0; oidc-provider, following OpenID Connect
 *   Core, drops it without one, so it is added.
 * - The parameters strict third-party clients may not send are handed over as REFUSED_PARAMETERS.
 */
export function profileAuthorizationQuery(store: TenantStore, query: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams(query);
  const audience = q.get("audience") || undefined;
  const resource = q.getAll("resource")[0] || undefined;
  q.delete("audience");
  q.delete("resource");
  const api = audience ?? (resourceIsAudience(store) ? resource : undefined) ?? defaultAudience(store);
  if (api !== undefined) q.set("resource", api);

  const client = store.findOAuthClient(q.get("client_id") ?? "");
  // A value the client sent itself is dropped: only the profile sets it.
  q.delete(REFUSED_PARAMETERS);
  // In the order the request gives them.
  const refused = client && isStrictThirdParty(client) ? [...new Set(q.keys())].filter((name) => (STRICT_REFUSED_PARAMETERS as readonly string[]).includes(name)) : [];
  for (const name of refused) q.delete(name);
  if (refused.length > 0) q.set(REFUSED_PARAMETERS, refused.join(" "));

  const scopes = split(q.get("scope"));
  if (client && isThirdParty(client) && !scopes.includes("openid")) scopes.unshift("openid");
  if (scopes.length > 0) q.set("scope", scopes.join(" "));

  const prompts = split(q.get("prompt"));
  if (scopes.includes("offline_access") && !prompts.includes("consent") && !prompts.includes("none")) {
    q.set("prompt", [...prompts, "consent"].join(" "));
  }
  return q;
}

/**
 * The parameters of a token request, as Auth0 would read them. For the authorization-code and
 * refresh-token grants the API was chosen at /authorize: `audience` is ignored, and so is
 * `resource` unless it is an alias of the audience (compatibility profile).
 */
export function profileTokenParams(store: TenantStore, params: TokenParams): TokenParams {
  const p = { ...params };
  if (p["grant_type"] === "authorization_code" || p["grant_type"] === "refresh_token") {
    delete p["audience"];
    if (!resourceIsAudience(store)) delete p["resource"];
  } else if (p["audience"] !== undefined) {
    p["resource"] ??= p["audience"];
    delete p["audience"];
  }
  return p;
}

/** Client registration metadata as the tenant accepts it. */
export function profileRegistration(store: TenantStore, body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  // MCP clients send the API's scopes (from the protected-resource metadata) as `scope`; Auth0
  // ignores it (what a DCR client may get comes from the default third-party grant), whereas
  // oidc-provider would reject any value that is not an OpenID scope.
  const metadata = { ...(body as Record<string, unknown>) };
  delete metadata["scope"];
  // "If not provided, authorization_code grant type will be applied by default for Third Party Apps
  // with enhanced security controls" (docs-v2, dynamic-application-registration): no refresh token,
  // so such a client has to log in again when its access token expires.
  if (metadata["grant_types"] === undefined && strictRegistration(store)) metadata["grant_types"] = ["authorization_code"];
  return metadata;
}

/**
 * A request whose body was already read (the Management API side reads /oauth/token bodies to
 * route them) or rewritten, replayed with `body` so that oidc-provider can read it as if new.
 */
export function replayWithBody(req: IncomingMessage, body: Buffer, contentType?: string): IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.httpVersion = req.httpVersion;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  const headers = { ...req.headers, "content-length": String(body.length) };
  if (contentType !== undefined) headers["content-type"] = contentType;
  delete headers["transfer-encoding"];
  copy.headers = headers;
  // A message that is not `complete` counts as aborted when it ends, and would take the socket with it.
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}
