import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { configFor } from "../init/config.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { teardownScopes } from "../plan/command-scopes.js";
import { readTenantState } from "../resources/tenant-state.js";
import { readThirdPartyUse, thirdPartyReason } from "../resources/third-party-use.js";
import { executePlan } from "../plan/execute.js";
import { planTeardown } from "../plan/teardown-plan.js";
import type { TeardownFlags } from "../flags/teardown.js";

/**
 * Removes what the config file declares, and nothing it does not name: the API and its default
 * grant, the roles it lists, the domain-level promotion of its connections, the On-Behalf-Of grants
 * of its downstream APIs (with the Custom API client and the downstream APIs mcp-auth0 created), and
 * with --reset-tenant-settings the settings init turned on. Clients that MCP clients registered
 * (`tpc_…`) survive, and so do the CIMD clients init imported unless --remove-clients asks; so do
 * roles the file does not list. Domain-level connections and the tenant settings stay while another
 * API's third-party clients need them.
 */
export async function runTeardown(options: TeardownFlags, ctx: Context): Promise<number> {
  const { desired, domain } = await configFor(ctx, options.config);
  const tenant = await openTenant(ctx, { domain });
  const roles = desired.roles.length > 0;
  const downstream = (desired.downstreamApis ?? []).map((d) => d.identifier);
  const removeClients = options.removeClients === true;
  const needed = teardownScopes(roles, downstream.length > 0 || removeClients);
  assertReadScopes(tenant.scopes, needed.reads, needed.writes);
  const [state, others] = await Promise.all([
    readTenantState(tenant, {
      identifier: desired.identifier,
      roles,
      cimdClients: removeClients,
      downstream: { identifiers: downstream, secret: false },
    }),
    // Who else needs domain level and the settings: asked only when the plan would demote or reset them.
    desired.connections.length || options.resetTenantSettings ? readThirdPartyUse(tenant, desired.identifier) : undefined,
  ]);
  const othersNeed = others && thirdPartyReason(others);
  return executePlan(ctx, tenant, planTeardown(tenant.domain, state, desired, { ...options, ...(othersNeed ? { othersNeed } : {}) }), { destructive: true });
}
