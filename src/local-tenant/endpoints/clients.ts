import { ApiError, json } from "../http.js";
import { boolParam, offsetPage, selectFields } from "../paging.js";
import { refuseBeyondPlan } from "../plan.js";
import { createClientSchema, updateClientSchema, validateBody } from "../schemas.js";
import type { Client } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): Client {
  const client = ctx.store.findClient(param(ctx, "id"));
  if (!client) throw new ApiError(404, "The client does not exist", "inexistent_client");
  return client;
}

/** Auth0 only shows `client_secret` to tokens holding `read:client_keys`. */
function present(client: Client, ctx: RouteContext): Partial<Client> {
  const { client_secret, ...rest } = client;
  const visible = ctx.scopes.has("read:client_keys") && client_secret !== undefined ? { ...rest, client_secret } : rest;
  return selectFields(visible, ctx.query);
}

export const clientRoutes: Route[] = [
  {
    method: "GET",
    path: "/clients",
    scopes: ["read:clients"],
    handle: (ctx) => {
      const appTypes = ctx.query.get("app_type")?.split(",").filter(Boolean);
      const firstParty = boolParam(ctx.query, "is_first_party");
      const global = boolParam(ctx.query, "is_global");
      // A CIMD client by its metadata URL (docs-v2, register-applications-with-cimd: "Get CIMD client").
      const externalClientId = ctx.query.get("external_client_id") ?? undefined;
      const all = ctx.store.clients.filter(
        (c) =>
          (appTypes === undefined || (c.app_type !== undefined && appTypes.includes(c.app_type))) &&
          (firstParty === undefined || c.is_first_party === firstParty) &&
          (global === undefined || (c["global"] ?? false) === global) &&
          (externalClientId === undefined || c["external_client_id"] === externalClientId),
      );
      return offsetPage(all, "clients", ctx.query, { project: (c) => present(c, ctx) });
    },
  },
  {
    method: "POST",
    path: "/clients",
    scopes: ["create:clients"],
    handle: ({ store, body }) => {
      const input = validateBody(createClientSchema, body);
      const definedOnly = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as typeof input;
      refuseBeyondPlan(store, "applications");
      // The creation answer is the one place a client secret is always shown.
      return json(201, store.addClient(definedOnly));
    },
  },
  {
    method: "GET",
    path: "/clients/:id",
    scopes: ["read:clients"],
    handle: (ctx) => json(200, present(find(ctx), ctx)),
  },
  {
    method: "PATCH",
    path: "/clients/:id",
    scopes: ["update:clients"],
    handle: (ctx) => {
      const client = find(ctx);
      const patch = validateBody(updateClientSchema, ctx.body);
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (value === null) delete client[key];
        // jwt_configuration is merged key by key: a PATCH of its lifetime keeps `secret_encoded`
        // (recorded by the Terraform provider).
        else if (key === "jwt_configuration" && typeof client[key] === "object" && client[key] !== null) client[key] = { ...(client[key] as object), ...(value as object) };
        else client[key] = value;
      }
      ctx.store.changed();
      return json(200, present(client, ctx));
    },
  },
  {
    method: "DELETE",
    path: "/clients/:id",
    scopes: ["delete:clients"],
    handle: (ctx) => {
      ctx.store.deleteClient(find(ctx));
      return json(204);
    },
  },
];
