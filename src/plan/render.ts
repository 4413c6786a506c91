import { paint } from "../ui/logger.js";
import { wrapToWidth } from "../ui/wrap.js";
import { handlerOf } from "../resources/registry.js";
import { pendingChanges, type Plan } from "./plan.js";

/** The plan as a user reads it: `+` create, `~` update, `=` unchanged, with the fields that differ; wrapped to `width` when given. */
export function renderPlan(plan: Plan, color: boolean, width?: number): string {
  const p = paint(color);
  const mark = { create: p.green("+"), update: p.yellow("~"), unchanged: p.dim("="), delete: p.red("-") };
  const lines = [p.bold(`Plan for ${plan.domain}`)];
  for (const change of plan.changes) {
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
  lines.push(plan.converged ? p.green("The tenant is already up to date: nothing to change.") : `${pending} change${pending === 1 ? "" : "s"} to apply.`);
  return wrapToWidth(lines.join("\n"), width);
}
