import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { configFor } from "../init/config.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { teardownScopes } from "../plan/command-scopes.js";
import { readTenantState } from "../resources/tenant-state.js";
import { executePlan } from "../plan/execute.js";
import { planConnection } from "../resources/connections.js";
import { planSettingsReset } from "../resources/tenant-settings.js";
import type { Change } from "../plan/plan.js";
import type { DeleteChange } from "../resources/deletion.js";
import type { TeardownFlags } from "../flags/teardown.js";

const remove = (resource: DeleteChange["resource"], id: string, label: string): DeleteChange => ({ kind: "delete", action: "delete", resource, id, label, fields: [] });

/**
 * Removes what the config file declares, and nothing it does not name: the API and its default
 * grant, the roles it lists, the domain-level promotion of its connections, and with
 * --reset-tenant-settings the settings init turned on. Clients are never touched, so clients that
 * MCP clients registered (`tpc_…`) survive; so do roles the file does not list.
 */
export async function runTeardown(options: TeardownFlags, ctx: Context): Promise<number> {
  const { desired, domain } = await configFor(ctx, options.config);
  const tenant = await openTenant(ctx, { domain });
  const roles = desired.roles.length > 0;
  const needed = teardownScopes(roles);
  assertReadScopes(tenant.scopes, needed.reads, needed.writes);
  const state = await readTenantState(tenant, { identifier: desired.identifier, roles });
  const changes: Change[] = [];

  if (options.resetTenantSettings) changes.push(planSettingsReset(state.settings));
  for (const ref of desired.connections) {
    const connection = state.connections.find((c) => c.id === ref || c.name === ref);
    if (connection?.is_domain_connection) changes.push(planConnection(connection, false));
  }
  // A default audience naming a deleted API would break every login of the tenant: cleared first.
  if (state.settings.default_audience === desired.identifier) {
    const fields = [{ field: "default_audience", from: desired.identifier, to: "" }];
    changes.push({ kind: "default-audience", label: "Default audience", action: "update", fields, current: desired.identifier, desired: "" });
  }
  const wanted = new Set(desired.roles.map((r) => r.name));
  for (const role of state.roles ?? []) if (wanted.has(role.name!)) changes.push(remove("role", role.id!, `Role ${role.name}`));
  if (state.defaultGrant?.id) changes.push(remove("client-grant", state.defaultGrant.id, "Default grant for DCR (third-party) clients"));
  if (state.resourceServer?.id && !state.resourceServer.is_system) changes.push(remove("resource-server", state.resourceServer.id, `API ${desired.identifier}`));

  return executePlan(ctx, tenant, { domain: tenant.domain, changes, warnings: [] }, { destructive: true });
}
