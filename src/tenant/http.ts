/**
 * The HTTP boundary of every Auth0 call: the `fetch` handed to the `auth0` SDK (and used for the
 * token request). It counts calls, traces them for --verbose without secrets, waits out rate
 * limits, retries what is safe to retry, and trusts an extra CA (the local dev tenant) in-process.
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
  ) {
    super(`${method} ${path}: ${what}`, options);
    this.name = "OutcomeUnknownError";
  }
}

const RATE_LIMIT_MAX_WAITS = 200;

export function redactPath(url: URL): string {
  const query = [...url.searchParams.keys()].length
    ? "?" +
      [...url.searchParams.entries()]
        .map(([k, v]) => `${k}=${/secret|token|password|assertion/i.test(k) ? "[redacted]" : v}`)
        .join("&")
    : "";
  return url.pathname + query;
}

export function createHttp(options: HttpOptions = {}): { fetch: typeof fetch; probe: typeof fetch; stats: HttpStats } {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const calls: HttpCall[] = [];
  const limiter = createLimiter(options.concurrency ?? 4);
  // When Auth0 says the bucket is empty, every request waits for the reset instead of collecting 429s.
  let blockedUntil = 0;
  // While the bucket is empty: the time between two requests, and when the next may go.
  let pace = 0;
  let nextSlot = 0;
  let fetchImpl: Promise<typeof fetch> | undefined;

  const baseFetch = (): Promise<typeof fetch> => {
    fetchImpl ??= options.ca ? fetchTrusting(options.ca) : Promise.resolve(options.baseFetch ?? ((input, init) => globalThis.fetch(input, init)));
    return fetchImpl;
  };

  const instrumented = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const path = redactPath(url);
    // A token request changes nothing in the tenant: like a read, it is safe to send again.
    const isRead = method === "GET" || method === "HEAD" || url.pathname === "/oauth/token";
    const doFetch = await baseFetch();
    let rateLimitWaits = 0;

    for (let attempt = 1; ; attempt++) {
      let started = now();
      let response: Response;
      try {
        response = await limiter(async () => {
          // Checked once a slot is ours: requests queued before a 429 must not fire into it.
          for (;;) {
            const gate = blockedUntil - now();
            if (gate > 0) await sleep(gate);
            else if (pace > 0 && nextSlot > now()) await sleep(nextSlot - now());
            else break;
          }
          if (pace > 0) nextSlot = now() + pace;
          started = now();
          const timeout = AbortSignal.timeout(timeoutMs);
          const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
          return doFetch(input, { ...init, signal });
        });
      } catch (error) {
        const record = { method, path, status: "network-error" as const, ms: now() - started, attempt };
        calls.push(record);
        options.onCall?.(record);
        // The caller's own abort ends the request; our per-attempt timeout is a network fault like a reset.
        if (init?.signal?.aborted) throw error;
        if (!isTimeout(error) && !isRetryableNetworkError(error)) throw error;
        if (!isRead) throw new OutcomeUnknownError(method, path, { cause: error });
        if (attempt >= maxAttempts) throw error;
        await sleep(backoff(attempt));
        continue;
      }
      const record = { method, path, status: response.status, ms: now() - started, attempt };
      calls.push(record);
      options.onCall?.(record);

      const reset = resetAt(response, now());
      const remaining = response.headers.get("x-ratelimit-remaining");
      if (response.status !== 429 && remaining === "0" && reset !== undefined) {
        // The bucket is empty and refills fully by `reset`: space requests at the refill rate
        // instead of waiting for the whole bucket, or firing into 429s.
        const limit = Number(response.headers.get("x-ratelimit-limit")) || 1;
        pace = Math.max(reset - now(), 1000) / limit;
        nextSlot = Math.max(nextSlot, now() + pace);
      } else if (remaining !== null && Number(remaining) > 1) {
        pace = 0;
      }
      if (response.status === 429 && rateLimitWaits < RATE_LIMIT_MAX_WAITS) {
        // Rate limits are waited out, never turned into failures (SPEC §6), however long the run.
        rateLimitWaits++;
        attempt--;
        const wait = Math.max((reset ?? now() + 1000) - now(), 50);
        if (wait > 1000) options.onWait?.(Math.ceil(wait / 1000), "Auth0 rate limit");
        blockedUntil = Math.max(blockedUntil, now() + wait);
        await response.body?.cancel();
        continue;
      }
      if ((response.status >= 500 || response.status === 408) && method === "POST" && !isRead) {
        // A create may have happened before the error: re-sending could duplicate it (a client has
        // no unique name to meet a 409 with). The apply step reads the resource back instead.
        await response.body?.cancel();
        throw new OutcomeUnknownError(method, path, { cause: new Error(`HTTP ${response.status}`) }, `Auth0 answered HTTP ${response.status}`);
      }
      if ((response.status >= 500 || response.status === 408) && attempt < maxAttempts) {
        const wait = backoff(attempt);
        if (wait > 1000) options.onWait?.(Math.ceil(wait / 1000), `HTTP ${response.status} from Auth0`);
        await response.body?.cancel();
        await sleep(wait);
        continue;
      }
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

/** When the rate limit resets, in ms since the epoch: `Retry-After` first, then `x-ratelimit-reset` (UNIX seconds). */
function resetAt(response: Response, nowMs: number): number | undefined {
  const retryAfter = Number(response.headers.get("retry-after"));
  if (response.headers.has("retry-after") && Number.isFinite(retryAfter)) return nowMs + retryAfter * 1000;
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (response.headers.has("x-ratelimit-reset") && Number.isFinite(reset) && reset > 0) return reset * 1000;
  return undefined;
}

function backoff(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 8000) + Math.floor(Math.random() * 100);
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

function createLimiter(max: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds max.
    if (active >= max) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

/**
 * Node reads NODE_EXTRA_CA_CERTS only at start, so a CA learned at run time (the dev tenant's) is
 * trusted through an undici dispatcher: the system roots plus that CA, for this process only.
 */
async function fetchTrusting(ca: string): Promise<typeof fetch> {
  const [{ Agent, fetch: undiciFetch }, { rootCertificates }] = await Promise.all([import("undici"), import("node:tls")]);
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
