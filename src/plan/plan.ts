import type { Action } from "../resources/handler.js";
import type { Change } from "../resources/registry.js";

/**
 * The plan is a plain value: for each resource, what will be created, updated or left alone, with
 * the fields that differ. Computing it never writes; rendering and applying it are separate steps,
 * and applying it never changes it: what apply created is in its report.
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

export interface Plan {
  domain: string;
  changes: Change[];
  env?: EnvFileChange;
  warnings: string[];
}

export function isChange(change: Change): boolean {
  return change.action !== "unchanged";
}

export function pendingChanges(plan: Plan): Change[] {
  return plan.changes.filter(isChange);
}

export function isConverged(plan: Plan): boolean {
  return pendingChanges(plan).length === 0 && (!plan.env || plan.env.action === "unchanged");
}
