import { ApiError, json } from "../http.js";
import { boolParam, listPage } from "../paging.js";
import { refuseBeyondPlan } from "../plan.js";
import { createClientGrantSchema, payloadValidationMessage, updateClientGrantSchema, validateBody } from "../schemas.js";
import type { ClientGrant, ResourceServer, TenantStore } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): ClientGrant {
  const id = param(ctx, "id");
  const grant = ctx.store.clientGrants.find((g) => g.id === id);
  if (!grant) throw new ApiError(404, "The client grant does not exist", "inexistent_client_grant");
  return grant;
}

function audienceApi(store: TenantStore, audience: string): ResourceServer {
  const rs = store.resourceServerByIdentifier(audience);
  // Auth0's wording for a grant naming an API that does not exist.
  if (!rs) throw new ApiError(404, `No resource with identifier ${audience}`, "inexistent_resource_server");
  return rs;
}

/** A grant may only hold scopes that its API defines. */
function checkScopes(rs: ResourceServer, scope: readonly string[]): void {
  const defined = new Set((rs.scopes ?? []).map((s) => s.value));
  const unknown = scope.filter((s) => !defined.has(s));
  if (unknown.length > 0) {
    throw new ApiError(400, `The following scopes are not defined by the resource server ${rs.identifier}: ${unknown.join(", ")}`, "invalid_scope");
  }
}

/** A grant as Auth0 shows it: with `allow_all_scopes` on, it lists no `scope`. */
function present(grant: ClientGrant): Partial<ClientGrant> {
  if (grant["allow_all_scopes"] !== true) return grant;
  const { scope: _all, ...rest } = grant;
  return rest;
}

export const clientGrantRoutes: Route[] = [
  {
    method: "GET",
    path: "/client-grants",
    scopes: ["read:client_grants"],
    handle: ({ store, query }) => {
      const audience = query.get("audience");
      const clientId = query.get("client_id");
      const defaultFor = query.get("default_for");
      const subjectType = query.get("subject_type");
      const anyOrganization = boolParam(query, "allow_any_organization");
      const all = store.clientGrants.filter(
        (g) =>
          (audience === null || g.audience === audience) &&
          (clientId === null || g.client_id === clientId) &&
          (defaultFor === null || g.default_for === defaultFor) &&
          (subjectType === null || g.subject_type === subjectType) &&
          (anyOrganization === undefined || (g["allow_any_organization"] ?? false) === anyOrganization),
      );
      return listPage(all, "client_grants", query, (g) => g.id, { project: present });
    },
  },
  {
    method: "POST",
    path: "/client-grants",
    scopes: ["create:client_grants"],
    handle: ({ store, body }) => {
      const input = validateBody(createClientGrantSchema, body);
      // A grant is for one application (client_id) or for a group of them (default_for), never both.
      if (input.client_id === undefined && input.default_for === undefined) {
        throw new ApiError(400, payloadValidationMessage("Missing required property: client_id"), "invalid_body");
      }
      if (input.client_id !== undefined && input.default_for !== undefined) {
        throw new ApiError(400, payloadValidationMessage("Only one of client_id or default_for can be specified"), "invalid_body");
      }
      if (input.client_id !== undefined && !store.findClient(input.client_id)) {
        throw new ApiError(404, "The client does not exist", "inexistent_client");
      }
      const rs = audienceApi(store, input.audience);
      checkScopes(rs, input.scope ?? []);
      const duplicate = store.clientGrants.some(
        (g) => g.audience === input.audience && (input.client_id !== undefined ? g.client_id === input.client_id : g.default_for === input.default_for),
      );
      if (duplicate) throw new ApiError(409, "A client grant for this client and audience already exists", "conflict");
      refuseBeyondPlan(store, "clientGrants");
      const grant = store.addClientGrant({ ...input, subject_type: input.subject_type ?? "client" });
      return json(201, present(grant));
    },
  },
  {
    method: "GET",
    path: "/client-grants/:id",
    scopes: ["read:client_grants"],
    handle: (ctx) => json(200, present(find(ctx))),
  },
  {
    method: "PATCH",
    path: "/client-grants/:id",
    scopes: ["update:client_grants"],
    handle: (ctx) => {
      const grant = find(ctx);
      const patch = validateBody(updateClientGrantSchema, ctx.body);
      if (patch.scope !== undefined && patch.scope !== null) checkScopes(audienceApi(ctx.store, grant.audience), patch.scope);
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (key === "scope") grant.scope = (value as string[] | null) ?? [];
        else if (value === null) delete grant[key];
        else grant[key] = value;
      }
      ctx.store.changed();
      return json(200, present(grant));
    },
  },
  {
    method: "DELETE",
    path: "/client-grants/:id",
    scopes: ["delete:client_grants"],
    handle: (ctx) => {
      // Auth0 answers 204 for a grant that is already gone (recorded by the Terraform provider).
      const id = param(ctx, "id");
      if (!ctx.store.clientGrants.some((g) => g.id === id)) return json(204);
      ctx.store.clientGrants = ctx.store.clientGrants.filter((g) => g.id !== id);
      ctx.store.changed();
      return json(204);
    },
  },
];
