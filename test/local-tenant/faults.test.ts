import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { rejectionOf, sdkFor, trustingFetch } from "./helpers.js";

let tenant: TestLocalTenant;
let trusted: ReturnType<typeof trustingFetch>;
let token: string;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true });
  trusted = trustingFetch(tenant.caCertPem);
  token = tenant.issueManagementToken(["read:roles", "create:roles", "read:users"]);
});

afterEach(() => {
  tenant.setFaults({});
  tenant.resetCalls();
});

afterAll(async () => {
  await trusted.close();
  await tenant.close();
});

/** Raw requests, not the SDK, so that its retries cannot hide a fault. */
function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return trusted.fetch(`${tenant.url}/api/v2${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

function rateHeaders(res: Response): [string | null, string | null] {
  return [res.headers.get("x-ratelimit-limit"), res.headers.get("x-ratelimit-remaining")];
}

describe("rate limit", () => {
  it("answers 429 with Auth0's body and headers once the bucket is empty, and recovers at x-ratelimit-reset", async () => {
    // The tenant's clock (Date) stands still between requests, so that no token refills however
    // slowly a loaded machine sends them; it moves only when the test moves it to the reset.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      tenant.setFaults({ rateLimit: { perSecond: 4, burst: 3 } });
      const answers = [await api("/roles"), await api("/roles"), await api("/roles")];
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers.map(rateHeaders)).toEqual([
        ["3", "2"],
        ["3", "1"],
        ["3", "0"],
      ]);

      const limited = await api("/roles");
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({
        statusCode: 429,
        error: "Too Many Requests",
        message: "Global limit has been reached",
        errorCode: "too_many_requests",
      });
      expect(rateHeaders(limited)).toEqual(["3", "0"]);
      // The UNIX second at which the next token arrives (250 ms away at 4 per second), rounded up.
      const reset = Number(limited.headers.get("x-ratelimit-reset"));
      expect(reset).toBe(Math.ceil((Date.now() + 250) / 1000));

      vi.setSystemTime(reset * 1000);
      expect((await api("/roles")).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("the SDK waits out 429s using x-ratelimit-reset", async () => {
    tenant.setFaults({ rateLimit: { perSecond: 5, burst: 1 } });
    const sdk = sdkFor(tenant, { token }, { maxRetries: 3 });
    await sdk.client.roles.create({ name: "Limited 1" });
    await sdk.client.roles.create({ name: "Limited 2" });
    expect(tenant.store.roles.map((r) => r.name)).toEqual(expect.arrayContaining(["Limited 1", "Limited 2"]));
    expect(tenant.calls.some((c) => c.status === 429)).toBe(true);
    await sdk.close();
  });

  it("every answer carries the headers, errors included", async () => {
    const res = await api("/roles/rol_unknown000000000");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-ratelimit-limit")).toMatch(/^\d+$/);
    expect(res.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
    expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
  });
});

describe("injected failures", () => {
  it("failEvery answers 503 to every Nth /api/v2 request without applying it", async () => {
    tenant.setFaults({ failEvery: 2 });
    expect((await api("/roles")).status).toBe(200);
    const failed = await api("/roles", { method: "POST", body: { name: "Never created" } });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ statusCode: 503, error: "Service Unavailable" });
    expect(tenant.store.roles.some((r) => r.name === "Never created")).toBe(false);
    expect(tenant.writes()).toEqual([]);
    expect((await api("/roles")).status).toBe(200);
  });

  it("counts /api/v2 requests only, not token requests", async () => {
    tenant.setFaults({ failEvery: 2 });
    const sdk = sdkFor(tenant, tenant.m2m);
    // The SDK first asks /oauth/token; that request must not count.
    await sdk.client.roles.list();
    const error = await rejectionOf(sdk.client.roles.list());
    expect(error.statusCode).toBe(503);
    expect(tenant.calls.map((c) => c.status)).toEqual([200, 200, 503]);
    await sdk.close();
  });

  it("resetEvery applies a write, then drops the connection without an answer", async () => {
    tenant.setFaults({ resetEvery: 1 });
    await expect(api("/roles", { method: "POST", body: { name: "Applied but unanswered" } })).rejects.toThrow();
    expect(tenant.store.roles.filter((r) => r.name === "Applied but unanswered")).toHaveLength(1);
    expect(tenant.writes()).toEqual([{ method: "POST", path: "/api/v2/roles", status: 200, write: true }]);

    // A read is dropped without being answered.
    await expect(api("/roles")).rejects.toThrow();
    expect(tenant.calls.at(-1)).toEqual({ method: "GET", path: "/api/v2/roles", status: 0, write: false });

    // A client that retries the write blindly now meets a conflict: the ambiguity a CLI must handle.
    tenant.setFaults({});
    expect((await api("/roles", { method: "POST", body: { name: "Applied but unanswered" } })).status).toBe(409);
  });

  it("latencyMs delays every answer, slowEvery only every Nth", async () => {
    // How long the tenant held the last call, by its own timeline: a loaded machine's client-side
    // pauses do not count.
    // (The tenant marks the end when the response closes, which may come just after the client has it.)
    const held = async () => {
      const span = tenant.spanOf(tenant.calls.at(-1)!)!;
      await vi.waitFor(() => expect(span.end).toBeLessThan(Infinity));
      return span.end - span.start;
    };
    tenant.setFaults({ latencyMs: 120 });
    await api("/roles");
    expect(await held()).toBeGreaterThanOrEqual(110);

    tenant.setFaults({ slowEvery: { n: 2, ms: 400 } });
    await api("/roles");
    expect(await held()).toBeLessThan(400);
    const timedOut = trusted.fetch(`${tenant.url}/api/v2/roles`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(100) });
    await expect(timedOut).rejects.toThrow();
  });
});

describe("answers that are not Auth0's (issue 21)", () => {
  it("clockSkewMs: Date and x-ratelimit-reset follow the tenant's clock, not the machine's", async () => {
    tenant.setFaults({ rateLimit: { perSecond: 2, burst: 2 }, clockSkewMs: -60_000 });
    const before = Date.now();
    const res = await api("/roles");
    const date = Date.parse(res.headers.get("date")!);
    // A minute behind, to the second the header can say.
    expect(date).toBeGreaterThanOrEqual(Math.floor((before - 60_000) / 1000) * 1000);
    expect(date).toBeLessThanOrEqual(Date.now() - 60_000);
    // One token short at 2 per second: full again within a second of the tenant's clock.
    expect(Number(res.headers.get("x-ratelimit-reset")) * 1000 - date).toBeLessThanOrEqual(2000);
  });

  it("garble: the first `times` successful answers to the call are garbled, then it answers as before", async () => {
    tenant.setFaults({ garble: { call: "GET /api/v2/roles", answer: "html", times: 1 } });
    const garbled = await api("/roles?per_page=100");
    expect(garbled.status).toBe(200);
    expect(garbled.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await garbled.text()).toMatch(/^<!DOCTYPE html>/);
    expect(await (await api("/roles?per_page=100")).json()).toEqual(expect.any(Array));

    tenant.setFaults({ garble: { call: "GET /api/v2/roles", answer: "truncated" } });
    await expect((await api("/roles?per_page=100&include_totals=true")).json()).rejects.toThrow();
  });

  it("stuckPaging: a listing answers its first page again and says more follows, for that many requests", async () => {
    tenant.setFaults({ stuckPaging: { requests: 2 } });
    const reader = tenant.issueManagementToken(["read:connections", "read:roles"]);
    const list = async (path: string) =>
      (await (await trusted.fetch(`${tenant.url}/api/v2${path}`, { headers: { authorization: `Bearer ${reader}` } })).json()) as Record<string, unknown>;
    const first = await list("/connections?take=1");
    expect(first).toMatchObject({ connections: [expect.objectContaining({ id: expect.any(String) })], next: expect.any(String) });
    expect(await list(`/connections?take=1&from=${String(first.next)}`)).toEqual(first);
    // Over: the same request is answered as it asks.
    expect(await list(`/connections?take=1&from=${String(first.next)}`)).not.toEqual(first);
  });
});
