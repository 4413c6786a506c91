import { z } from "zod";
import { openTenant, type Context } from "./context.js";
import { CliError, ExitCode, InputError } from "../errors.js";
import { findConfigFile, loadConfig } from "../config/load.js";
import { CONFIG_FILES } from "../config/schema.js";
import { desiredFromConfig } from "../config/desired.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { INIT_READ_SCOPES, planInit, readTenantState } from "../plan/init-plan.js";
import { isConverged, pendingChanges } from "../plan/plan.js";
import { planToJson, renderPlan } from "../plan/render.js";

const optionsSchema = z.object({ config: z.string().optional(), check: z.boolean().default(false) });

/** Loads the config file (flags override its domain) or fails naming where it looked. */
export async function configFor(ctx: Context, explicit: string | undefined) {
  const file = findConfigFile(ctx.deps.cwd, explicit);
  if (!file) throw new InputError(`No config file: looked for ${CONFIG_FILES.join(", ")} in ${ctx.deps.cwd}.`, "Pass --config <file>.");
  const config = await loadConfig(file, ctx.deps.env);
  if (!ctx.options.domain && config.domain && !ctx.options.local) ctx.options.domain = config.domain;
  return { file, config, desired: desiredFromConfig(config, file) };
}

/**
 * The plan for the config file, never applied. With --check it is a drift test for CI: exit 0 when
 * the tenant matches the file, 5 when it differs (the plan names each difference).
 */
export async function runPlan(raw: unknown, ctx: Context): Promise<number> {
  const options = optionsSchema.parse(raw);
  const { desired } = await configFor(ctx, options.config);
  const tenant = await openTenant(ctx);
  const roles = desired.roles.length > 0;
  assertReadScopes(tenant.scopes, INIT_READ_SCOPES(roles), []);
  const state = await readTenantState(tenant, { identifier: desired.identifier, roles });
  const plan = await planInit(tenant, state, desired);
  ctx.logger.info(renderPlan(plan, ctx.logger.color));
  for (const warning of plan.warnings) ctx.logger.warn(warning);
  if (ctx.options.json) ctx.logger.json({ plan: planToJson(plan) });
  if (options.check && !isConverged(plan)) {
    const drift = pendingChanges(plan).map((c) => c.label);
    throw new CliError(`The tenant differs from the config file: ${drift.join("; ")}.`, ExitCode.drift, "Run mcp-auth0 init to apply the file, or update the file.");
  }
  return ExitCode.ok;
}
