import type { Action } from "../resources/handler.js";
import { handlerOf, type Change } from "../resources/registry.js";

/**
 * The plan is a plain value: for each resource, what will be created, updated or left alone, with
 * the fields that differ. Computing it never writes; rendering and applying it are separate steps,
 * and applying it never changes it: what apply created is in its report. The `--json` document's
 * `plan` is this very value, so it holds only JSON (and never a secret).
 */
export type { Action, FieldChange } from "../resources/handler.js";
export { diffFields } from "../resources/handler.js";
export type { Change } from "../resources/registry.js";

export interface EnvFileChange {
  path: string;
  template: string;
  action: Action;
  set: string[];
}

/** A change as the plan holds it: its planner's change, with the Management API scopes its writes need (SPEC §2; none when unchanged). */
export type PlannedChange = Change & { scopes: string[] };

export interface Plan {
  domain: string;
  /** Nothing to do: every change is unchanged and the .env (if any) is up to date. */
  converged: boolean;
  /** In the order a reader follows (each handler's `order`); apply sends them in dependency waves. */
  changes: PlannedChange[];
  env?: EnvFileChange;
  warnings: string[];
}

/** What the planners give: their changes, in any order, and what the plan warns about. */
export interface PlanDraft {
  domain: string;
  changes: Change[];
  env?: EnvFileChange;
  warnings: string[];
}

/**
 * The one way to make a plan, once every part of it is known: changes in their handlers' order
 * (a stable sort: the planners' order within a kind), each with its scopes, and whether anything
 * is left to do. Nothing changes it afterwards.
 */
export function makePlan(draft: PlanDraft): Plan {
  const changes = [...draft.changes]
    .sort((a, b) => handlerOf(a).order - handlerOf(b).order)
    // What every change has first, then its handler's own keys, then the scopes.
    .map((change): PlannedChange => {
      const { kind, label, action, fields } = change;
      return Object.assign({ kind, label, action, fields }, change, { scopes: isChange(change) ? handlerOf(change).scopes(change) : [] });
    });
  const converged = !changes.some(isChange) && (!draft.env || draft.env.action === "unchanged");
  return plainJson({ domain: draft.domain, converged, changes, env: draft.env, warnings: draft.warnings }, "plan") as Plan;
}

function isChange(change: Change): boolean {
  return change.action !== "unchanged";
}

export function pendingChanges(plan: Plan): PlannedChange[] {
  return plan.changes.filter(isChange);
}

/**
 * A copy of `value` as JSON holds it: a key whose value is undefined is left out (JSON.stringify
 * drops it, so a parsed copy of the plan equals the plan). Anything else JSON cannot carry (a
 * function, a Map or Set, a class instance, NaN) is a planner's bug, caught here rather than lost
 * silently from the --json document.
 */
function plainJson(value: unknown, at: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return value;
  if (Array.isArray(value)) return value.map((item, i) => plainJson(item, `${at}[${i}]`));
  const prototype: unknown = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    return Object.fromEntries(
      Object.entries(value as object)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, plainJson(v, `${at}.${k}`)]),
    );
  }
  throw new Error(`A plan holds only JSON, but ${at} is ${typeof value === "object" ? (value.constructor?.name ?? "an object") : String(value)}.`);
}
