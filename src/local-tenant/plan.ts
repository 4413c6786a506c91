import { TokenBucket, type FaultDecision, type FaultRequest } from "./faults.js";
import { ApiError } from "./http.js";
import type { EntityLimits, PlanLimits, TenantStore } from "./store.js";

export type { EntityLimits, PlanLimits } from "./store.js";

/*
 * Auth0's free plan, switched on with `plan: "free"` (`mcp-auth0 dev --plan free`), so that a run
 * against the dev tenant shows what a free tenant will do (AUTH0-FACTS, "Rate limits" and "Entity
 * limits"; Auth0's free-plan table of 2026-07; docs-v2 `entity-limit-policy.mdx`, "Free"):
 * - Management API: 2 requests per second with a burst of 2; a 429 "Global limit has been reached"
 *   (`too_many_requests`) beyond, every answer carrying x-ratelimit-limit/-remaining/-reset;
 * - POST /oidc/register: 5 per second;
 * - at most 10 applications (every DCR registration and every imported CIMD client is one),
 *   100 client grants and 10 APIs;
 * - no Private Key JWT client authentication (an Enterprise feature), so no confidential CIMD client;
 * - On-Behalf-Of token exchange: 2 per second with a burst of 2 (Auth0's free-plan table of 2026-08;
 *   Essentials and Professional allow 8, Enterprise 30, and the Auth0 for AI Agents add-on lifts it
 *   to the plan's whole Authentication API limit). Every plan offers the exchange.
 * Without a plan the tenant has no limits (the headers still describe a bucket too large to matter).
 */
export type TenantPlan = "free";

export const PLAN_LIMITS: Record<TenantPlan, PlanLimits> = {
  free: {
    management: { perSecond: 2, burst: 2 },
    registration: { perSecond: 5, burst: 5 },
    entities: { applications: 10, clientGrants: 100, resourceServers: 10 },
    privateKeyJwt: false,
    tokenExchange: { perSecond: 2, burst: 2 },
  },
};

const ENTITIES: Record<keyof EntityLimits, { label: string; count: (store: TenantStore) => number }> = {
  applications: { label: "applications", count: (store) => store.clients.length },
  clientGrants: { label: "client grants", count: (store) => store.clientGrants.length },
  // The Management API is Auth0's own system API, not one of the tenant's (inferred: Auth0's table
  // does not say whether system APIs count).
  resourceServers: { label: "APIs", count: (store) => store.resourceServers.filter((rs) => rs.is_system !== true).length },
};

/**
 * Why one more entity of this kind is refused under the tenant's plan, or undefined while there is
 * room. The text is ours: Auth0's exact wording for this case is unverified (AUTH0-FACTS records
 * only the `too_many_entities` code of /oidc/register).
 */
export function entityLimitReached(store: TenantStore, kind: keyof EntityLimits): string | undefined {
  const max = store.plan?.entities?.[kind];
  const { label, count } = ENTITIES[kind];
  if (max === undefined || count(store) < max) return undefined;
  return `You have reached the maximum number of ${label} (${max}) allowed for this tenant's plan`;
}

/** The Management API's refusal of a creation beyond the plan: 403 `too_many_entities` (status unverified). */
export function refuseBeyondPlan(store: TenantStore, kind: keyof EntityLimits): void {
  const reached = entityLimitReached(store, kind);
  if (reached) throw new ApiError(403, reached, "too_many_entities");
}

/** The plan's Management API bucket in front of whatever the fault injector decided, on the tenant's clock. */
export function withPlanLimit(limits: PlanLimits, decide: (request: FaultRequest) => FaultDecision, now: () => number): (request: FaultRequest) => FaultDecision {
  const bucket = limits.management ? new TokenBucket(limits.management.perSecond, limits.management.burst, now()) : undefined;
  if (!bucket) return decide;
  return (request) => {
    const decision = decide(request);
    const { allowed, headers: limit } = bucket.take(now());
    const headers = { ...decision.headers, ...limit };
    return allowed ? { ...decision, headers } : { ...decision, rateLimited: true, fail: false, reset: false, headers };
  };
}
