import { answerProblem, MalformedAnswerError } from "./answers.js";
import { RateLimiter, type RateLimitObservation } from "./rate-limit.js";

/**
 * The HTTP boundary of every Auth0 call: the `fetch` handed to the `auth0` SDK (and used for the
 * token request). It counts calls, traces them for --verbose without secrets, waits out rate
 * limits, retries what is safe to retry, checks each successful answer against what the call
 * returns (answers.ts), and trusts an extra CA (the local dev tenant) in-process.
 */
export interface HttpCall {
  method: string;
  path: string;
  status: number | "network-error";
  ms: number;
  attempt: number;
}

export interface HttpStats {
  calls: HttpCall[];
  /** Non-GET requests to the Management API (token requests are not writes). */
  writes(): number;
}

export interface HttpOptions {
  /** The underlying fetch; defaults to the global one (which nock intercepts in unit tests). */
  baseFetch?: typeof fetch;
  /** PEM of an extra CA to trust for this process only (the local dev tenant's). */
  ca?: string;
  onCall?: (call: HttpCall) => void;
  /** Told when a rate limit or a retry makes us wait more than a second. */
  onWait?: (seconds: number, reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Attempts for 5xx and 408 (reads, PATCH and DELETE, which are safe to repeat) and for network errors of reads. */
  maxAttempts?: number;
  /** Requests in flight at once: independent reads run concurrently, within the rate limit. */
  concurrency?: number;
  /** Per attempt. A read that times out is retried; a write that times out is read back. */
  timeoutMs?: number;
}

/**
 * A write (POST/PATCH/DELETE) whose connection broke before an answer arrived: it may or may not
 * have taken effect, so it must not be blindly re-sent. The apply step reads the resource back.
 */
export class OutcomeUnknownError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    options: { cause: unknown },
    what = "the connection broke before Auth0 answered",
    /** The HTTP status when Auth0 answered with an error (5xx), undefined when no answer came. */
    readonly status?: number,
  ) {
    super(`${method} ${path}: ${what}`, options);
    this.name = "OutcomeUnknownError";
  }
}

const RATE_LIMIT_MAX_WAITS = 200;

export function redactPath(url: URL): string {
  const query = [...url.searchParams.keys()].length
    ? "?" + [...url.searchParams.entries()].map(([k, v]) => `${k}=${/secret|token|password|assertion/i.test(k) ? "[redacted]" : v}`).join("&")
    : "";
  return url.pathname + query;
}

export function createHttp(options: HttpOptions = {}): { fetch: typeof fetch; probe: typeof fetch; stats: HttpStats } {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ? (ms: number) => options.sleep!(ms) : (ms: number) => wakeableSleep(ms);
  const maxAttempts = options.maxAttempts ?? 6;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const calls: HttpCall[] = [];
  // Auth0 keeps separate buckets per endpoint (the token endpoint's is not the Management API's).
  const limiters = new Map<string, RateLimiter>();
  const limiterFor = (url: URL) => {
    const key = `${url.host} ${url.pathname === "/oauth/token" ? "token" : "api"}`;
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter({
        now,
        sleep: options.sleep ? (ms) => options.sleep!(ms) : wakeableSleep,
        concurrency: options.concurrency ?? 4,
        onWait: (ms) => options.onWait?.(Math.ceil(ms / 1000), "Auth0 rate limit"),
      });
      limiters.set(key, limiter);
    }
    return limiter;
  };
  // Consecutive faults (5xx, 408, resets, timeouts) across all requests: while Auth0 is failing,
  // every request — a retried read, the read-back after a failed write — waits a growing, jittered
  // time, so that retries do not hammer a struggling tenant within milliseconds.
  let faultStreak = 0;
  let coolDownUntil = 0;
  const fault = () => {
    faultStreak++;
    coolDownUntil = Math.max(coolDownUntil, now() + backoff(faultStreak));
  };
  let fetchImpl: Promise<typeof fetch> | undefined;

  const baseFetch = (): Promise<typeof fetch> => {
    const { ca } = options;
    // Imported only here: undici stays off the path of runs that trust nothing extra.
    fetchImpl ??= ca
      ? import("./trust.js").then(({ trustingFetch }) => trustingFetch(ca).fetch)
      : Promise.resolve(options.baseFetch ?? ((input, init) => globalThis.fetch(input, init)));
    return fetchImpl;
  };

  const instrumented = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const path = redactPath(url);
    // A token request changes nothing in the tenant: like a read, it is safe to send again.
    const isRead = method === "GET" || method === "HEAD" || url.pathname === "/oauth/token";
    const doFetch = await baseFetch();
    const limiter = limiterFor(url);
    let rateLimitWaits = 0;

    for (let attempt = 1; ; attempt++) {
      for (let wait = coolDownUntil - now(); wait > 0; wait = coolDownUntil - now()) {
        if (wait > 1000) options.onWait?.(Math.ceil(wait / 1000), "Auth0 failed; backing off before the next request");
        await sleep(wait);
      }
      await limiter.acquire();
      const started = now();
      let response: Response;
      // A successful answer is read here, whole, to be checked before anyone relies on it.
      let body: string | undefined;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        response = await doFetch(input, { ...init, signal });
        if (response.ok && response.status !== 204) body = await response.text();
      } catch (error) {
        limiter.release();
        const record = { method, path, status: "network-error" as const, ms: now() - started, attempt };
        calls.push(record);
        options.onCall?.(record);
        // The caller's own abort ends the request; our per-attempt timeout is a network fault like a reset.
        if (init?.signal?.aborted) throw error;
        if (!isTimeout(error) && !isRetryableNetworkError(error)) throw error;
        fault();
        if (!isRead) throw new OutcomeUnknownError(method, path, { cause: error });
        if (attempt >= maxAttempts) throw error;
        continue;
      }
      limiter.release(observe(response, started, now()));
      const record = { method, path, status: response.status, ms: now() - started, attempt };
      calls.push(record);
      options.onCall?.(record);

      if (response.status === 429 && rateLimitWaits < RATE_LIMIT_MAX_WAITS) {
        // Rate limits are waited out, never turned into failures (SPEC §6): the limiter now holds
        // every request until the reset the answer named. Only a request refused 200 times in a row
        // fails — a tenant that does that is not pacing us, it is broken.
        rateLimitWaits++;
        attempt--;
        await response.body?.cancel();
        continue;
      }
      // A malformed answer (an HTML page, half a document, `{}` for a list) is a fault like a 503:
      // taken as it is, it would read as "nothing there" and lead to wrong writes.
      const malformed = body === undefined ? undefined : answerProblem(method, url.pathname, body);
      const failed = response.status >= 500 || response.status === 408 || malformed !== undefined;
      if (!failed) {
        faultStreak = 0;
        return body === undefined ? response : withBody(response, body);
      }
      fault();
      if (method === "POST" && !isRead) {
        // A create may have happened before the error: re-sending could duplicate it (a client has
        // no unique name to meet a 409 with). The apply step reads the resource back instead.
        if (body === undefined) await response.body?.cancel();
        const what = malformed ? `Auth0 answered HTTP ${response.status}, but ${malformed}` : `Auth0 answered HTTP ${response.status}`;
        throw new OutcomeUnknownError(method, path, { cause: new Error(what) }, what, response.status);
      }
      if (malformed) {
        if (attempt < maxAttempts) continue;
        throw new MalformedAnswerError(`${method} ${url.pathname}`, `${malformed}, ${attempt} times`);
      }
      if (attempt < maxAttempts) {
        await response.body?.cancel();
        continue;
      }
      // The last 5xx goes to the SDK, which reports it with its status and Auth0's message.
      return response;
    }
  };

  /**
   * For requests outside the Management API (OAuth metadata, the MCP server): traced, counted and
   * CA-trusted, but sent once — Auth0's rate-limit waits and write read-backs do not apply to them,
   * and a diagnosis reports what the server answered.
   */
  const probe = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init?.method ?? "GET").toUpperCase();
    const started = now();
    const record = (status: HttpCall["status"]) => {
      const call = { method, path: `${url.origin}${redactPath(url)}`, status, ms: now() - started, attempt: 1 };
      calls.push(call);
      options.onCall?.(call);
    };
    try {
      const response = await (await baseFetch())(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      record(response.status);
      return response;
    } catch (error) {
      record("network-error");
      throw error;
    }
  };

  return {
    fetch: instrumented as typeof fetch,
    probe: probe as typeof fetch,
    stats: {
      calls,
      writes: () => calls.filter((c) => c.method !== "GET" && c.method !== "HEAD" && c.path.startsWith("/api/v2/")).length,
    },
  };
}

/** Exponential backoff with jitter: 250 ms, 500 ms, 1 s, … up to 8 s, each stretched by up to half again at random. */
export function backoff(faults: number, random = Math.random): number {
  const base = Math.min(250 * 2 ** (faults - 1), 8000);
  return Math.floor(base + random() * (base / 2));
}

/** What an answer's rate-limit headers say, for the limiter of its bucket (times on the server's clock stay so: the limiter reads them). */
function observe(response: Response, sentAt: number, receivedAt: number): RateLimitObservation | "no-headers" {
  const header = (name: string) => response.headers.get(name) ?? undefined;
  const remaining = header("x-ratelimit-remaining");
  const limit = Number(header("x-ratelimit-limit"));
  const rateLimited = response.status === 429;
  if (remaining === undefined && !rateLimited) return "no-headers";
  const reset = Number(header("x-ratelimit-reset"));
  // Retry-After is a number of seconds or an HTTP date (RFC 9110 §10.2.3), which is the server's clock.
  const retryAfter = header("retry-after");
  const retryAfterSeconds = retryAfter !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const retryAfterDate = retryAfter !== undefined && retryAfterSeconds === undefined ? httpDate(retryAfter) : undefined;
  const date = httpDate(header("date"));
  return {
    limit: Number.isFinite(limit) && limit > 0 ? limit : Math.max(1, Number(remaining) || 1),
    remaining: rateLimited ? 0 : Number(remaining) || 0,
    resetAt: retryAfterDate ?? (Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined),
    ...(retryAfterSeconds !== undefined ? { retryAfterMs: retryAfterSeconds * 1000 } : {}),
    ...(date !== undefined ? { date } : {}),
    sentAt,
    receivedAt,
    rateLimited,
  };
}

function httpDate(value: string | undefined): number | undefined {
  const ms = value === undefined ? NaN : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The answer with its body already read, for the SDK to read again. */
function withBody(response: Response, body: string): Response {
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // The SDK names the page it read by its URL, which a constructed Response does not have.
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

/** A real-time sleep that ends early when `wake` resolves, leaving no timer behind. */
function wakeableSleep(ms: number, wake?: Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    // `wake` only ever resolves (it is a signal): nothing to catch.
    void wake?.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function isTimeout(error: unknown): boolean {
  return causes(error).some((e) => e instanceof Error && (e.name === "TimeoutError" || e.name === "ManagementTimeoutError"));
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "ECONNABORTED", "EAI_AGAIN"]);

/** The error and its causes, outermost first (the SDK wraps what our fetch throws). */
export function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

export function errorCode(error: unknown): string | undefined {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function isRetryableNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && RETRYABLE_CODES.has(code);
}
