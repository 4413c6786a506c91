import { paint } from "../ui/logger.js";
import { isConverged, pendingChanges, type Change, type Plan } from "./plan.js";
import { orderChanges, scopesFor } from "./apply.js";

/** A scope reads as `tool:greet ("Greet someone")`, so a changed description shows in the plan. */
const showItem = (v: unknown): string => {
  if (typeof v !== "object" || v === null) return String(v);
  const { value, description } = v as { value?: string; description?: string };
  return value === undefined ? JSON.stringify(v) : description && description !== value ? `${value} ("${description}")` : value;
};

const show = (value: unknown): string => {
  if (value === undefined || value === null || value === "") return "(none)";
  if (Array.isArray(value)) return value.map(showItem).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
};

function details(change: Change): string[] {
  switch (change.kind) {
    case "role": {
      const lines: string[] = [];
      if (change.action === "create" && change.desired.description) lines.push(`description: ${change.desired.description}`);
      else if (change.fields.some((f) => f.field === "description")) lines.push(`description: → ${change.desired.description}`);
      if (change.addPermissions.length) lines.push(`add permissions: ${change.addPermissions.join(", ")}`);
      if (change.removePermissions.length) lines.push(`remove permissions: ${change.removePermissions.join(", ")}`);
      if (change.addUsers.length) lines.push(`assign to: ${[...new Set(change.addUsers.map((u) => u.email))].join(", ")}`);
      return lines;
    }
    case "connection":
      return [];
    case "client-grant":
      if (change.replaces) {
        return [`delete grant ${change.replaces.id}, then create it again: ${change.replaces.why}`, ...change.fields.filter((f) => f.field !== "subject_type" || f.from === undefined).map((f) => `${f.field}: ${show(f.to)}`)];
      }
      return change.action === "create" ? change.fields.map((f) => `${f.field}: ${show(f.to)}`) : change.fields.map((f) => `${f.field}: ${show(f.from)} → ${show(f.to)}`);
    case "application":
      return change.fields
        .filter((f) => f.field !== "name")
        .map((f) =>
          f.field === "connections (enable)"
            ? `enable connections: ${show(f.to)}`
            : change.action === "create"
              ? `${f.field}: ${show(f.to)}`
              : `${f.field}: ${Array.isArray(f.from) && !f.from.length ? "(none)" : show(f.from)} → ${show(f.to)}`,
        );
    default:
      return change.action === "create"
        ? change.fields.filter((f) => f.field !== "identifier").map((f) => `${f.field}: ${show(f.to)}`)
        : change.fields.map((f) => `${f.field}: ${show(f.from)} → ${show(f.to)}`);
  }
}

function headline(change: Change): string {
  if (change.kind === "connection") {
    const state = change.action === "unchanged" ? `already ${change.domainLevel ? "domain level" : "not domain level"}` : change.domainLevel ? "promote to domain level" : "demote from domain level";
    return `${change.label} (${change.strategy}): ${state}`;
  }
  if (change.kind === "client-grant" && change.replaces) return `${change.label}: replace (delete + create)`;
  return change.action === "unchanged" ? `${change.label}: up to date` : change.label;
}

/** The plan as a user reads it: `+` create, `~` update, `=` unchanged, with the fields that differ. */
export function renderPlan(plan: Plan, color: boolean): string {
  const p = paint(color);
  const mark = { create: p.green("+"), update: p.yellow("~"), unchanged: p.dim("="), delete: p.red("-") };
  const lines = [p.bold(`Plan for ${plan.domain}`)];
  for (const change of orderChanges(plan.changes)) {
    const text = `  ${mark[change.action]} ${headline(change)}`;
    lines.push(change.action === "unchanged" ? p.dim(text) : text);
    for (const d of details(change)) lines.push(`      ${d}`);
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
      const extra =
        change.kind === "role"
          ? { addPermissions: change.addPermissions, removePermissions: change.removePermissions, addUsers: change.addUsers.map((u) => u.email), unknownEmails: change.unknownEmails }
          : change.kind === "connection"
            ? { id: change.id, name: change.name, domainLevel: change.domainLevel }
            : change.kind === "client-grant" && change.replaces
              ? { replaces: change.replaces }
              : change.kind === "application"
              ? { id: change.id, name: change.desired.name, enableConnections: change.enableConnections.map((c) => c.name) }
              : {};
      return { kind, label, action, fields, ...extra, scopes: action === "unchanged" ? [] : scopesFor(change) };
    }),
    env: plan.env,
    warnings: plan.warnings,
  };
}
