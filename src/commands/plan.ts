import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { CliError, ExitCode } from "../errors.js";
import { configFor } from "../init/config.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { INIT_READ_SCOPES, planInit } from "../plan/init-plan.js";
import { readTenantState } from "../resources/tenant-state.js";
import { makePlan, pendingChanges } from "../plan/plan.js";
import { renderPlan } from "../plan/render.js";
import { suggest } from "../session/suggest.js";
import type { PlanFlags } from "../flags/plan.js";

/**
 * The plan for the config file, never applied. With --check it is a drift test for CI: exit 0 when
 * the tenant matches the file, 5 when it differs (the plan names each difference).
 */
export async function runPlan(options: PlanFlags, ctx: Context): Promise<number> {
  const { desired, domain } = await configFor(ctx, options.config);
  const tenant = await openTenant(ctx, { domain });
  const roles = desired.roles.length > 0;
  const downstream = (desired.downstreamApis ?? []).map((d) => d.identifier);
  assertReadScopes(tenant.scopes, INIT_READ_SCOPES(roles, { obo: downstream.length > 0 }), []);
  const state = await readTenantState(tenant, { identifier: desired.identifier, roles, desiredRoles: desired.roles, downstream: { identifiers: downstream, secret: false } });
  const plan = makePlan(await planInit(tenant, state, desired));
  ctx.logger.prose(...renderPlan(plan));
  for (const warning of plan.warnings) ctx.logger.warn(warning);
  if (ctx.options.json) ctx.logger.json({ plan });
  if (options.check && !plan.converged) {
    const drift = pendingChanges(plan).map((c) => c.label);
    throw new CliError(
      `The tenant differs from the config file: ${drift.join("; ")}.`,
      ExitCode.drift,
      `Update the file, or apply it: ${suggest(ctx, ["init", ...(options.config ? ["--config", options.config] : [])])}`,
    );
  }
  return ExitCode.ok;
}
