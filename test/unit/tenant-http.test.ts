import nock from "nock";
import { describe, expect, it } from "vitest";
import { backoff, createHttp, OutcomeUnknownError, redactPath } from "../../src/tenant/http.js";
import { TokenBucket } from "../../src/local-tenant/faults.js";
import { toCliError } from "../../src/tenant/errors.js";
import { RateLimitWaitError } from "../../src/tenant/rate-limit.js";
import { TENANT_URL, useNock } from "../support/nock.js";

useNock();

const T0 = 1_750_000_000_000; // a whole second, in ms

/** A fake clock: `sleep` records the wait and moves time forward, so nothing really waits. */
function fakeClock() {
  let t = T0;
  const sleeps: number[] = [];
  const events: string[] = [];
  return {
    sleeps,
    events,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      events.push(`sleep ${ms}`);
      t += ms;
    },
  };
}

const resetIn = (seconds: number) => String(T0 / 1000 + seconds);

describe("createHttp: rate limits", () => {
  it("waits out a 429 until x-ratelimit-reset, then returns the success", async () => {
    const clock = fakeClock();
    const waits: Array<[number, string]> = [];
    const http = createHttp({ ...clock, onWait: (s, reason) => waits.push([s, reason]) });
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles")
      .reply(429, { statusCode: 429, error: "Too Many Requests" }, { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(3) })
      .get("/api/v2/roles")
      .reply(200, { roles: [] });

    const response = await http.fetch(`${TENANT_URL}/api/v2/roles`);
    scope.done();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ roles: [] });
    expect(clock.sleeps).toEqual([3000]);
    // The user is told why the command pauses.
    expect(waits).toEqual([[3, "Auth0 rate limit"]]);
    expect(http.stats.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("prefers Retry-After (seconds) over x-ratelimit-reset", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .post("/api/v2/roles")
      .reply(429, {}, { "retry-after": "2", "x-ratelimit-reset": resetIn(30) })
      .post("/api/v2/roles")
      .reply(201, { id: "rol_1", name: "Admin" });
    const response = await http.fetch(`${TENANT_URL}/api/v2/roles`, { method: "POST", body: "{}" });
    scope.done();
    expect(response.status).toBe(201);
    expect(clock.sleeps).toEqual([2000]);
  });

  it("after x-ratelimit-remaining: 0, holds the next request for one refill interval instead of collecting a 429", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .get("/api/v2/a")
      .reply(function () {
        clock.events.push("GET a");
        return [200, {}, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(2) }];
      })
      .get("/api/v2/b")
      .reply(function () {
        clock.events.push("GET b");
        return [200, {}, { "x-ratelimit-remaining": "9", "x-ratelimit-reset": resetIn(3) }];
      });
    await http.fetch(`${TENANT_URL}/api/v2/a`);
    await http.fetch(`${TENANT_URL}/api/v2/b`);
    scope.done();
    expect(clock.events).toEqual(["GET a", "sleep 2000", "GET b"]);
  });

  it("does not wait while requests remain", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .get("/api/v2/a")
      .times(2)
      .reply(200, {}, { "x-ratelimit-remaining": "5", "x-ratelimit-reset": resetIn(2) });
    await http.fetch(`${TENANT_URL}/api/v2/a`);
    await http.fetch(`${TENANT_URL}/api/v2/a`);
    scope.done();
    expect(clock.sleeps).toEqual([]);
  });
});

/**
 * A clock that runs SCALE times faster than real time, shared by the client and a token-bucket
 * tenant behind nock: seconds of Auth0 pacing pass in a fraction of a real second, while requests
 * really run concurrently.
 */
function fastClock(scale = 20) {
  const start = Date.now();
  return {
    now: () => T0 + (Date.now() - start) * scale,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / scale)),
  };
}

/** A Management API rate-limited like a free tenant (2/s, burst 2 unless told), counting what it sees. */
function bucketTenant(clock: { now: () => number }, perSecond = 2, burst = 2) {
  const bucket = new TokenBucket(perSecond, burst, clock.now());
  const seen = { answered: 0, rejected: 0, inFlight: 0, maxInFlight: 0, firstAloneOk: true };
  nock(TENANT_URL)
    .get(/\/api\/v2\/.*/)
    .times(1000)
    .delay(5)
    .reply(function () {
      const { allowed, headers } = bucket.take(clock.now());
      if (!allowed) {
        seen.rejected++;
        return [429, { statusCode: 429, error: "Too Many Requests", message: "Global limit has been reached", errorCode: "too_many_requests" }, headers];
      }
      seen.answered++;
      return [200, [], headers];
    });
  return seen;
}

describe("createHttp: pacing from the rate-limit headers", () => {
  it("sends the first request alone: before an answer, the size of the bucket is unknown", async () => {
    const clock = fastClock();
    const arrivals: number[] = [];
    let answered = 0;
    nock(TENANT_URL)
      .get(/\/api\/v2\/.*/)
      .times(3)
      .reply(function () {
        arrivals.push(answered);
        answered++;
        return [200, [], { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "9", "x-ratelimit-reset": String(Math.ceil(clock.now() / 1000)) }];
      });
    const http = createHttp(clock);
    await Promise.all([1, 2, 3].map((i) => http.fetch(`${TENANT_URL}/api/v2/r${i}`)));
    // The second and third went only after the first had been answered.
    expect(arrivals).toEqual([0, 1, 2]);
  });

  it("at 2 requests/s with a burst of 2, 12 concurrent reads collect no more than one 429 and take about the refill time", async () => {
    // Scaled 5x, not 20x: a loaded machine's event-loop lag, multiplied by the scale, must not
    // look like a slow client.
    const clock = fastClock(5);
    const seen = bucketTenant(clock);
    const http = createHttp(clock);
    const started = clock.now();
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => http.fetch(`${TENANT_URL}/api/v2/r${i}`)));
    const seconds = (clock.now() - started) / 1000;
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(seen.answered).toBe(12);
    expect(seen.rejected).toBeLessThanOrEqual(1);
    // The bucket allows 2 + 2/s: 12 requests need 5 s at least. Learning the rate must not make it
    // much slower than that (a client that waited for every full reset would take about 9 s).
    expect(seconds).toBeGreaterThanOrEqual(4.5);
    expect(seconds).toBeLessThan(8.5);
  });

  it("never has more requests in flight than the last answer said remain", async () => {
    // Time stands still (a wait only yields to the event loop), so no token refills during the
    // test, however slowly a loaded machine runs it: the cap is exactly what the answers said.
    const clock = { now: () => T0, sleep: () => new Promise<void>((resolve) => setTimeout(resolve, 1)) };
    let inFlight = 0;
    let maxInFlight = 0;
    nock(TENANT_URL)
      .get(/\/api\/v2\/.*/)
      .times(9)
      .reply(function (_uri, _body, callback) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // A bucket that always has 3 left and refills slowly: at most 3 may be in flight at once.
        setTimeout(() => {
          inFlight--;
          callback(null, [200, [], { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "3", "x-ratelimit-reset": String(Math.ceil(clock.now() / 1000) + 60) }]);
        }, 10);
      });
    const http = createHttp({ ...clock, concurrency: 8 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => http.fetch(`${TENANT_URL}/api/v2/r${i}`)));
    expect(maxInFlight).toBe(3);
  });

  it("learns the refill rate: once known, a request waits one token's time, not the whole reset", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    // 2 per second: 2 tokens short means full in 1 s (reset rounded up to the next whole second).
    const answers = [
      { remaining: "1", reset: resetIn(1) },
      { remaining: "0", reset: resetIn(1) },
      { remaining: "0", reset: resetIn(3) },
    ];
    let i = 0;
    nock(TENANT_URL)
      .get("/api/v2/a")
      .times(3)
      .reply(function () {
        const a = answers[i++]!;
        clock.events.push(`GET a`);
        return [200, {}, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": a.remaining, "x-ratelimit-reset": a.reset }];
      });
    for (let n = 0; n < 3; n++) await http.fetch(`${TENANT_URL}/api/v2/a`);
    // After the second answer (2 short, full within 1 s) the rate is at least 2/s: the third request
    // waits 500 ms for one token rather than the whole second to the reset.
    expect(clock.events).toEqual(["GET a", "GET a", "sleep 500", "GET a"]);
  });

  it("after a 429, holds every request until the reset the answer named", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .get("/api/v2/a")
      .reply(function () {
        clock.events.push("GET a");
        return [429, {}, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(2) }];
      })
      .get("/api/v2/a")
      .reply(function () {
        clock.events.push("GET a");
        return [200, {}, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "1", "x-ratelimit-reset": resetIn(3) }];
      });
    expect((await http.fetch(`${TENANT_URL}/api/v2/a`)).status).toBe(200);
    scope.done();
    expect(clock.events).toEqual(["GET a", "sleep 2000", "GET a"]);
  });
});

describe("createHttp: a tenant whose clock differs from ours (issue 21)", () => {
  /** A 429 from a tenant whose clock reads ours + `skew`: its Date, and a reset 3 s ahead on its clock. */
  const limitedBy = (skew: number) => ({
    date: new Date(T0 + skew).toUTCString(),
    "x-ratelimit-limit": "2",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": String((T0 + skew) / 1000 + 3),
  });

  for (const [skew, words] of [
    [-1000, "1 s behind (the reset read on our clock is 1 s too early)"],
    [1000, "1 s ahead (the reset read on our clock is 1 s too late)"],
  ] as const) {
    it(`reads x-ratelimit-reset on the tenant's clock, from its Date header: tenant ${words}`, async () => {
      const clock = fakeClock();
      const http = createHttp(clock);
      const scope = nock(TENANT_URL).get("/api/v2/roles").reply(429, {}, limitedBy(skew)).get("/api/v2/roles").reply(200, { roles: [] });
      expect((await http.fetch(`${TENANT_URL}/api/v2/roles`)).status).toBe(200);
      scope.done();
      // reset − Date: the 3 s the tenant asked for, whatever the clocks say.
      expect(clock.sleeps).toEqual([3000]);
    });
  }

  it("a 429 whose reset reads as past still waits one token's time at the learned rate, never retries at once", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      // One token short, full again within a second: at least 1 request per second.
      .get("/api/v2/roles")
      .reply(200, { roles: [] }, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "1", "x-ratelimit-reset": resetIn(1) })
      .get("/api/v2/roles")
      .reply(429, {}, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(-5) })
      .get("/api/v2/roles")
      .reply(200, { roles: [] }, { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "1", "x-ratelimit-reset": resetIn(1) });
    await http.fetch(`${TENANT_URL}/api/v2/roles`);
    await http.fetch(`${TENANT_URL}/api/v2/roles`);
    scope.done();
    // The 429 lowered the learned rate (1 per second) by a fifth: one token is 1.25 s.
    expect(clock.sleeps).toEqual([1250]);
  });

  it("a Retry-After of a day stops at once with the time to retry (exit 1), instead of waiting past any timeout", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).get("/api/v2/roles").reply(429, {}, { "retry-after": "86400" });
    const error = await http.fetch(`${TENANT_URL}/api/v2/roles`).then(
      () => undefined,
      (e: unknown) => e,
    );
    scope.done();
    expect(clock.sleeps).toEqual([]);
    const cliError = toCliError(error, "tenant.test");
    const retryAt = new Date(T0 + 86_400_000).toISOString();
    expect(cliError.exitCode).toBe(1);
    expect(cliError.message).toContain(`holds the next request for 86400 s, until ${retryAt}; mcp-auth0 waits at most 60 s`);
    expect(cliError.hint).toBe(`Re-run the same command after ${retryAt}: it reads the tenant first and completes what is missing.`);
  });

  it("so does an empty bucket that refills one token in six minutes: the next request is not held silently", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles")
      .reply(200, { roles: [] }, { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(3600) });
    await http.fetch(`${TENANT_URL}/api/v2/roles`);
    scope.done();
    await expect(http.fetch(`${TENANT_URL}/api/v2/roles`)).rejects.toBeInstanceOf(RateLimitWaitError);
    expect(clock.sleeps).toEqual([]);
  });
});

describe("backoff", () => {
  it("doubles from 250 ms up to 8 s, with up to half again of jitter", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 9].map((n) => backoff(n, () => 0))).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoff(1, () => 0.999)).toBe(374);
    expect(backoff(6, () => 0.5)).toBe(10000);
  });
});

describe("createHttp: retries", () => {
  it("retries a 503 with growing backoff, then returns the success", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).get("/api/v2/connections").times(2).reply(503, "busy").get("/api/v2/connections").reply(200, { connections: [] });
    const response = await http.fetch(`${TENANT_URL}/api/v2/connections`);
    scope.done();
    expect(response.status).toBe(200);
    expect(clock.sleeps).toHaveLength(2);
    // 250 ms, then 500 ms, each stretched by up to half again at random (jitter).
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(clock.sleeps[0]).toBeLessThan(375);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(clock.sleeps[1]).toBeLessThan(750);
    expect(http.stats.calls.map((c) => [c.status, c.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [200, 3],
    ]);
  });

  it("gives up after maxAttempts and returns the last 503 (the SDK then reports it)", async () => {
    const clock = fakeClock();
    const http = createHttp({ ...clock, maxAttempts: 3 });
    const scope = nock(TENANT_URL).get("/api/v2/connections").times(3).reply(503, { message: "down" });
    const response = await http.fetch(`${TENANT_URL}/api/v2/connections`);
    scope.done();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: "down" });
    expect(clock.sleeps).toHaveLength(2);
    expect(http.stats.calls).toHaveLength(3);
  });

  it("retries a GET whose connection was reset", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles")
      .replyWithError({ code: "ECONNRESET" })
      .get("/api/v2/roles")
      .reply(200, { roles: [{ id: "rol_1", name: "Admin" }] });
    const response = await http.fetch(`${TENANT_URL}/api/v2/roles`);
    scope.done();
    expect(await response.json()).toEqual({ roles: [{ id: "rol_1", name: "Admin" }] });
    expect(http.stats.calls.map((c) => c.status)).toEqual(["network-error", 200]);
    expect(clock.sleeps).toHaveLength(1);
  });

  it("gives up on a GET that keeps being reset after maxAttempts, with the network error", async () => {
    const clock = fakeClock();
    const http = createHttp({ ...clock, maxAttempts: 2 });
    const scope = nock(TENANT_URL).get("/api/v2/roles").times(2).replyWithError({ code: "ECONNRESET" });
    await expect(http.fetch(`${TENANT_URL}/api/v2/roles`)).rejects.toMatchObject({ code: "ECONNRESET" });
    scope.done();
    expect(http.stats.calls).toHaveLength(2);
  });

  it("does not re-send a POST whose connection was reset: its outcome is unknown", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const reset = nock(TENANT_URL).post("/api/v2/roles").replyWithError({ code: "ECONNRESET" });
    const resend = nock(TENANT_URL).post("/api/v2/roles").reply(201, { id: "rol_duplicate" });

    const error = await http.fetch(`${TENANT_URL}/api/v2/roles`, { method: "POST", body: JSON.stringify({ name: "Admin" }) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    reset.done();
    expect(resend.isDone()).toBe(false);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ method: "POST", path: "/api/v2/roles" });
    expect((error as Error).message).toBe("POST /api/v2/roles: the connection broke before Auth0 answered");
    expect(http.stats.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("does not re-send a POST answered 502 (a create may have happened); a PATCH answered 502 is retried", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const post = nock(TENANT_URL).post("/api/v2/clients").reply(502, "Bad Gateway");
    const resend = nock(TENANT_URL).post("/api/v2/clients").reply(201, { client_id: "duplicate" });
    const error = await http.fetch(`${TENANT_URL}/api/v2/clients`, { method: "POST", body: "{}" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    post.done();
    expect(resend.isDone()).toBe(false);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toBe("POST /api/v2/clients: Auth0 answered HTTP 502");
    nock.cleanAll();

    const patch = nock(TENANT_URL).patch("/api/v2/roles/rol_1").reply(502).patch("/api/v2/roles/rol_1").reply(200, { id: "rol_1", name: "Admin" });
    const response = await http.fetch(`${TENANT_URL}/api/v2/roles/rol_1`, { method: "PATCH", body: "{}" });
    patch.done();
    expect(response.status).toBe(200);
  });

  it("does not retry an error that is not a network fault (e.g. DNS)", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).get("/api/v2/roles").replyWithError({ code: "ENOTFOUND" });
    await expect(http.fetch(`${TENANT_URL}/api/v2/roles`)).rejects.toMatchObject({ code: "ENOTFOUND" });
    scope.done();
    expect(http.stats.calls).toHaveLength(1);
  });

  it("does not retry a 4xx other than 429", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).patch("/api/v2/connections/con_1").reply(400, { message: "Payload validation error" });
    expect((await http.fetch(`${TENANT_URL}/api/v2/connections/con_1`, { method: "PATCH", body: "{}" })).status).toBe(400);
    scope.done();
    expect(http.stats.calls).toHaveLength(1);
  });
});

describe("createHttp: counting and tracing", () => {
  it("counts every call, and only non-GET Management API calls as writes", async () => {
    const clock = fakeClock();
    const traced: string[] = [];
    const http = createHttp({ ...clock, onCall: (c) => traced.push(`${c.method} ${c.path} ${c.status}`) });
    const scope = nock(TENANT_URL)
      .post("/oauth/token")
      .reply(200, { access_token: "t" })
      .get("/api/v2/roles")
      .reply(200, { roles: [] })
      .post("/api/v2/roles")
      .reply(201, { id: "rol_1", name: "Admin" })
      .patch("/api/v2/connections/con_1")
      .reply(200, { id: "con_1", name: "db" })
      .delete("/api/v2/roles/rol_1/permissions")
      .reply(204)
      .get("/.well-known/openid-configuration")
      .reply(200, {});
    await http.fetch(`${TENANT_URL}/oauth/token`, { method: "POST", body: "{}" });
    await http.fetch(`${TENANT_URL}/api/v2/roles`);
    await http.fetch(`${TENANT_URL}/api/v2/roles`, { method: "POST", body: "{}" });
    await http.fetch(`${TENANT_URL}/api/v2/connections/con_1`, { method: "PATCH", body: "{}" });
    await http.fetch(new Request(`${TENANT_URL}/api/v2/roles/rol_1/permissions`, { method: "DELETE", body: "{}" }));
    await http.fetch(new URL(`${TENANT_URL}/.well-known/openid-configuration`));
    scope.done();
    expect(http.stats.calls).toHaveLength(6);
    expect(http.stats.writes()).toBe(3);
    expect(traced).toEqual([
      "POST /oauth/token 200",
      "GET /api/v2/roles 200",
      "POST /api/v2/roles 201",
      "PATCH /api/v2/connections/con_1 200",
      "DELETE /api/v2/roles/rol_1/permissions 204",
      "GET /.well-known/openid-configuration 200",
    ]);
  });

  it("traces paths with secret-like query values redacted", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).get("/api/v2/users-by-email").query(true).reply(200, []);
    await http.fetch(`${TENANT_URL}/api/v2/users-by-email?email=a%40example.com&access_token=abc123`);
    scope.done();
    expect(http.stats.calls[0]!.path).toBe("/api/v2/users-by-email?email=a@example.com&access_token=[redacted]");
  });
});

describe("redactPath", () => {
  it("hides the values of secret, token, password and assertion parameters, whatever their case", () => {
    const url = new URL("https://t.test/oauth/token?client_secret=S1&Client_Assertion=A1&id_token_hint=I1&password=P1&audience=https%3A%2F%2Fapi&state=xyz");
    const path = redactPath(url);
    expect(path).toBe("/oauth/token?client_secret=[redacted]&Client_Assertion=[redacted]&id_token_hint=[redacted]&password=[redacted]&audience=https://api&state=xyz");
    for (const secret of ["S1", "A1", "I1", "P1"]) expect(path).not.toContain(secret);
  });

  it("leaves a path without a query as it is", () => {
    expect(redactPath(new URL("https://t.test/api/v2/roles/rol_1"))).toBe("/api/v2/roles/rol_1");
  });
});
