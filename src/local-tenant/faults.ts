export interface FaultOptions {
  rateLimit?: { perSecond: number; burst: number }; // token bucket over /api/v2 requests
  failEvery?: number; // every Nth /api/v2 request answers 503 without doing anything
  resetEvery?: number; // every Nth /api/v2 request: the socket is destroyed. For a write (non-GET), the write IS applied first and then the socket destroyed (the client cannot know it took effect); for a GET, destroyed without an answer.
  latencyMs?: number; // added before every /api/v2 answer (benchmarks)
  slowEvery?: { n: number; ms: number }; // every Nth /api/v2 request waits ms before answering (timeouts)
}

export interface RateLimitHeaders {
  "x-ratelimit-limit": string;
  "x-ratelimit-remaining": string;
  "x-ratelimit-reset": string;
}

/** What to do with one /api/v2 request. */
export interface FaultDecision {
  /** Answer 429 Too Many Requests. */
  rateLimited: boolean;
  /** Answer 503 without doing anything. */
  fail: boolean;
  /** Destroy the socket instead of answering (after applying the request when it is a write). */
  reset: boolean;
  /** Wait this long before answering. */
  delayMs: number;
  headers: RateLimitHeaders;
}

/**
 * When no rate limit is configured the headers still appear on every answer, as on Auth0, but
 * describe a bucket so large that a client pacing itself on them never slows down.
 */
const UNLIMITED = { perSecond: 1000, burst: 1000 };

/**
 * Auth0's Management API rate limit is a token bucket: `x-ratelimit-limit` is its size (the burst),
 * `x-ratelimit-remaining` the tokens left, and `x-ratelimit-reset` the UNIX second at which it is
 * full again; on a 429 that is the second at which the next token arrives, which is what clients
 * (the auth0 SDK included) wait for before retrying.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new Error("rateLimit needs perSecond > 0 and burst >= 1");
    this.tokens = burst;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
  }

  /** Takes one token when there is one. Rejected requests take nothing. */
  take(now = Date.now()): { allowed: boolean; headers: RateLimitHeaders } {
    this.refill(now);
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    const missing = allowed ? this.burst - this.tokens : 1 - this.tokens;
    const resetAt = Math.ceil((now + (missing / this.perSecond) * 1000) / 1000);
    return {
      allowed,
      headers: {
        "x-ratelimit-limit": String(this.burst),
        "x-ratelimit-remaining": String(allowed ? Math.floor(this.tokens) : 0),
        "x-ratelimit-reset": String(resetAt),
      },
    };
  }
}

/**
 * Decides, for each /api/v2 request in arrival order, which fault (if any) it meets. The counters of
 * `failEvery`, `resetEvery` and `slowEvery` count every /api/v2 request, rate-limited ones included;
 * `setFaults` starts them again from zero and refills the bucket, so that a test can say "the 3rd
 * request from now fails".
 */
export class FaultInjector {
  private faults: FaultOptions = {};
  private count = 0;
  private bucket = new TokenBucket(UNLIMITED.perSecond, UNLIMITED.burst);
  private enforceRateLimit = false;

  constructor(faults: FaultOptions = {}) {
    this.set(faults);
  }

  set(faults: FaultOptions): void {
    this.faults = { ...faults };
    this.count = 0;
    const limit = faults.rateLimit ?? UNLIMITED;
    this.bucket = new TokenBucket(limit.perSecond, limit.burst);
    this.enforceRateLimit = faults.rateLimit !== undefined;
  }

  next(now = Date.now()): FaultDecision {
    this.count += 1;
    const n = this.count;
    const every = (k: number | undefined): boolean => k !== undefined && k > 0 && n % k === 0;

    const { allowed, headers } = this.bucket.take(now);
    const rateLimited = this.enforceRateLimit && !allowed;
    const slow = this.faults.slowEvery;
    return {
      rateLimited,
      fail: !rateLimited && every(this.faults.failEvery),
      reset: !rateLimited && every(this.faults.resetEvery),
      delayMs: (this.faults.latencyMs ?? 0) + (slow !== undefined && every(slow.n) ? slow.ms : 0),
      headers,
    };
  }
}
