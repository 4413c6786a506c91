import { ApiError, json } from "../http.js";
import { offsetPage, selectFields } from "../paging.js";
import type { User } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): User {
  const user = ctx.store.findUser(param(ctx, "id"));
  if (!user) throw new ApiError(404, "The user does not exist.", "inexistent_user");
  return user;
}

export const userRoutes: Route[] = [
  {
    method: "GET",
    path: "/users-by-email",
    scopes: ["read:users"],
    handle: ({ store, query }) => {
      const email = query.get("email");
      if (!email) throw new ApiError(400, "Query validation error: 'Missing required property: email'.", "invalid_query_string");
      // A bare array without paging; the match is case-sensitive on Auth0 (an address typed with
      // other capitals finds nobody), which mcp-auth0 reports as a warning, not an error.
      return json(
        200,
        store.users.filter((u) => u.email === email).map((u) => selectFields(u, query)),
      );
    },
  },
  {
    method: "GET",
    path: "/users/:id",
    scopes: ["read:users"],
    handle: (ctx) => json(200, selectFields(find(ctx), ctx.query)),
  },
  {
    method: "GET",
    path: "/users/:id/roles",
    scopes: ["read:users", "read:roles", "read:role_members"],
    handle: (ctx) => offsetPage(ctx.store.rolesOfUser(find(ctx).user_id), "roles", ctx.query),
  },
];
