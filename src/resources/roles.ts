import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import type { RoleChange, RoleDesired } from "../plan/plan.js";

export interface RoleState {
  id: string;
  name: string;
  description?: string;
  /** Permissions of THIS API only: other APIs' permissions are never read into a plan, so never touched. */
  permissions: string[];
  userIds: Set<string>;
}

/** Every role of the tenant, 100 per call. */
export async function readRoles(tenant: Tenant): Promise<Management.Role[]> {
  const roles: Management.Role[] = [];
  for await (const role of await tenant.client.roles.list({ per_page: 100 })) roles.push(role);
  return roles;
}

async function readRolePermissions(tenant: Tenant, roleId: string, apiIdentifier: string): Promise<string[]> {
  const permissions: string[] = [];
  for await (const p of await tenant.client.roles.permissions.list(roleId, { per_page: 100 })) {
    if (p.resource_server_identifier === apiIdentifier && p.permission_name) permissions.push(p.permission_name);
  }
  return permissions;
}

async function readRoleUsers(tenant: Tenant, roleId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const u of await tenant.client.roles.users.list(roleId, { take: 100 })) if (u.user_id) ids.add(u.user_id);
  return ids;
}

/** Reads what a desired role needs: its permissions of this API, and its users only when the file lists some. */
export async function readRoleState(tenant: Tenant, role: Management.Role, desired: RoleDesired, apiIdentifier: string): Promise<RoleState> {
  const [permissions, userIds] = await Promise.all([
    readRolePermissions(tenant, role.id!, apiIdentifier),
    desired.users.length ? readRoleUsers(tenant, role.id!) : Promise.resolve(new Set<string>()),
  ]);
  return { id: role.id!, name: role.name!, description: role.description, permissions, userIds };
}

/**
 * `GET /users-by-email` per distinct email (a bare array, no paging). Auth0 stores database emails
 * lower-cased and matches case-sensitively, so the lower-cased address is looked up first; the
 * address as written only when that finds nobody (other connections may keep its capitals). One
 * email may match several users (one per connection): all of them are returned.
 */
export async function lookupUsers(tenant: Tenant, emails: string[]): Promise<Map<string, string[]>> {
  const byEmail = (email: string) => tenant.client.users.listUsersByEmail({ email, fields: "user_id,email", include_fields: true });
  const distinct = [...new Set(emails)];
  const found = await Promise.all(
    distinct.map(async (email) => {
      let users = await byEmail(email.toLowerCase());
      if (!users.length && email !== email.toLowerCase()) users = await byEmail(email);
      return [email, [...new Set(users.map((u) => u.user_id!).filter(Boolean))]] as [string, string[]];
    }),
  );
  return new Map(found);
}

/** "One email, several users" is worth saying: the role goes to each of them. */
export function multipleUserWarnings(users: Map<string, string[]>): string[] {
  return [...users].filter(([, ids]) => ids.length > 1).map(([email, ids]) => `${email} matches ${ids.length} users (${ids.join(", ")}, one per connection): each is assigned the role.`);
}

export function planRole(
  current: RoleState | undefined,
  desired: RoleDesired,
  apiIdentifier: string,
  usersByEmail: Map<string, string[]>,
  prune: boolean,
): RoleChange {
  const have = new Set(current?.permissions ?? []);
  const want = new Set(desired.permissions);
  const addPermissions = desired.permissions.filter((p) => !have.has(p));
  const removePermissions = prune ? (current?.permissions ?? []).filter((p) => !want.has(p)) : [];
  const unknownEmails = desired.users.filter((e) => !(usersByEmail.get(e)?.length));
  const addUsers = desired.users.flatMap((email) =>
    (usersByEmail.get(email) ?? []).filter((id) => !current?.userIds.has(id)).map((userId) => ({ email, userId })),
  );
  const descriptionDiffers = current !== undefined && desired.description !== undefined && (current.description ?? "") !== desired.description;
  const fields = [
    ...(current ? [] : [{ field: "name", from: undefined, to: desired.name }]),
    ...((!current && desired.description !== undefined) || descriptionDiffers ? [{ field: "description", from: current?.description, to: desired.description }] : []),
    ...(addPermissions.length ? [{ field: "permissions (add)", from: undefined, to: addPermissions }] : []),
    ...(removePermissions.length ? [{ field: "permissions (remove)", from: removePermissions, to: undefined }] : []),
    ...(addUsers.length ? [{ field: "users (assign)", from: undefined, to: addUsers.map((u) => u.email) }] : []),
  ];
  return {
    kind: "role",
    label: `Role ${desired.name}`,
    action: !current ? "create" : fields.length ? "update" : "unchanged",
    id: current?.id,
    desired,
    apiIdentifier,
    prune,
    addPermissions,
    removePermissions,
    addUsers,
    unknownEmails,
    permissionsAfter: [...(current?.permissions ?? []).filter((p) => !removePermissions.includes(p)), ...addPermissions],
    fields,
  };
}

const toPermissions = (identifier: string, names: string[]) => ({
  permissions: names.map((permission_name) => ({ resource_server_identifier: identifier, permission_name })),
});

/** Only the difference: one call to add, one to remove, one to assign — never delete-all-and-re-add. */
export async function applyRole(tenant: Tenant, change: RoleChange): Promise<void> {
  if (!change.id) {
    const created = await tenant.client.roles.create({ name: change.desired.name, description: change.desired.description });
    change.id = created.id;
  } else if (change.fields.some((f) => f.field === "description")) {
    await tenant.client.roles.update(change.id, { description: change.desired.description });
  }
  if (change.addPermissions.length) await tenant.client.roles.permissions.add(change.id!, toPermissions(change.apiIdentifier, change.addPermissions));
  if (change.removePermissions.length) await tenant.client.roles.permissions.delete(change.id!, toPermissions(change.apiIdentifier, change.removePermissions));
  if (change.addUsers.length) await tenant.client.roles.users.assign(change.id!, { users: [...new Set(change.addUsers.map((u) => u.userId))] });
}

/** Reads the one role back (by exact name) after a write whose outcome is unknown, so a retried create never duplicates it. */
export async function refreshRole(tenant: Tenant, change: RoleChange): Promise<RoleChange> {
  let role: Management.Role | undefined;
  for await (const r of await tenant.client.roles.list({ per_page: 100, name_filter: change.desired.name })) {
    if (r.name === change.desired.name) role = r;
  }
  const state = role ? await readRoleState(tenant, role, change.desired, change.apiIdentifier) : undefined;
  const users = new Map<string, string[]>();
  for (const u of change.addUsers) users.set(u.email, [...(users.get(u.email) ?? []), u.userId]);
  for (const email of change.desired.users) if (!users.has(email)) users.set(email, []);
  const refreshed = planRole(state, change.desired, change.apiIdentifier, users, change.prune);
  // Users already assigned before were filtered out of addUsers; they are not "unknown".
  return { ...refreshed, unknownEmails: change.unknownEmails };
}
