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
 * - `x-ratelimit-reset` is a second on Auth0's clock, not ours: a local clock one second ahead
 *   reads every reset as past (and retried at once, hundreds of times), one behind waits a second
 *   too long. Each answer's `Date` header tells Auth0's clock (`ServerClock`), so a reset is read
 *   as a time on ours; and a 429 always waits at least one token's time at the learned rate.
 * - No wait is longer than `maxWaitMs`: beyond it the limiter stops with `RateLimitWaitError`,
 *   which says when to try again, rather than sleeping silently for hours.
 */
export interface RateLimitObservation {
  limit: number;
  remaining: number;
  /** When the bucket is full again (on a 429: when the next token comes), ms since the epoch on the server's clock. */
  resetAt: number | undefined;
  /** A `Retry-After` given in seconds, as ms from the answer: a duration needs no clock. */
  retryAfterMs?: number;
  /** The answer's `Date` (the server's clock, whole seconds), ms since the epoch. */
  date?: number;
  /** When the request was sent and when its answer came, ms since the epoch. */
  sentAt: number;
  receivedAt: number;
  rateLimited: boolean;
}

/**
 * Auth0's own SDK caps each of its rate-limit waits at 60 s, and every bucket of the Management API
 * refills within seconds (free: 2 per second, burst 2; enterprise: 16 per second, burst 50). A wait
 * longer than a minute is not pacing: it is a daily or hourly quota, or a broken clock. Waiting it
 * out would look like a hang (and outlast any --timeout), so the run stops and says when to retry.
 */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/** A rate limit asks for a wait longer than `MAX_RATE_LIMIT_WAIT_MS`. */
export class RateLimitWaitError extends Error {
  constructor(
    readonly waitMs: number,
    /** When the limit allows the next request, ms since the epoch on our clock. */
    readonly until: number,
    readonly maxWaitMs: number,
  ) {
    super(
      `the Auth0 rate limit allows the next request in ${Math.ceil(waitMs / 1000)} s (at ${new Date(until).toISOString()}), longer than the ${maxWaitMs / 1000} s mcp-auth0 waits`,
    );
    this.name = "RateLimitWaitError";
  }
}

/**
 * What the server's clock reads compared with ours, learned from `Date` headers. A `Date` is the
 * whole second the server wrote it, at some moment between sending the request and receiving the
 * answer, so each answer bounds the offset (server − ours) to an interval a second and a round trip
 * wide; the intersection of those intervals narrows as answers come at different fractions of a
 * second. A server time is read as the latest time on our clock it can be, so that a wait until it
 * never ends early.
 */
class ServerClock {
  private low = -Infinity;
  private high = Infinity;

  learn(date: number, sentAt: number, receivedAt: number): void {
    const low = date - receivedAt;
    const high = date + 1000 - sentAt;
    if (low > this.high || high < this.low) {
      // The answers disagree: a clock was set in between. Only the latest one holds.
      this.low = low;
      this.high = high;
      return;
    }
    this.low = Math.max(this.low, low);
    this.high = Math.min(this.high, high);
  }

  /** `serverTime` on our clock, at the latest; as it is while no `Date` was seen. */
  toLocal(serverTime: number): number {
    return this.low === -Infinity ? serverTime : serverTime - this.low;
  }
}

export interface RateLimiterOptions {
  now: () => number;
  /** Waits `ms`, or less when `wake` is called: the limiter re-checks on every answer. */
  sleep: (ms: number, wake: Promise<void>) => Promise<void>;
  /** Requests in flight at most, whatever the bucket allows. */
  concurrency: number;
  /** Told when a request waits more than a second for the bucket. */
  onWait?: (ms: number) => void;
  /** The longest wait before `acquire` gives up with `RateLimitWaitError`; default `MAX_RATE_LIMIT_WAIT_MS`. */
  maxWaitMs?: number;
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
  private readonly clock = new ServerClock();

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
      const maxWaitMs = this.options.maxWaitMs ?? MAX_RATE_LIMIT_WAIT_MS;
      if (wait !== Infinity && wait > maxWaitMs) throw new RateLimitWaitError(wait, now + wait, maxWaitMs);
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
    if (o.date !== undefined) this.clock.learn(o.date, o.sentAt, o.receivedAt);
    const resetAt = o.retryAfterMs !== undefined ? o.receivedAt + o.retryAfterMs : o.resetAt === undefined ? undefined : this.clock.toLocal(o.resetAt);
    // The others in flight may not have been counted yet: assume they all will be.
    this.tokens = remaining - this.inFlight;
    this.updatedAt = o.receivedAt;
    if (o.rateLimited) {
      // Too fast: trust only slower rates from now on, and wait for the next token — until the
      // reset, and never less than one token's time at that rate (a second while it is unknown),
      // whatever the reset says: a reset that reads as past must not turn into a retry at once.
      if (this.rate > 0) {
        this.rateCeiling = this.rate * 0.8;
        this.rate = this.rateCeiling;
      }
      this.tokens = -this.inFlight;
      const oneToken = this.rate > 0 ? 1 / this.rate : 1000;
      this.blockedUntil = Math.max(this.blockedUntil, resetAt ?? 0, o.receivedAt + oneToken);
      this.resetAt = Math.max(this.resetAt, this.blockedUntil);
      return;
    }
    this.resetAt = resetAt ?? 0;
    const missing = this.limit - remaining;
    if (resetAt !== undefined && missing > 0 && resetAt > o.sentAt) {
      const bound = missing / (resetAt - o.sentAt);
      this.rate = Math.min(Math.max(this.rate, bound), this.rateCeiling);
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
