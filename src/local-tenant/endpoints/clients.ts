import { ApiError, json } from "../http.js";
import { boolParam, offsetPage, selectFields } from "../paging.js";
import { refuseBeyondPlan } from "../plan.js";
import { createClientSchema, payloadValidationMessage, updateClientSchema, validateBody } from "../schemas.js";
import type { Client, TenantStore } from "../store.js";
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

const CUSTOM_API = "resource_server";

interface CustomApiFields {
  grant_types?: string[] | undefined;
  is_first_party?: boolean | undefined;
  token_endpoint_auth_method?: string | undefined;
}

/**
 * What contradicts a Custom API client, a first-party client that only authenticates itself at
 * /oauth/token to exchange tokens: grant types (it has none, recorded), third party, or no client
 * authentication (the OBO guide: "you cannot set `token_endpoint_auth_method` to `none`").
 * Inferred: Auth0's refusals of these are not recorded.
 */
function refuseCustomApiContradictions(fields: CustomApiFields): void {
  const refuse = (reason: string) => new ApiError(400, payloadValidationMessage(`A client with app_type ${CUSTOM_API} ${reason}`), "invalid_body");
  if (fields.grant_types !== undefined && fields.grant_types.length > 0) throw refuse("cannot have grant_types");
  if (fields.is_first_party === false) throw refuse("is always first party");
  if (fields.token_endpoint_auth_method === "none") throw refuse("must authenticate at the token endpoint");
}

/**
 * A Custom API client (Auth0's On-Behalf-Of prerequisite: `app_type: "resource_server"` with
 * `resource_server_identifier` = an API of the tenant). Recorded: the two fields together create a
 * first-party client with no grant types, and the API reads back with its `client_id`. Inferred
 * (the Terraform provider documents the identifier as "sent only when app_type=resource_server"
 * and immutable; refusals are not recorded): the identifier without the type, the type without an
 * identifier, an unknown or system API, and a second client for one API are refused.
 */
function checkCustomApiClient(store: TenantStore, input: CustomApiFields & { app_type?: string | undefined; resource_server_identifier?: string | undefined }): void {
  const identifier = input.resource_server_identifier;
  if (input.app_type !== CUSTOM_API) {
    if (identifier !== undefined) throw new ApiError(400, payloadValidationMessage(`resource_server_identifier is only allowed when app_type is ${CUSTOM_API}`), "invalid_body");
    return;
  }
  if (identifier === undefined) throw new ApiError(400, payloadValidationMessage("Missing required property: resource_server_identifier"), "invalid_body");
  const api = store.resourceServerByIdentifier(identifier);
  if (!api || api.is_system === true) throw new ApiError(404, `No resource with identifier ${identifier}`, "inexistent_resource_server");
  const linked = typeof api["client_id"] === "string" ? api["client_id"] : undefined;
  if (linked !== undefined && store.findClient(linked)) throw new ApiError(409, `The resource server ${identifier} is already linked to the client ${linked}`, "conflict");
  refuseCustomApiContradictions(input);
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
      checkCustomApiClient(store, input);
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
      // A Custom API client stays one, linked to its API, and no other client becomes one (inferred, as above).
      const customApi = client.app_type === CUSTOM_API;
      if (patch.app_type !== undefined && (patch.app_type === CUSTOM_API) !== customApi) {
        throw new ApiError(400, payloadValidationMessage(`app_type cannot be changed ${customApi ? "from" : "to"} ${CUSTOM_API}`), "invalid_body");
      }
      if (customApi) refuseCustomApiContradictions(patch);
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
