import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { readTenantState, type TenantState } from "../resources/tenant-state.js";
import { readRoleState } from "../resources/roles.js";
import { tenantChecks } from "./tenant-checks.js";
import { oauthMetadataChecks, serverChecks } from "./oauth-checks.js";
import type { Check } from "./check.js";

export interface DiagnoseOptions {
  identifier: string;
  serverUrl?: string;
  connections?: string[];
  /** State already read (init after a converged run): saves every Management API read. */
  state?: TenantState;
  /** Roles' permissions already known (init's roles); otherwise every role is read. */
  rolePermissions?: Array<{ role: string; permissions: string[] }>;
}

export const DOCTOR_SCOPES = ["read:tenant_settings", "read:resource_servers", "read:client_grants", "read:connections", "read:roles"];

/** Read-only: every check an MCP client's journey depends on. */
export async function diagnose(tenant: Tenant, options: DiagnoseOptions): Promise<Check[]> {
  const state = options.state ?? (await readTenantState(tenant, { identifier: options.identifier, roles: true }));
  const rolePermissions = options.rolePermissions ?? (state.roles && (await readAllRolePermissions(tenant, state.roles, options.identifier)));
  const dcr = (state.settings.flags as Record<string, unknown> | undefined)?.enable_dynamic_client_registration === true;
  const [metadata, server] = await Promise.all([
    oauthMetadataChecks(tenant.probe, tenant.domain, dcr),
    options.serverUrl ? serverChecks(tenant.probe, options.serverUrl, options.identifier, tenant.domain) : Promise.resolve([]),
  ]);
  const checks = [
    ...tenantChecks({ ...state, identifier: options.identifier, rolePermissions, expectedConnections: options.connections ?? [] }),
    ...metadata,
    ...server,
  ];
  // A fix belongs to what needs one: in --json, a passing check that carries a fix reads as a problem.
  return checks.map(({ fix, ...check }) => (check.status === "pass" || fix === undefined ? check : { ...check, fix }));
}

async function readAllRolePermissions(tenant: Tenant, roles: Management.Role[], identifier: string) {
  return Promise.all(
    roles.map(async (role) => ({
      role: role.name!,
      permissions: (await readRoleState(tenant, role, { name: role.name!, permissions: [], users: [] }, identifier)).permissions,
    })),
  );
}
