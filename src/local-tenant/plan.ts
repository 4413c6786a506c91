import { TokenBucket, type FaultDecision } from "./faults.js";

/*
 * Auth0's free plan, switched on with `plan: "free"` (`mcp-auth0 dev --plan free`), so that a run
 * against the dev tenant shows what a free tenant will do (AUTH0-FACTS, "Rate limits" and "Entity
 * limits"; Auth0's free-plan table of 2026-07):
 * - Management API: 2 requests per second with a burst of 2; a 429 "Global limit has been reached"
 *   (`too_many_requests`) beyond, every answer carrying x-ratelimit-limit/-remaining/-reset;
 * - POST /oidc/register: 5 per second;
 * - at most 10 applications, and every DCR registration is one;
 * - On-Behalf-Of token exchange: 2 per second with a burst of 2 (Auth0's free-plan table of 2026-08;
 *   Essentials and Professional allow 8, Enterprise 30, and the Auth0 for AI Agents add-on lifts it
 *   to the plan's whole Authentication API limit). Every plan offers the exchange.
 * Without a plan the tenant has no limits (the headers still describe a bucket too large to matter).
 */
export type TenantPlan = "free";

export interface PlanLimits {
  management?: { perSecond: number; burst: number };
  registration?: { perSecond: number; burst: number };
  maxApplications?: number;
  tokenExchange?: { perSecond: number; burst: number };
}

export const PLAN_LIMITS: Record<TenantPlan, PlanLimits> = {
  free: { management: { perSecond: 2, burst: 2 }, registration: { perSecond: 5, burst: 5 }, maxApplications: 10, tokenExchange: { perSecond: 2, burst: 2 } },
};

/**
 * The registration answer beyond the application limit. Auth0's exact status and text for this
 * case are not documented where we could check them (unverified); this says what happened.
 */
export function applicationLimitMessage(max: number): string {
  return `You have reached the maximum number of applications (${max}) allowed for this tenant's plan`;
}

/** The plan's Management API bucket in front of whatever the fault injector decided. */
export function withPlanLimit(limits: PlanLimits, decide: () => FaultDecision): () => FaultDecision {
  const bucket = limits.management ? new TokenBucket(limits.management.perSecond, limits.management.burst) : undefined;
  if (!bucket) return decide;
  return () => {
    const decision = decide();
    const { allowed, headers } = bucket.take();
    return allowed ? { ...decision, headers } : { ...decision, rateLimited: true, fail: false, reset: false, headers };
  };
}
