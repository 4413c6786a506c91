import nock from "nock";
import { describe, expect, it } from "vitest";
import { createHttp, OutcomeUnknownError, redactPath } from "../../src/tenant/http.js";
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
      .reply(201, { id: "rol_1" });
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

describe("createHttp: retries", () => {
  it("retries a 503 with growing backoff, then returns the success", async () => {
    const clock = fakeClock();
    const http = createHttp(clock);
    const scope = nock(TENANT_URL).get("/api/v2/connections").times(2).reply(503, "busy").get("/api/v2/connections").reply(200, []);
    const response = await http.fetch(`${TENANT_URL}/api/v2/connections`);
    scope.done();
    expect(response.status).toBe(200);
    expect(clock.sleeps).toHaveLength(2);
    // 250 ms, then 500 ms, each with up to 100 ms of jitter.
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(clock.sleeps[0]).toBeLessThan(350);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(clock.sleeps[1]).toBeLessThan(600);
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
      .reply(200, { roles: [{ id: "rol_1" }] });
    const response = await http.fetch(`${TENANT_URL}/api/v2/roles`);
    scope.done();
    expect(await response.json()).toEqual({ roles: [{ id: "rol_1" }] });
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

    const patch = nock(TENANT_URL).patch("/api/v2/roles/rol_1").reply(502).patch("/api/v2/roles/rol_1").reply(200, {});
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
      .reply(200, [])
      .post("/api/v2/roles")
      .reply(201, {})
      .patch("/api/v2/connections/con_1")
      .reply(200, {})
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
