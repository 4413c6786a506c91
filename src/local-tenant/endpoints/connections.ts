import { ApiError, json } from "../http.js";
import { checkpointPage, listPage, selectFields } from "../paging.js";
import { updateConnectionSchema, updateEnabledClientsSchema, validateBody } from "../schemas.js";
import type { Connection } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): Connection {
  const connection = ctx.store.findConnection(param(ctx, "id"));
  if (!connection) throw new ApiError(404, "The connection does not exist", "inexistent_connection");
  return connection;
}

/** Auth0 answers these keys of a connection whatever `fields` asks for. */
const ALWAYS_SHOWN = ["id", "is_domain_connection", "authentication", "connected_accounts"] as const;

function present(connection: Connection, query: URLSearchParams): Partial<Connection> {
  const selected = selectFields(connection, query);
  for (const key of ALWAYS_SHOWN) if (key in connection) (selected as Record<string, unknown>)[key] = connection[key];
  return selected;
}

export const connectionRoutes: Route[] = [
  {
    method: "GET",
    path: "/connections",
    scopes: ["read:connections"],
    handle: ({ store, query }) => {
      // The SDK repeats `strategy` for each value; `name` is an exact match.
      const strategies = query.getAll("strategy").filter(Boolean);
      const name = query.get("name");
      const all = store.connections.filter((c) => (strategies.length === 0 || strategies.includes(c.strategy)) && (name === null || c.name === name));
      return listPage(all, "connections", query, (c) => c.id, { project: (c) => present(c, query) });
    },
  },
  {
    method: "GET",
    path: "/connections/:id",
    scopes: ["read:connections"],
    handle: (ctx) => json(200, present(find(ctx), ctx.query)),
  },
  {
    method: "PATCH",
    path: "/connections/:id",
    scopes: ["update:connections"],
    handle: (ctx) => {
      const connection = find(ctx);
      const patch = validateBody(updateConnectionSchema, ctx.body);
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        // Auth0 replaces the whole `options` object: a PATCH with {"options":{"a":1}} loses every
        // other option. That is why mcp-auth0 never sends `options` when promoting a connection.
        if (key === "options") connection.options = (value as Record<string, unknown> | null) ?? {};
        // `enabled_clients` is deprecated here (PATCH /connections/{id}/clients replaces it) but still honoured.
        else if (key === "enabled_clients") connection.enabled_clients = (value as string[] | null) ?? [];
        else connection[key] = value;
      }
      ctx.store.changed();
      return json(200, connection);
    },
  },
  {
    // The clients a connection is enabled for, checkpoint paged: `{clients: [{client_id}], next?}`.
    method: "GET",
    path: "/connections/:id/clients",
    scopes: ["read:connections"],
    handle: (ctx) => {
      const clients = find(ctx).enabled_clients.map((client_id) => ({ client_id }));
      return checkpointPage(clients, "clients", ctx.query, (c) => c.client_id);
    },
  },
  {
    // Enables or disables the listed clients only; the replacement of the deprecated `enabled_clients`.
    method: "PATCH",
    path: "/connections/:id/clients",
    scopes: ["update:connections"],
    handle: (ctx) => {
      const connection = find(ctx);
      const items = validateBody(updateEnabledClientsSchema, ctx.body);
      for (const item of items) {
        if (!ctx.store.findClient(item.client_id)) throw new ApiError(404, `The client ${item.client_id} does not exist`, "inexistent_client");
      }
      for (const item of items) {
        const enabled = connection.enabled_clients.includes(item.client_id);
        if (item.status && !enabled) connection.enabled_clients.push(item.client_id);
        if (!item.status && enabled) connection.enabled_clients = connection.enabled_clients.filter((id) => id !== item.client_id);
      }
      ctx.store.changed();
      return json(204);
    },
  },
];
