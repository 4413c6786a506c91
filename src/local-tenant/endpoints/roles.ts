import { ApiError, json } from "../http.js";
import { listPage, offsetPage } from "../paging.js";
import { createRoleSchema, rolePermissionsSchema, roleUsersSchema, updateRoleSchema, validateBody } from "../schemas.js";
import type { Role, RolePermission, TenantStore } from "../store.js";
import { param, type Route, type RouteContext } from "./route.js";

function find(ctx: RouteContext): Role {
  const role = ctx.store.findRole(param(ctx, "id"));
  if (!role) throw new ApiError(404, "The role does not exist.", "inexistent_role");
  return role;
}

function refuseDuplicateName(store: TenantStore, name: string, except?: Role): void {
  if (store.roles.some((r) => r !== except && r.name === name)) {
    throw new ApiError(409, "Role name already exists", "conflict");
  }
}

/** A role may only hold permissions that are scopes of an existing API. */
function checkPermissions(store: TenantStore, permissions: readonly RolePermission[]): void {
  for (const p of permissions) {
    const rs = store.resourceServerByIdentifier(p.resource_server_identifier);
    if (!rs || !rs.scopes?.some((s) => s.value === p.permission_name)) {
      throw new ApiError(400, `Permission "${p.permission_name}" does not exist on resource server "${p.resource_server_identifier}"`, "invalid_permission");
    }
  }
}

/** A permission as GET /roles/{id}/permissions shows it, with the API's name and the scope's description. */
function describePermission(store: TenantStore, p: RolePermission): Record<string, string> {
  const rs = store.resourceServerByIdentifier(p.resource_server_identifier);
  const description = rs?.scopes?.find((s) => s.value === p.permission_name)?.description;
  return {
    permission_name: p.permission_name,
    description: description ?? "",
    resource_server_name: rs?.name ?? p.resource_server_identifier,
    resource_server_identifier: p.resource_server_identifier,
  };
}

/** A role as GET shows it: Auth0 answers `description: ""` for a role created without one. */
function present(role: Role): Role {
  return { ...role, description: role.description ?? "" };
}

export const roleRoutes: Route[] = [
  {
    method: "GET",
    path: "/roles",
    scopes: ["read:roles"],
    handle: ({ store, query }) => {
      // name_filter is a case-insensitive match on part of the name.
      const filter = query.get("name_filter")?.toLowerCase();
      const all = filter ? store.roles.filter((r) => r.name.toLowerCase().includes(filter)) : store.roles;
      return offsetPage(all, "roles", query, { withLength: true, project: present });
    },
  },
  {
    method: "POST",
    path: "/roles",
    scopes: ["create:roles"],
    handle: ({ store, body }) => {
      const input = validateBody(createRoleSchema, body);
      refuseDuplicateName(store, input.name);
      return json(200, store.addRole(input));
    },
  },
  {
    method: "GET",
    path: "/roles/:id",
    scopes: ["read:roles"],
    handle: (ctx) => json(200, present(find(ctx))),
  },
  {
    method: "PATCH",
    path: "/roles/:id",
    scopes: ["update:roles"],
    handle: (ctx) => {
      const role = find(ctx);
      const patch = validateBody(updateRoleSchema, ctx.body);
      if (patch.name !== undefined) {
        refuseDuplicateName(ctx.store, patch.name, role);
        role.name = patch.name;
      }
      if (patch.description !== undefined) role.description = patch.description;
      ctx.store.changed();
      return json(200, present(role));
    },
  },
  {
    method: "DELETE",
    path: "/roles/:id",
    scopes: ["delete:roles"],
    handle: (ctx) => {
      ctx.store.deleteRole(find(ctx));
      // Auth0 answers 200 with an empty object (recorded by the Terraform provider).
      return json(200, {});
    },
  },

  // ---- permissions of a role ----
  {
    method: "GET",
    path: "/roles/:id/permissions",
    scopes: ["read:roles"],
    handle: (ctx) => {
      const role = find(ctx);
      const all = ctx.store.rolePermissions[role.id] ?? [];
      return offsetPage(all, "permissions", ctx.query, { project: (p) => describePermission(ctx.store, p) });
    },
  },
  {
    method: "POST",
    path: "/roles/:id/permissions",
    scopes: ["update:roles"],
    handle: (ctx) => {
      const role = find(ctx);
      const { permissions } = validateBody(rolePermissionsSchema, ctx.body);
      checkPermissions(ctx.store, permissions);
      ctx.store.addRolePermissions(role.id, permissions);
      return json(201, {});
    },
  },
  {
    method: "DELETE",
    path: "/roles/:id/permissions",
    scopes: ["update:roles"],
    handle: (ctx) => {
      const role = find(ctx);
      const { permissions } = validateBody(rolePermissionsSchema, ctx.body);
      checkPermissions(ctx.store, permissions);
      ctx.store.removeRolePermissions(role.id, permissions);
      return json(204);
    },
  },

  // ---- users of a role ----
  {
    method: "GET",
    path: "/roles/:id/users",
    scopes: ["read:users", "read:roles", "read:role_members"],
    handle: (ctx) => {
      const role = find(ctx);
      const users = (ctx.store.roleUsers[role.id] ?? []).map((id) => ctx.store.findUser(id)).filter((u) => u !== undefined);
      return listPage(users, "users", ctx.query, (u) => u.user_id, {
        project: (u) => ({ user_id: u.user_id, email: u.email, name: u.name, picture: u.picture }),
      });
    },
  },
  {
    method: "POST",
    path: "/roles/:id/users",
    scopes: ["update:roles", "create:role_members"],
    handle: (ctx) => {
      const role = find(ctx);
      const { users } = validateBody(roleUsersSchema, ctx.body);
      const missing = users.find((id) => !ctx.store.findUser(id));
      if (missing !== undefined) throw new ApiError(404, `The user does not exist: ${missing}`, "inexistent_user");
      ctx.store.addRoleUsers(role.id, users);
      return json(200);
    },
  },
];
