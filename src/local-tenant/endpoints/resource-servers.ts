import { createHash, randomBytes, X509Certificate } from "node:crypto";

import { ApiError, json } from "../http.js";
import { offsetPage } from "../paging.js";
import { refuseBeyondPlan } from "../plan.js";
import { createResourceServerSchema, updateResourceServerSchema, validateBody } from "../schemas.js";
import type { ResourceServer, TenantStore } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): ResourceServer {
  const rs = ctx.store.findResourceServer(param(ctx, "id"));
  if (!rs) throw new ApiError(404, "The resource server does not exist", "inexistent_resource_server");
  return rs;
}

/** The Auth0 Management API (and other system APIs) belong to Auth0: they cannot be changed. */
function refuseSystem(rs: ResourceServer, verb: "update" | "delete"): void {
  if (rs.is_system) throw new ApiError(400, `You cannot ${verb} a system resource server (${rs.name}).`, "operation_not_supported");
}

/**
 * Removing a scope from an API removes that permission from every role holding it, so that roles
 * never name permissions that no longer exist.
 */
function dropRemovedScopes(store: TenantStore, rs: ResourceServer, before: readonly string[]): void {
  const now = new Set((rs.scopes ?? []).map((s) => s.value));
  const removed = new Set(before.filter((value) => !now.has(value)));
  if (removed.size === 0) return;
  for (const roleId of Object.keys(store.rolePermissions)) {
    store.rolePermissions[roleId] = (store.rolePermissions[roleId] ?? []).filter((p) => p.resource_server_identifier !== rs.identifier || !removed.has(p.permission_name));
  }
}

/**
 * Auth0 keeps a token-encryption key's certificate but shows only its SHA-256 thumbprint
 * (base64url of the certificate's DER), never the PEM it was given.
 */
function storedTokenEncryption(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const { encryption_key: key, ...rest } = value as Record<string, unknown>;
  if (key === null || typeof key !== "object" || typeof (key as Record<string, unknown>)["pem"] !== "string") return value;
  const { pem, ...keyRest } = key as Record<string, unknown>;
  let thumbprint: string;
  try {
    thumbprint = createHash("sha256")
      .update(new X509Certificate(pem as string).raw)
      .digest("base64url");
  } catch {
    throw new ApiError(400, "Payload validation error: 'Invalid certificate in token_encryption.encryption_key.pem'.", "invalid_body");
  }
  return { ...rest, encryption_key: { ...keyRest, thumbprint_sha256: thumbprint } };
}

/** An API as Auth0 shows it: no `scopes` key while it has none. */
function present(rs: ResourceServer): Partial<ResourceServer> {
  if (rs.scopes !== undefined) return rs;
  const { scopes: _none, ...rest } = rs;
  return rest;
}

export const resourceServerRoutes: Route[] = [
  {
    method: "GET",
    path: "/resource-servers",
    scopes: ["read:resource_servers"],
    handle: ({ store, query }) => {
      // The SDK sends the filter repeated: identifiers=a&identifiers=b.
      const identifiers = query.getAll("identifiers").filter(Boolean);
      const all = identifiers.length > 0 ? store.resourceServers.filter((rs) => identifiers.includes(rs.identifier)) : store.resourceServers;
      return offsetPage(all, "resource_servers", query, { project: present });
    },
  },
  {
    method: "POST",
    path: "/resource-servers",
    scopes: ["create:resource_servers"],
    handle: ({ store, body }) => {
      const input = validateBody(createResourceServerSchema, body);
      if (store.resourceServerByIdentifier(input.identifier)) {
        throw new ApiError(409, "A resource server with the same identifier already exists", "conflict");
      }
      refuseBeyondPlan(store, "resourceServers");
      const signing_secret = input.signing_alg === "HS256" && input.signing_secret === undefined ? randomBytes(32).toString("base64url") : input.signing_secret;
      const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)) as typeof input;
      if (defined.token_encryption !== undefined) defined.token_encryption = storedTokenEncryption(defined.token_encryption) as Record<string, unknown>;
      const rs = store.addResourceServer({ ...defined, ...(signing_secret !== undefined ? { signing_secret } : {}) });
      return json(201, present(rs));
    },
  },
  {
    method: "GET",
    path: "/resource-servers/:id",
    scopes: ["read:resource_servers"],
    handle: (ctx) => json(200, present(find(ctx))),
  },
  {
    method: "PATCH",
    path: "/resource-servers/:id",
    scopes: ["update:resource_servers"],
    handle: (ctx) => {
      const rs = find(ctx);
      refuseSystem(rs, "update");
      const patch = validateBody(updateResourceServerSchema, ctx.body);
      const scopesBefore = (rs.scopes ?? []).map((s) => s.value);
      // `scopes` replaces the whole list, as on Auth0; null removes a setting. A PATCH of
      // `subject_type_authorization` that names one subject type (Auth0's OBO guide sets `user` and
      // `client`) leaves the other's policy as it was (inferred: not recorded).
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (value === null) delete rs[key];
        else if (key === "token_encryption") rs[key] = storedTokenEncryption(value);
        else if (key === "subject_type_authorization") rs[key] = { ...(rs[key] as object | undefined), ...(value as object) };
        else rs[key] = value;
      }
      dropRemovedScopes(ctx.store, rs, scopesBefore);
      ctx.store.changed();
      return json(200, present(rs));
    },
  },
  {
    method: "DELETE",
    path: "/resource-servers/:id",
    scopes: ["delete:resource_servers"],
    handle: (ctx) => {
      const rs = find(ctx);
      refuseSystem(rs, "delete");
      ctx.store.deleteResourceServer(rs);
      return json(204);
    },
  },
];
