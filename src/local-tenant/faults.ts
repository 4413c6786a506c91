export interface FaultOptions {
  rateLimit?: { perSecond: number; burst: number }; // token bucket over /api/v2 requests
  failEvery?: number; // every Nth /api/v2 request answers 503 without doing anything
  resetEvery?: number; // every Nth /api/v2 request: the socket is destroyed. For a write (non-GET), the write IS applied first and then the socket destroyed (the client cannot know it took effect); for a GET, destroyed without an answer.
  latencyMs?: number; // added before every /api/v2 answer (benchmarks)
  slowEvery?: { n: number; ms: number }; // every Nth /api/v2 request waits ms before answering (timeouts)
  /**
   * The tenant's clock runs this many ms ahead of the machine's (negative: behind): its `Date` and
   * `x-ratelimit-reset` headers, and its rate-limit bucket, follow that clock, as those of a tenant
   * whose clock differs from the client's do.
   */
  clockSkewMs?: number;
  /**
   * The successful answers to `call` ("GET /api/v2/connections": method and path, no query) arrive
   * garbled, as through a broken proxy: cut in half, an HTML page, or JSON of another shape. Only the
   * first `times` matching requests (default: all of them).
   */
  garble?: { call: string; answer: GarbledAnswer; times?: number };
  /**
   * The next `requests` listings do not advance, as behind a proxy that drops their paging
   * parameters: each answers its first page again and says more follows (a checkpoint listing the
   * `next` it was asked from, a page-number listing a total of a million). Then they end normally.
   */
  stuckPaging?: { requests: number };
}

export type GarbledAnswer = "truncated" | "html" | "[]" | "null" | "{}";

export interface RateLimitHeaders {
  "x-ratelimit-limit": string;
  "x-ratelimit-remaining": string;
  "x-ratelimit-reset": string;
}

/** What an /api/v2 request is, for the faults that aim at some calls only. */
export interface FaultRequest {
  method: string;
  url: URL;
}

/** A request for one page of a listing: it names a page (page number) or a checkpoint (`from`/`take`). */
function isListing(request: FaultRequest): boolean {
  return request.method === "GET" && ["page", "per_page", "from", "take"].some((p) => request.url.searchParams.has(p));
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
  /** Replace a successful answer's body with this. */
  garble?: GarbledAnswer;
  /** Answer a listing's first page, saying more follows (see `stuckPaging`). */
  stuckPaging: boolean;
  /** The rate-limit headers and `Date`, from the tenant's clock. */
  headers: RateLimitHeaders & { date: string };
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
  private garbled = 0;
  private stuck = 0;

  constructor(faults: FaultOptions = {}) {
    this.set(faults);
  }

  set(faults: FaultOptions): void {
    this.faults = { ...faults };
    this.count = 0;
    this.garbled = 0;
    this.stuck = 0;
    const limit = faults.rateLimit ?? UNLIMITED;
    this.bucket = new TokenBucket(limit.perSecond, limit.burst, this.now());
    this.enforceRateLimit = faults.rateLimit !== undefined;
  }

  /** The tenant's clock (ms since the epoch): the machine's, moved by `clockSkewMs`. */
  now(): number {
    return Date.now() + (this.faults.clockSkewMs ?? 0);
  }

  next(request: FaultRequest, now = this.now()): FaultDecision {
    this.count += 1;
    const n = this.count;
    const every = (k: number | undefined): boolean => k !== undefined && k > 0 && n % k === 0;

    const { allowed, headers } = this.bucket.take(now);
    const rateLimited = this.enforceRateLimit && !allowed;
    const slow = this.faults.slowEvery;
    const garble = this.faults.garble;
    const garbles = garble !== undefined && garble.call === `${request.method} ${request.url.pathname}` && this.garbled < (garble.times ?? Infinity);
    if (garbles) this.garbled++;
    const stuck = this.faults.stuckPaging !== undefined && isListing(request) && this.stuck < this.faults.stuckPaging.requests;
    if (stuck) this.stuck++;
    return {
      rateLimited,
      fail: !rateLimited && every(this.faults.failEvery),
      reset: !rateLimited && every(this.faults.resetEvery),
      delayMs: (this.faults.latencyMs ?? 0) + (slow !== undefined && every(slow.n) ? slow.ms : 0),
      ...(garbles ? { garble: garble.answer } : {}),
      stuckPaging: stuck,
      headers: { ...headers, date: new Date(now).toUTCString() },
    };
  }
}

/**
 * A garbled answer in place of a successful one: what a truncated transfer, a proxy's or captive
 * portal's HTML page, or a broken gateway hands a client instead of Auth0's JSON.
 */
export function garbledPayload(payload: string, kind: GarbledAnswer): { payload: string; contentType: string } {
  if (kind === "truncated") return { payload: payload.slice(0, Math.ceil(payload.length / 2)), contentType: "application/json; charset=utf-8" };
  if (kind === "html")
    return { payload: "<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body><h1>Sign in</h1></body></html>", contentType: "text/html; charset=utf-8" };
  return { payload: kind, contentType: "application/json; charset=utf-8" };
}
