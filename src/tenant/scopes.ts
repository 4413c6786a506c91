import { MissingScopesError } from "../errors.js";

/**
 * SPEC §2: before the first write, the token's granted scopes are compared with what the plan
 * needs; every missing one is named at once, and nothing is written. A token that does not list
 * its scopes (opaque) cannot be checked here: Auth0's own 403 then names the scope.
 */
export function assertScopes(granted: string[] | undefined, needed: Iterable<string>): void {
  if (!granted) return;
  const have = new Set(granted);
  const missing = [...new Set(needed)].filter((s) => !have.has(s)).sort();
  if (missing.length) throw new MissingScopesError(missing);
}

/**
 * Before reading: when a read scope is missing, name it together with every write scope the
 * command may need, so one trip to the Dashboard fixes all. When reads are granted, the write
 * scopes are checked later against exactly what the plan needs.
 */
export function assertReadScopes(granted: string[] | undefined, reads: string[], possibleWrites: string[]): void {
  if (granted && reads.some((s) => !granted.includes(s))) assertScopes(granted, [...reads, ...possibleWrites]);
}
