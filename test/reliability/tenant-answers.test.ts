import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, IDENTIFIER, PROXY_APP_NAME, proxyExampleArgs, type Fixture } from "../support/tenant.js";
import type { GarbledAnswer } from "../../src/local-tenant/faults.js";

/**
 * Issue 21, items 5 and 6: answers that are not Auth0's. A truncated or HTML 200, `[]`/`null`
 * where an object is expected, `{}` for a list: each was read as "nothing there" (exit 2 blaming
 * the user, a second application created) or failed deep inside ("all.filter is not a function").
 * Listings that never end were followed forever. One dev tenant serves the whole file.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await freshFixture();
});
afterAll(async () => fx?.tenant.close());
beforeEach(() => {
  fx.tenant.setFaults({});
  fx.tenant.resetCalls();
});
const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const google = () => fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!;
const requestsTo = (path: string) => fx.tenant.calls.filter((c) => c.method === "GET" && c.path.split("?")[0] === path);

describe("a garbled answer is a fault like a 503: retried, never read as an empty list", () => {
  for (const answer of ["[]", "null", "{}", "truncated", "html"] satisfies GarbledAnswer[]) {
    it(`GET /api/v2/connections answered ${answer} once: promote-connection reads again and promotes`, async () => {
      google().is_domain_connection = false;
      fx.tenant.setFaults({ garble: { call: "GET /api/v2/connections", answer, times: 1 } });
      const result = await run(["promote-connection", "--yes", "google-oauth2"]);
      expect(result.stderr).not.toMatch(/Unknown connection|Unexpected/);
      expect(result.code).toBe(0);
      expect(requestsTo("/api/v2/connections")).toHaveLength(2);
      expect(google().is_domain_connection).toBe(true);
    });
  }

  it("`{}` for GET /api/v2/clients in proxy mode: the application is found, not planned anew", async () => {
    const args = proxyExampleArgs(fx.dir, { connections: "Username-Password-Authentication", roles: false });
    expect((await run(args)).code).toBe(0);
    fx.tenant.resetCalls();
    fx.tenant.setFaults({ garble: { call: "GET /api/v2/clients", answer: "{}", times: 1 } });
    const again = await run(args);
    expect(again.code).toBe(0);
    // Read as "no applications", the plan created it again (the lock's re-read then adopted the existing one).
    expect(again.stderr).not.toMatch(/\+ Application|created by another run/);
    expect(fx.tenant.store.clients.filter((c) => c.name === PROXY_APP_NAME)).toHaveLength(1);
    expect(fx.tenant.writes().filter((w) => w.method === "POST" && w.path === "/api/v2/clients")).toEqual([]);
  });
});

describe("a listing that never ends is stopped, with the call named", () => {
  it("a checkpoint that keeps coming back: exit 1 after a few requests", async () => {
    fx.tenant.setFaults({ stuckPaging: { requests: 200 } });
    const result = await run(["promote-connection", "--yes", "google-oauth2"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("GET /api/v2/connections");
    expect(result.stderr).toMatch(/does not (end|advance)/);
    expect(requestsTo("/api/v2/connections").length).toBeLessThanOrEqual(3);
  });

  it("page numbers that keep answering the first page, claiming a million items: exit 1 after a few requests", async () => {
    // A full first page (100 roles), so that the SDK asks for the next one.
    for (let i = fx.tenant.store.roles.length; i < 100; i++) fx.tenant.store.addRole({ name: `Role ${i}` });
    await writeFile(join(fx.dir, "few-roles.yaml"), "roles:\n  - name: Role 1\n    permissions: []\n");
    fx.tenant.setFaults({ stuckPaging: { requests: 200 } });
    const result = await run(["roles", "sync", "--yes", "--file", join(fx.dir, "few-roles.yaml"), "--api-identifier", IDENTIFIER]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("GET /api/v2/roles");
    expect(requestsTo("/api/v2/roles").length).toBeLessThanOrEqual(3);
  });
});
