import type { JWTPayload } from "jose";

import { clientGrantRoutes } from "./endpoints/client-grants.js";
import { clientRoutes } from "./endpoints/clients.js";
import { connectionRoutes } from "./endpoints/connections.js";
import { resourceServerRoutes } from "./endpoints/resource-servers.js";
import { roleRoutes } from "./endpoints/roles.js";
import { ruleRoutes } from "./endpoints/rules.js";
import type { Route } from "./endpoints/route.js";
import { tenantSettingsRoutes } from "./endpoints/tenant-settings.js";
import { userRoutes } from "./endpoints/users.js";
import { ApiError, parseJsonBody, type ApiResponse } from "./http.js";
import type { TenantStore } from "./store.js";
import { CURRENT_USER_SCOPES } from "./scopes.js";
import type { TenantSigningKey } from "./tokens.js";

/** Auth0 marks client-credentials tokens with `gty` and a `<client_id>@clients` subject. */
function isClientCredentials(payload: JWTPayload): boolean {
  return payload["gty"] === "client-credentials" && typeof payload.sub === "string" && payload.sub === `${String(payload["azp"])}@clients`;
}

export const MANAGEMENT_API_PREFIX = "/api/v2";

export const ROUTES: readonly Route[] = [
  ...tenantSettingsRoutes,
  ...resourceServerRoutes,
  ...clientGrantRoutes,
  ...connectionRoutes,
  ...roleRoutes,
  ...userRoutes,
  ...clientRoutes,
  ...ruleRoutes,
];

export interface ManagementRequest {
  method: string;
  /** The request URL; its path starts with /api/v2. */
  url: URL;
  authorization: string | undefined;
  body: Buffer;
}

function match(route: Route, segments: readonly string[]): Record<string, string> | undefined {
  const pattern = route.path.split("/").slice(1);
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = segments[i] as string;
    if (expected.startsWith(":")) {
      if (actual === "") return undefined;
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * The Management API v2: finds the route, authenticates the bearer token, checks the route's
 * scopes, parses the body and runs the handler. Every failure becomes Auth0's error body.
 * Rate limits and fault injection happen around it, in the server.
 */
export class ManagementApi {
  private readonly routes: readonly Route[];

  /** `extraRoutes`: endpoints that depend on how the tenant was started (custom domains, CIMD). */
  constructor(
    private readonly store: TenantStore,
    private readonly signingKey: TenantSigningKey,
    extraRoutes: readonly Route[] = [],
  ) {
    this.routes = [...ROUTES, ...extraRoutes];
  }

  async handle(request: ManagementRequest): Promise<ApiResponse> {
    try {
      return await this.dispatch(request);
    } catch (error) {
      if (error instanceof ApiError) return error.toResponse();
      const message = error instanceof Error ? error.message : String(error);
      return new ApiError(500, `Internal error in the local tenant: ${message}`, "internal_error").toResponse();
    }
  }

  private async dispatch(request: ManagementRequest): Promise<ApiResponse> {
    // Split before decoding, so an identifier such as https%3A%2F%2Fapi%2F stays one segment.
    const rawSegments = request.url.pathname.slice(MANAGEMENT_API_PREFIX.length).split("/").slice(1);
    let segments: string[];
    try {
      segments = rawSegments.map((s) => decodeURIComponent(s));
    } catch {
      throw new ApiError(400, "Invalid request path", "invalid_uri");
    }

    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const params = match(route, segments);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (!found) throw new ApiError(404, "Not Found", "not_found");

    const scopes = await this.authenticate(request.authorization);
    const { route, params } = found;
    if (!route.scopes.some((s) => scopes.has(s))) {
      throw new ApiError(403, `Insufficient scope, expected any of: ${route.scopes.join(",")}`, "insufficient_scope");
    }

    const body = request.method === "GET" ? undefined : parseJsonBody(request.body);
    return route.handle({ params, query: request.url.searchParams, body, store: this.store, scopes });
  }

  private async authenticate(authorization: string | undefined): Promise<ReadonlySet<string>> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) throw new ApiError(401, "Missing authentication", "missing_authentication");
    const verified = await this.signingKey.verifyManagementToken(this.store.domain, match[1]);
    if (!verified) throw new ApiError(401, "Invalid token", "invalid_token");
    // The OAuth side signs user tokens with the same key: only a client-credentials token carries
    // admin authority, a user's token at most the `current_user` scopes (which no route here accepts).
    if (!isClientCredentials(verified.payload)) return new Set([...verified.scopes].filter((s) => CURRENT_USER_SCOPES.includes(s)));
    return verified.scopes;
  }
}
