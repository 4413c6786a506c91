import { styled, type Line } from "../ui/logger.js";
import { handlerOf } from "../resources/registry.js";
import { pendingChanges, type Plan } from "./plan.js";

const MARK = { create: styled("green", "+"), update: styled("yellow", "~"), unchanged: styled("dim", "="), delete: styled("red", "-") };

/** The plan as a user reads it: `+` create, `~` update, `=` unchanged, with the fields that differ. */
export function renderPlan(plan: Plan): Line[] {
  const lines: Line[] = [styled("bold", `Plan for ${plan.domain}`)];
  for (const change of plan.changes) {
    const headline = handlerOf(change).headline(change);
    lines.push(change.action === "unchanged" ? styled("dim", `  = ${headline}`) : ["  ", MARK[change.action], ` ${headline}`]);
    for (const d of handlerOf(change).details(change)) lines.push(`      ${d}`);
  }
  if (plan.env) {
    const { env } = plan;
    const what = env.action === "unchanged" ? "up to date" : `${env.action === "create" ? "create" : "update"} ${env.set.join(", ")}`;
    lines.push(["  ", MARK[env.action], ` .env ${env.path} (${env.template}): ${what}`]);
  }
  const pending = pendingChanges(plan).length + (plan.env && plan.env.action !== "unchanged" ? 1 : 0);
  lines.push(plan.converged ? styled("green", "The tenant is already up to date: nothing to change.") : `${pending} change${pending === 1 ? "" : "s"} to apply.`);
  return lines;
}
