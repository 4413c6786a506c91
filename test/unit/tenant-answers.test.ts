import nock from "nock";
import { describe, expect, it } from "vitest";
import { readConnections } from "../../src/resources/connections.js";
import { planRole, readRoles } from "../../src/resources/roles.js";
import { applyPlan } from "../../src/plan/apply.js";
import { makePlan } from "../../src/plan/plan.js";
import { answerProblem } from "../../src/tenant/answers.js";
import { toCliError } from "../../src/tenant/errors.js";
import { eachItem, MAX_PAGES } from "../../src/tenant/paging.js";
import { TENANT_DOMAIN, TENANT_URL, testTenant, useNock } from "../support/nock.js";

useNock();

/** A clock that moves only when something waits: retries and backoff cost no real time. */
function fakeClock() {
  let t = 1_750_000_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );

describe("answers checked where they enter", () => {
  it("a list answered `{}` every time is one fault naming the call (exit 1), never an empty list", async () => {
    const tenant = await testTenant(fakeClock());
    const scope = nock(TENANT_URL).get("/api/v2/connections").query(true).times(6).reply(200, {});
    const error = toCliError(await rejectionOf(readConnections(tenant)), TENANT_DOMAIN);
    scope.done();
    // Read again like a 503 would be: six attempts.
    expect(tenant.http.calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain("GET /api/v2/connections");
    expect(error.message).toContain("connections: expected array");
    expect(error.hint).toMatch(/Re-run/);
  });

  it("an HTML page with a 200 says so, without printing a byte of it", async () => {
    const tenant = await testTenant(fakeClock());
    const page = "<html><body>\u001b]52;c;ZWNobyBoaQ==\u0007Sign in</body></html>";
    nock(TENANT_URL).get("/api/v2/roles").query(true).times(6).reply(200, page, { "content-type": "text/html" });
    const error = toCliError(await rejectionOf(readRoles(tenant)), TENANT_DOMAIN);
    expect(error.message).toMatch(/GET \/api\/v2\/roles could not be used: the answer is not JSON/);
    expect(error.message).not.toContain("Sign in");
    expect(error.message).not.toContain("\u001b");
  });

  it("a create answered 201 with a garbled body is not sent again: it took effect, so it is read back", async () => {
    const tenant = await testTenant(fakeClock());
    const change = planRole(undefined, { name: "Admin", description: "All", permissions: [], users: [] }, "https://api", new Map(), false);
    const scope = nock(TENANT_URL)
      .post("/api/v2/roles")
      .reply(201, '{"id":"rol_1","na')
      .get("/api/v2/roles")
      .query(true)
      .reply(200, { roles: [{ id: "rol_1", name: "Admin", description: "All" }], start: 0, limit: 100, total: 1 })
      .get("/api/v2/roles/rol_1/permissions")
      .query(true)
      .reply(200, { permissions: [], start: 0, limit: 100, total: 0 });
    const report = await applyPlan(tenant, makePlan({ domain: TENANT_DOMAIN, changes: [change], warnings: [] }), { step: (_label, work) => work() });
    scope.done();
    expect(report.applied[0]!.written.id).toBe("rol_1");
    expect(tenant.http.calls.filter((c) => c.method === "POST")).toHaveLength(1);
  });

  it("checks only what the code relies on: unknown fields and unread fields pass", () => {
    const body = JSON.stringify({ connections: [{ id: "con_1", name: "db", options: { a: 1 }, realms: ["db"], brand_new_field: true }], next: "abc" });
    expect(answerProblem("GET", "/api/v2/connections", body)).toBeUndefined();
    expect(answerProblem("DELETE", "/api/v2/roles/rol_1", "")).toBeUndefined();
    expect(answerProblem("GET", "/api/v2/connections", JSON.stringify({ connections: [{ id: "con_1" }] }))).toMatch(/connections\.0\.name/);
    expect(answerProblem("GET", "/api/v2/users-by-email", "null")).toMatch(/expected array/);
  });
});

/** A role page of `n` roles numbered from `from`. */
const roles = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `rol_${from + i}`, name: `Role ${from + i}` }));

describe("listings are bounded", () => {
  it("by the total they give: full pages past it are not asked for", async () => {
    const tenant = await testTenant(fakeClock());
    let page = 0;
    // Every page full, as if more always followed; the total says 150.
    const scope = nock(TENANT_URL)
      .get("/api/v2/roles")
      .query(true)
      .times(5)
      .reply(() => [200, { roles: roles(100 * page, 100), start: 100 * page++, limit: 100, total: 150 }]);
    const read = await readRoles(tenant);
    expect(page).toBe(2);
    expect(read).toHaveLength(200);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it(`by a page count: a checkpoint that is new every time stops after ${MAX_PAGES} pages, with the call named`, async () => {
    // The SDK's page, as it walks checkpoints; in memory, so that a thousand pages cost nothing.
    let loaded = 1;
    const page = {
      data: [{ id: "con_0" }],
      response: { connections: [{ id: "con_0" }], next: "checkpoint-0" } as { connections: Array<{ id: string }>; next: string },
      rawResponse: { url: `${TENANT_URL}/api/v2/connections?take=100` },
      hasNextPage: () => true,
      getNextPage: async () => {
        page.data = [{ id: `con_${loaded}` }];
        page.response = { connections: page.data, next: `checkpoint-${loaded++}` };
      },
    };
    const seen: string[] = [];
    const walk = (async () => {
      for await (const c of eachItem(Promise.resolve(page))) seen.push(c.id);
    })();
    const error = toCliError(await rejectionOf(walk), TENANT_DOMAIN);
    expect(loaded).toBe(MAX_PAGES);
    expect(seen).toHaveLength(MAX_PAGES);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(`GET /api/v2/connections could not be used: the listing did not end after ${MAX_PAGES} pages`);
  });
});
