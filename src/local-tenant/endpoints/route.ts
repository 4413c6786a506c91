import type { ApiResponse } from "../http.js";
import type { TenantStore } from "../store.js";

export interface RouteContext {
  /** Path parameters, URL-decoded (the SDK encodes an identifier like `https://x/` as one segment). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body of a write; `{}` when it was empty. */
  body: unknown;
  store: TenantStore;
  /** Scopes of the caller's access token. */
  scopes: ReadonlySet<string>;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Below /api/v2, with `:name` parameters, e.g. `/roles/:id/permissions`. */
  path: string;
  /** The token needs at least one of these (Auth0: "Insufficient scope, expected any of: …"). */
  scopes: readonly string[];
  handle(ctx: RouteContext): ApiResponse | Promise<ApiResponse>;
}

/** The single path parameter every `/:id` route has. */
export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`Route has no :${name} parameter`);
  return value;
}
