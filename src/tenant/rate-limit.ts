/**
 * Pacing from Auth0's rate-limit headers. Auth0's Management API limit is a token bucket:
 * `x-ratelimit-limit` is its size, `x-ratelimit-remaining` the tokens left after this request, and
 * `x-ratelimit-reset` the UNIX second by which it is full again (on a 429: when the next token
 * comes). A free tenant allows 2 requests per second with a burst of 2, other plans more, and
 * non-production tenants may get less: nothing here is assumed, everything is read or learned.
 *
 * - Before the first answer only one request goes: the size of the bucket is unknown.
 * - Never more requests in flight than the last answer said remain.
 * - When none remain, the next request waits for the refill: until `x-ratelimit-reset` while the
 *   refill rate is unknown, and one token's time at the learned rate once it is known.
 * - The refill rate is learned from the answers: a bucket short of `limit - remaining` tokens is
 *   full by `reset`, so `(limit - remaining) / (reset - sent)` is a lower bound of the true rate
 *   (the reset is rounded up to a whole second, and the request was counted after it was sent).
 *   The best of these bounds approaches the true rate; a 429 shows it was too high and lowers it.
 */
export interface RateLimitObservation {
  limit: number;
  remaining: number;
  /** ms since the epoch. */
  resetAt: number | undefined;
  /** When the request was sent and when its answer came, ms since the epoch. */
  sentAt: number;
  receivedAt: number;
  rateLimited: boolean;
}

export interface RateLimiterOptions {
  now: () => number;
  /** Waits `ms`, or less when `wake` is called: the limiter re-checks on every answer. */
  sleep: (ms: number, wake: Promise<void>) => Promise<void>;
  /** Requests in flight at most, whatever the bucket allows. */
  concurrency: number;
  /** Told when a request waits more than a second for the bucket. */
  onWait?: (ms: number) => void;
}

export class RateLimiter {
  /** False until an answer with rate-limit headers (or one without: then the bucket is unlimited). */
  private known = false;
  private unlimited = false;
  private limit = 1;
  /** Tokens we may still spend at `updatedAt`, net of the requests in flight then. */
  private tokens = 1;
  private updatedAt = 0;
  /** By then the bucket is full again (ms since the epoch). */
  private resetAt = 0;
  /** Learned refill rate, tokens per ms; 0 while unknown. */
  private rate = 0;
  /** A 429 showed the learned rate was too high: bounds above this are not believed. */
  private rateCeiling = Infinity;
  private blockedUntil = 0;
  private inFlight = 0;
  private turn: Promise<void> = Promise.resolve();
  private changed = deferred();

  constructor(private readonly options: RateLimiterOptions) {}

  /** Waits until a request may be sent, and counts it as in flight. Requests go in the order they asked. */
  acquire(): Promise<void> {
    const mine = this.turn.then(() => this.waitForToken());
    this.turn = mine.catch(() => {});
    return mine;
  }

  /** The request ended (answered or failed); `observation` when its answer carried rate-limit headers. */
  release(observation?: RateLimitObservation | "no-headers"): void {
    this.inFlight--;
    if (observation === "no-headers") {
      // An answer without rate-limit headers (not Auth0's Management API): only the concurrency cap applies.
      if (!this.known) this.unlimited = true;
      this.known = true;
    } else if (observation) {
      this.observe(observation);
    }
    const changed = this.changed;
    this.changed = deferred();
    changed.resolve();
  }

  /** Estimated tokens available now, net of the requests in flight. */
  private available(now: number): number {
    if (!this.known) return this.inFlight === 0 ? 1 : 0;
    if (this.unlimited) return Infinity;
    let tokens = this.tokens + this.rate * Math.max(0, now - this.updatedAt);
    if (this.resetAt && now >= this.resetAt) tokens = Math.max(tokens, this.limit - this.inFlight);
    return Math.min(tokens, this.limit - this.inFlight);
  }

  /** How long until a request may go; Infinity: until an answer changes what is known. */
  private waitMs(now: number): number {
    if (this.inFlight >= this.options.concurrency) return Infinity;
    if (this.blockedUntil > now) return this.blockedUntil - now;
    const available = this.available(now);
    if (available >= 1) return 0;
    if (!this.known) return Infinity;
    const untilReset = this.resetAt > now ? this.resetAt - now : Infinity;
    const untilToken = this.rate > 0 ? (1 - available) / this.rate : Infinity;
    const wait = Math.min(untilReset, untilToken);
    // Empty, no reset said and no rate learned: ask again in a second rather than never.
    if (wait === Infinity) return this.inFlight > 0 ? Infinity : 1000;
    return Math.max(1, Math.ceil(wait));
  }

  private async waitForToken(): Promise<void> {
    let told = false;
    for (;;) {
      const now = this.options.now();
      const wait = this.waitMs(now);
      if (wait <= 0) {
        this.tokens = this.available(now) - 1;
        this.updatedAt = now;
        this.inFlight++;
        return;
      }
      if (wait > 1000 && wait !== Infinity && !told) {
        told = true;
        this.options.onWait?.(wait);
      }
      const changed = this.changed.promise;
      if (wait === Infinity) await changed;
      else await this.options.sleep(wait, changed);
    }
  }

  private observe(o: RateLimitObservation): void {
    this.known = true;
    this.unlimited = false;
    this.limit = Math.max(1, o.limit);
    const remaining = Math.max(0, Math.min(o.remaining, this.limit));
    // The others in flight may not have been counted yet: assume they all will be.
    this.tokens = remaining - this.inFlight;
    this.updatedAt = o.receivedAt;
    if (o.rateLimited) {
      // Too fast: wait for the next token, and trust only slower rates from now on.
      this.tokens = -this.inFlight;
      this.blockedUntil = Math.max(this.blockedUntil, o.resetAt ?? o.receivedAt + 1000);
      if (this.rate > 0) {
        this.rateCeiling = this.rate * 0.8;
        this.rate = this.rateCeiling;
      }
      this.resetAt = Math.max(this.resetAt, this.blockedUntil);
      return;
    }
    this.resetAt = o.resetAt ?? 0;
    const missing = this.limit - remaining;
    if (o.resetAt !== undefined && missing > 0 && o.resetAt > o.sentAt) {
      const bound = missing / (o.resetAt - o.sentAt);
      this.rate = Math.min(Math.max(this.rate, bound), this.rateCeiling);
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
