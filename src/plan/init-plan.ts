import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { planDefaultAudience, planTenantSettings, readTenantSettings, type DefaultAudiencePolicy, type TenantSettings } from "../resources/tenant-settings.js";
import { planResourceServer, readResourceServer, type ResourceServer } from "../resources/resource-server.js";
import { planDefaultGrant, readDefaultGrant, type ClientGrant } from "../resources/client-grant.js";
import { planConnection, readConnections, resolveConnections, type Connection } from "../resources/connections.js";
import { lookupUsers, planRole, readRoles, readRoleState } from "../resources/roles.js";
import { assertPermissionsAreScopes } from "../input/roles-file.js";
import type { ScopeInput } from "../input/values.js";
import type { Change, Plan, RoleChange, RoleDesired } from "./plan.js";

export const INIT_READ_SCOPES = (roles: boolean) => [
  "read:tenant_settings",
  "read:resource_servers",
  "read:client_grants",
  "read:connections",
  ...(roles ? ["read:roles", "read:users"] : []),
];

export const INIT_WRITE_SCOPES = (roles: boolean) => [
  "update:tenant_settings",
  "create:resource_servers",
  "update:resource_servers",
  "create:client_grants",
  "update:client_grants",
  "update:connections",
  ...(roles ? ["create:roles", "update:roles"] : []),
];

/** What init reads before planning, each resource type once, concurrently. */
export interface TenantState {
  settings: TenantSettings;
  resourceServer: ResourceServer | undefined;
  defaultGrant: ClientGrant | undefined;
  connections: Connection[];
  roles: Management.Role[] | undefined;
}

export async function readTenantState(tenant: Tenant, wants: { identifier: string; roles: boolean }): Promise<TenantState> {
  const [settings, resourceServer, defaultGrant, connections, roles] = await Promise.all([
    readTenantSettings(tenant),
    readResourceServer(tenant, wants.identifier),
    readDefaultGrant(tenant, wants.identifier),
    readConnections(tenant),
    wants.roles ? readRoles(tenant) : Promise.resolve(undefined),
  ]);
  return { settings, resourceServer, defaultGrant, connections, roles };
}

export interface InitDesired {
  identifier: string;
  apiName?: string;
  scopes: ScopeInput[];
  connections: string[];
  roles: RoleDesired[];
  rolesFile?: string;
  prune?: boolean;
  defaultAudience: DefaultAudiencePolicy;
  cimd: boolean;
}

/** Plans the roles against the tenant's: reads each existing role's permissions (and users when listed), and each email once. */
export async function planRoles(
  tenant: Tenant,
  existing: Management.Role[],
  desired: RoleDesired[],
  identifier: string,
  prune: boolean,
): Promise<{ changes: RoleChange[]; warnings: string[] }> {
  const byName = new Map(existing.map((r) => [r.name, r]));
  const [states, users] = await Promise.all([
    Promise.all(desired.map((d) => (byName.has(d.name) ? readRoleState(tenant, byName.get(d.name)!, d, identifier) : Promise.resolve(undefined)))),
    lookupUsers(tenant, desired.flatMap((d) => d.users)),
  ]);
  const changes = desired.map((d, i) => planRole(states[i], d, identifier, users, prune));
  const unknown = [...new Set(changes.flatMap((c) => c.unknownEmails))];
  const warnings = unknown.length
    ? [`No user has the email ${unknown.join(", ")} yet: ${unknown.length > 1 ? "they get their roles" : "it gets its role"} on a later run, after signing up.`]
    : [];
  return { changes, warnings };
}

/** Computes the whole init plan. Reads only what it still needs (roles' permissions and users); never writes. */
export async function planInit(tenant: Tenant, state: TenantState, desired: InitDesired): Promise<Plan> {
  const warnings: string[] = [];
  const changes: Change[] = [];
  changes.push(planTenantSettings(state.settings, { cimd: desired.cimd }));

  const api = planResourceServer(state.resourceServer, { identifier: desired.identifier, name: desired.apiName, scopes: desired.scopes });
  changes.push(api.change);
  if (api.warning) warnings.push(api.warning);

  const grant = planDefaultGrant(state.defaultGrant, desired.identifier, api.change.scopes);
  changes.push(grant.change);
  if (grant.warning) warnings.push(grant.warning);

  for (const connection of resolveConnections(state.connections, desired.connections)) changes.push(planConnection(connection));
  if (!desired.connections.length && !state.connections.some((c) => c.is_domain_connection)) {
    warnings.push('No connection is domain level: DCR clients cannot log anyone in ("no connections enabled for the client"). Choose some with --connections.');
  }

  if (desired.roles.length) {
    assertPermissionsAreScopes(desired.roles, api.change.scopes, desired.identifier, desired.rolesFile ?? "roles file");
    const roles = await planRoles(tenant, state.roles ?? [], desired.roles, desired.identifier, desired.prune ?? false);
    changes.push(...roles.changes);
    warnings.push(...roles.warnings);
  }

  const audience = planDefaultAudience(state.settings, desired.identifier, desired.defaultAudience);
  if (audience.change) changes.push(audience.change);
  if (audience.warning) warnings.push(audience.warning);

  return { domain: tenant.domain, changes, warnings };
}
