import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import type { RoleDesired } from "../input/roles-file.js";
import { plainHeadline, type BaseChange, type Handler, type Write, type Written } from "./handler.js";

export interface RoleChange extends BaseChange {
  kind: "role";
  id?: string;
  desired: RoleDesired;
  apiIdentifier: string;
  prune: boolean;
  addPermissions: string[];
  removePermissions: string[];
  /** Users found by email and not yet holding the role, each with the email it was found by. */
  assign: Array<{ email: string; userId: string }>;
  /** Emails with no user: a warning, not an error (they may sign up later). */
  unknownEmails: string[];
  /** This API's permissions the role holds once the change is applied. */
  permissionsAfter: string[];
  /** The same for each downstream API the role's `apiPermissions` names (absent when it names none). */
  apiPermissions?: ApiPermissionsChange[];
}

export interface ApiPermissionsChange {
  apiIdentifier: string;
  addPermissions: string[];
  removePermissions: string[];
  permissionsAfter: string[];
}

export interface RoleState {
  id: string;
  name: string;
  description?: string;
  /** Permissions of THIS API only: other APIs' permissions are never read into a plan, so never touched. */
  permissions: string[];
  /** Permissions of the downstream APIs the desired role names in `apiPermissions` (and of no other API), by API. */
  apiPermissions?: Record<string, string[]>;
  userIds: Set<string>;
  /** The members' emails, lower-cased: an email listed for the role that is among them needs no lookup. */
  memberEmails?: Set<string>;
}

/** A role's permissions of this API, and whether some user holds the role (undefined: not known). */
export interface RoleHolding {
  role: string;
  id?: string;
  permissions: string[];
  /** Its permissions of the downstream APIs (On-Behalf-Of), by API identifier. */
  apiPermissions?: Record<string, string[]>;
  members?: boolean;
}

/**
 * What a closing verdict knows of the planned roles without reading: the permissions each holds
 * once applied, and whether a user holds it — yes when one is assigned now or was found among its
 * members; no when the role is new and nobody is assigned, or when its members were read and none
 * remain; otherwise unknown.
 */
export function plannedHoldings(changes: RoleChange[], states: Map<string, RoleState> | undefined): RoleHolding[] {
  return changes.map((c) => {
    const state = states?.get(c.desired.name);
    const members = c.assign.length > 0 ? true : c.action === "create" ? false : state && c.desired.users.length ? state.userIds.size > 0 : undefined;
    return {
      role: c.desired.name,
      ...(c.id ? { id: c.id } : {}),
      permissions: c.permissionsAfter,
      apiPermissions: Object.fromEntries((c.apiPermissions ?? []).map((a) => [a.apiIdentifier, a.permissionsAfter])),
      ...(members === undefined ? {} : { members }),
    };
  });
}

/** Every role of the tenant, 100 per call. */
export async function readRoles(tenant: Tenant): Promise<Management.Role[]> {
  const roles: Management.Role[] = [];
  for await (const role of eachItem(tenant.client.roles.list({ per_page: 100 }))) roles.push(role);
  return roles;
}

/** The role's permissions of the given APIs only (one paged list, whatever the number of APIs), by API. */
async function readRolePermissions(tenant: Tenant, roleId: string, apis: string[]): Promise<Record<string, string[]>> {
  const permissions: Record<string, string[]> = Object.fromEntries(apis.map((api) => [api, []]));
  for await (const p of eachItem(tenant.client.roles.permissions.list(roleId, { per_page: 100 }))) {
    if (p.resource_server_identifier && p.permission_name) permissions[p.resource_server_identifier]?.push(p.permission_name);
  }
  return permissions;
}

/** The role's members (checkpoint paging); Auth0 answers each with its `email`. */
async function readRoleUsers(tenant: Tenant, roleId: string): Promise<{ userIds: Set<string>; memberEmails: Set<string> }> {
  const userIds = new Set<string>();
  const memberEmails = new Set<string>();
  for await (const u of eachItem(tenant.client.roles.users.list(roleId, { take: 100 }))) {
    if (u.user_id) userIds.add(u.user_id);
    if (u.email) memberEmails.add(u.email.toLowerCase());
  }
  return { userIds, memberEmails };
}

/** Reads what a desired role needs: its permissions of this API (and of the downstream APIs it names), and its users only when the file lists some. */
export async function readRoleState(tenant: Tenant, role: Management.Role, desired: RoleDesired, apiIdentifier: string): Promise<RoleState> {
  const downstream = Object.keys(desired.apiPermissions ?? {}).filter((api) => api !== apiIdentifier);
  const [permissions, users] = await Promise.all([
    readRolePermissions(tenant, role.id!, [apiIdentifier, ...downstream]),
    desired.users.length ? readRoleUsers(tenant, role.id!) : Promise.resolve({ userIds: new Set<string>(), memberEmails: new Set<string>() }),
  ]);
  const { [apiIdentifier]: own = [], ...others } = permissions;
  return { id: role.id!, name: role.name!, description: role.description, permissions: own, ...(downstream.length ? { apiPermissions: others } : {}), ...users };
}

/**
 * `GET /users-by-email`, at most once per distinct email (a bare array, no paging). Auth0 stores
 * database emails lower-cased and matches case-sensitively, so the lower-cased address is looked up
 * first; the address as written only when that finds nobody (other connections may keep its
 * capitals). One email may match several users (one per connection): all of them are returned.
 */
export function createUserLookup(tenant: Tenant): (email: string) => Promise<string[]> {
  const byEmail = (email: string) => tenant.client.users.listUsersByEmail({ email, fields: "user_id,email", include_fields: true });
  const found = new Map<string, Promise<string[]>>();
  return (email) => {
    let users = found.get(email);
    if (!users) {
      users = (async () => {
        let list = await byEmail(email.toLowerCase());
        if (!list.length && email !== email.toLowerCase()) list = await byEmail(email);
        return [...new Set(list.map((u) => u.user_id!).filter(Boolean))];
      })();
      found.set(email, users);
    }
    return users;
  };
}

/** What planning the desired roles reads, each read once, whoever reads it first. */
export interface RoleReads {
  /** By name: the state of each desired role that exists. */
  states: Map<string, RoleState>;
  /** Users by email (as written), for the emails not among the members of their role. */
  usersByEmail: Map<string, string[]>;
}

/**
 * Reads what the desired roles need beyond the role list: each existing role's permissions (and
 * members, when the file lists users), then looks up by email only the users not already among its
 * members — a converged run costs O(roles), not O(users). Each email is looked up at most once, as
 * soon as the role that needs it is known, so independent reads overlap. What `known` already holds
 * (read ahead with the tenant's state) is not read again.
 */
export async function readDesiredRoles(tenant: Tenant, existing: Management.Role[], desired: RoleDesired[], apiIdentifier: string, known?: RoleReads): Promise<RoleReads> {
  const byName = new Map(existing.map((r) => [r.name, r]));
  const reads: RoleReads = { states: new Map(known?.states), usersByEmail: new Map(known?.usersByEmail) };
  const lookup = createUserLookup(tenant);
  await Promise.all(
    desired.map(async (d) => {
      const role = byName.get(d.name);
      let state = reads.states.get(d.name);
      if (role && !state) {
        state = await readRoleState(tenant, role, d, apiIdentifier);
        reads.states.set(d.name, state);
      }
      const missing = d.users.filter((email) => !state?.memberEmails?.has(email.toLowerCase()) && !reads.usersByEmail.has(email));
      await Promise.all(missing.map(async (email) => void reads.usersByEmail.set(email, await lookup(email))));
    }),
  );
  return reads;
}

/** "One email, several users" is worth saying: the role goes to each of them. */
export function multipleUserWarnings(users: Map<string, string[]>): string[] {
  return [...users]
    .filter(([, ids]) => ids.length > 1)
    .map(([email, ids]) => `${email} matches ${ids.length} users (${ids.join(", ")}, one per connection): each is assigned the role.`);
}

/** One API's permissions: what to add, what --prune removes (of that API only), and what the role then holds. */
function diffPermissions(have: string[], want: string[], prune: boolean) {
  const addPermissions = want.filter((p) => !have.includes(p));
  const removePermissions = prune ? have.filter((p) => !want.includes(p)) : [];
  return { addPermissions, removePermissions, permissionsAfter: [...have.filter((p) => !removePermissions.includes(p)), ...addPermissions] };
}

export function planRole(current: RoleState | undefined, desired: RoleDesired, apiIdentifier: string, usersByEmail: Map<string, string[]>, prune: boolean): RoleChange {
  const { addPermissions, removePermissions, permissionsAfter } = diffPermissions(current?.permissions ?? [], desired.permissions, prune);
  const apiPermissions = Object.entries(desired.apiPermissions ?? {}).map(([api, want]): ApiPermissionsChange => ({
    apiIdentifier: api,
    ...diffPermissions(current?.apiPermissions?.[api] ?? [], want, prune),
  }));
  // An email already among the role's members was not looked up: its user holds the role.
  const toAssign = desired.users.filter((e) => !current?.memberEmails?.has(e.toLowerCase()));
  const unknownEmails = toAssign.filter((e) => !usersByEmail.get(e)?.length);
  const assign = toAssign.flatMap((email) => (usersByEmail.get(email) ?? []).filter((id) => !current?.userIds.has(id)).map((userId) => ({ email, userId })));
  const descriptionDiffers = current !== undefined && desired.description !== undefined && (current.description ?? "") !== desired.description;
  const fields = [
    ...(current ? [] : [{ field: "name", from: undefined, to: desired.name }]),
    ...((!current && desired.description !== undefined) || descriptionDiffers ? [{ field: "description", from: current?.description, to: desired.description }] : []),
    ...(addPermissions.length ? [{ field: "permissions (add)", from: undefined, to: addPermissions }] : []),
    ...(removePermissions.length ? [{ field: "permissions (remove)", from: removePermissions, to: undefined }] : []),
    ...apiPermissions.flatMap((a) => [
      ...(a.addPermissions.length ? [{ field: `permissions of ${a.apiIdentifier} (add)`, from: undefined, to: a.addPermissions }] : []),
      ...(a.removePermissions.length ? [{ field: `permissions of ${a.apiIdentifier} (remove)`, from: a.removePermissions, to: undefined }] : []),
    ]),
    ...(assign.length ? [{ field: "users (assign)", from: undefined, to: assign.map((u) => u.email) }] : []),
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
    assign,
    unknownEmails,
    permissionsAfter,
    ...(apiPermissions.length ? { apiPermissions } : {}),
    fields,
  };
}

export const roleHandler: Handler<RoleChange> = {
  kind: "role",
  order: 5,
  scopes: (change) => [
    ...(change.id ? [] : ["create:roles"]),
    // Permissions, assignments and a changed description are updates of the role.
    ...(change.fields.some((f) => f.field !== "name" && (change.id || f.field !== "description")) ? ["update:roles"] : []),
  ],
  headline: plainHeadline,
  details: (change) => {
    const lines: string[] = [];
    if (change.action === "create" && change.desired.description) lines.push(`description: ${change.desired.description}`);
    else if (change.fields.some((f) => f.field === "description")) lines.push(`description: → ${change.desired.description}`);
    if (change.addPermissions.length) lines.push(`add permissions: ${change.addPermissions.join(", ")}`);
    if (change.removePermissions.length) lines.push(`remove permissions: ${change.removePermissions.join(", ")}`);
    for (const a of change.apiPermissions ?? []) {
      if (a.addPermissions.length) lines.push(`add permissions of ${a.apiIdentifier}: ${a.addPermissions.join(", ")}`);
      if (a.removePermissions.length) lines.push(`remove permissions of ${a.apiIdentifier}: ${a.removePermissions.join(", ")}`);
    }
    if (change.assign.length) lines.push(`assign to: ${[...new Set(change.assign.map((u) => u.email))].join(", ")}`);
    return lines;
  },
  describe: (change) => `${change.action === "create" ? "Create" : "Update"} ${change.label.replace(/^Role/, "role")}`,
  writes: roleWrites,
  settle: (state, change, written) => {
    const s = state as { roles?: Management.Role[] };
    if (!change.id && written.object) s.roles = [...(s.roles ?? []), written.object as Management.Role];
  },
  refresh: refreshRole,
};

/**
 * Only the difference: the role (created, or its description updated) in wave 1; in wave 2, once
 * the APIs exist, one call to add permissions (of every API: each item names its API), one to
 * remove, one to assign — never delete-all-and-re-add.
 */
function roleWrites(change: RoleChange): Write[] {
  const roleId = (written: Written) => written.id ?? change.id!;
  const perApi = [{ apiIdentifier: change.apiIdentifier, addPermissions: change.addPermissions, removePermissions: change.removePermissions }, ...(change.apiPermissions ?? [])];
  const of = (pick: (a: (typeof perApi)[number]) => string[]) =>
    perApi.flatMap((a) => pick(a).map((permission_name) => ({ resource_server_identifier: a.apiIdentifier, permission_name })));
  const addPermissions = of((a) => a.addPermissions);
  const removePermissions = of((a) => a.removePermissions);
  const writes: Write[] = [];
  if (!change.id) {
    writes.push({
      wave: 1,
      what: "create",
      send: async (tenant) => {
        const object = await tenant.client.roles.create({ name: change.desired.name, description: change.desired.description });
        return { id: object.id, object };
      },
    });
  } else if (change.fields.some((f) => f.field === "description")) {
    writes.push({
      wave: 1,
      what: "update the description",
      send: async (tenant) => ({ object: await tenant.client.roles.update(change.id!, { description: change.desired.description }) }),
    });
  }
  // In the summary of a run stopped between waves: this API's permissions by name, another API's with it.
  const named = (ps: typeof addPermissions) =>
    ps.map((p) => (p.resource_server_identifier === change.apiIdentifier ? p.permission_name : `${p.permission_name} (${p.resource_server_identifier})`)).join(", ");
  if (addPermissions.length) {
    writes.push({
      wave: 2,
      what: `add permissions ${named(addPermissions)}`,
      send: async (tenant, w) => void (await tenant.client.roles.permissions.add(roleId(w), { permissions: addPermissions })),
    });
  }
  if (removePermissions.length) {
    writes.push({
      wave: 2,
      what: `remove permissions ${named(removePermissions)}`,
      send: async (tenant, w) => void (await tenant.client.roles.permissions.delete(roleId(w), { permissions: removePermissions })),
    });
  }
  const users = [...new Set(change.assign.map((u) => u.userId))];
  if (users.length) {
    writes.push({
      wave: 2,
      what: `assign ${[...new Set(change.assign.map((u) => u.email))].join(", ")}`,
      send: async (tenant, w) => void (await tenant.client.roles.users.assign(roleId(w), { users })),
    });
  }
  return writes;
}

/** Teardown: the role goes (only roles the config file lists). */
export async function deleteRole(tenant: Tenant, id: string): Promise<void> {
  await tenant.client.roles.delete(id);
}

/** Reads the one role back (by exact name) after a write whose outcome is unknown, so a retried create never duplicates it. */
async function refreshRole(tenant: Tenant, change: RoleChange): Promise<RoleChange> {
  let role: Management.Role | undefined;
  for await (const r of eachItem(tenant.client.roles.list({ per_page: 100, name_filter: change.desired.name }))) {
    if (r.name === change.desired.name) role = r;
  }
  const state = role ? await readRoleState(tenant, role, change.desired, change.apiIdentifier) : undefined;
  const users = new Map<string, string[]>();
  for (const u of change.assign) users.set(u.email, [...(users.get(u.email) ?? []), u.userId]);
  for (const email of change.desired.users) if (!users.has(email)) users.set(email, []);
  const refreshed = planRole(state, change.desired, change.apiIdentifier, users, change.prune);
  // Users already assigned before were filtered out of assign; they are not "unknown".
  return { ...refreshed, unknownEmails: change.unknownEmails };
}
