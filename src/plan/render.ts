import { paint } from "../ui/logger.js";
import { handlerOf } from "../resources/registry.js";
import { isConverged, pendingChanges, type Plan } from "./plan.js";
import { orderChanges, scopesFor } from "./apply.js";

/** The plan as a user reads it: `+` create, `~` update, `=` unchanged, with the fields that differ. */
export function renderPlan(plan: Plan, color: boolean): string {
  const p = paint(color);
  const mark = { create: p.green("+"), update: p.yellow("~"), unchanged: p.dim("="), delete: p.red("-") };
  const lines = [p.bold(`Plan for ${plan.domain}`)];
  for (const change of orderChanges(plan.changes)) {
    const handler = handlerOf(change);
    const text = `  ${mark[change.action]} ${handler.headline(change)}`;
    lines.push(change.action === "unchanged" ? p.dim(text) : text);
    for (const d of handler.details(change)) lines.push(`      ${d}`);
  }
  if (plan.env) {
    const { env } = plan;
    const what = env.action === "unchanged" ? "up to date" : `${env.action === "create" ? "create" : "update"} ${env.set.join(", ")}`;
    lines.push(`  ${mark[env.action]} .env ${env.path} (${env.template}): ${what}`);
  }
  const pending = pendingChanges(plan).length + (plan.env && plan.env.action !== "unchanged" ? 1 : 0);
  lines.push(isConverged(plan) ? p.green("The tenant is already up to date: nothing to change.") : `${pending} change${pending === 1 ? "" : "s"} to apply.`);
  return lines.join("\n");
}

/** The plan as data for --json: every change with its action and differing fields. */
export function planToJson(plan: Plan) {
  return {
    domain: plan.domain,
    converged: isConverged(plan),
    changes: orderChanges(plan.changes).map((change) => {
      const { kind, label, action, fields } = change;
      return { kind, label, action, fields, ...handlerOf(change).json(change), scopes: action === "unchanged" ? [] : scopesFor(change) };
    }),
    env: plan.env,
    warnings: plan.warnings,
  };
}
