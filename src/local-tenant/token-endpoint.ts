import { timingSafeEqual } from "node:crypto";

import { json, type ApiResponse } from "./http.js";
import type { TenantStore } from "./store.js";
import type { TenantSigningKey } from "./tokens.js";

export type TokenParams = Record<string, string>;

/** Form or JSON, as Auth0's /oauth/token accepts both; undefined for anything else. */
export function parseTokenParams(contentType: string | undefined, raw: Buffer): TokenParams | undefined {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
  }
  if (type === "application/json") {
    try {
      const parsed = JSON.parse(raw.toString("utf8")) as unknown;
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** client_secret_basic: `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). */
function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function oauthError(status: number, error: string, description: string): ApiResponse {
  return json(status, { error, error_description: description });
}

/**
 * The client-credentials grant for the Management API audience — the only part of /oauth/token
 * that the local tenant answers itself. Every other token request (other grants, other audiences)
 * belongs to the OAuth side and goes to the fallback handler.
 */
export class ManagementTokenEndpoint {
  constructor(
    private readonly store: TenantStore,
    private readonly signingKey: TenantSigningKey,
  ) {}

  isManagementRequest(params: TokenParams): boolean {
    return params["grant_type"] === "client_credentials" && params["audience"] === this.store.managementAudience;
  }

  handle(params: TokenParams, authorization: string | undefined): ApiResponse {
    const basic = basicCredentials(authorization);
    const id = basic?.id ?? params["client_id"];
    const secret = basic?.secret ?? params["client_secret"];
    const client = id === undefined ? undefined : this.store.findClient(id);
    if (!client || secret === undefined || client.client_secret === undefined || !sameSecret(secret, client.client_secret)) {
      return oauthError(401, "access_denied", "Unauthorized");
    }
    if (!client.grant_types.includes("client_credentials")) {
      return oauthError(403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.");
    }

    const audience = this.store.managementAudience;
    const grant = this.store.clientGrants.find((g) => g.client_id === client.client_id && g.audience === audience);
    if (!grant) {
      return oauthError(
        403,
        "access_denied",
        `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
      );
    }

    // A `scope` parameter narrows the token to those scopes, all of which must be granted.
    // `allow_all_scopes` grants every scope the API defines, now and later.
    const granted = grant["allow_all_scopes"] === true ? (this.store.resourceServerByIdentifier(audience)?.scopes?.map((s) => s.value) ?? []) : grant.scope;
    let scopes = granted;
    const requested = params["scope"]?.split(" ").filter(Boolean);
    if (requested && requested.length > 0) {
      const notGranted = requested.filter((s) => !granted.includes(s));
      if (notGranted.length > 0) return oauthError(403, "access_denied", `Client has not been granted scopes: ${notGranted.join(", ")}`);
      scopes = requested;
    }

    const expiresIn = this.store.resourceServerByIdentifier(audience)?.token_lifetime ?? 86400;
    const accessToken = this.signingKey.signManagementToken(this.store.domain, { clientId: client.client_id, scopes, expiresInSeconds: expiresIn });
    return {
      status: 200,
      headers: { "cache-control": "no-store", pragma: "no-cache" },
      body: { access_token: accessToken, scope: scopes.join(" "), expires_in: expiresIn, token_type: "Bearer" },
    };
  }
}
