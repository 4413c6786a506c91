import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, PROXY_APP_NAME, PROXY_CALLBACK, proxyExampleArgs, type Fixture } from "../support/tenant.js";
import { TENANT_URL, testTenant, useNock } from "../support/nock.js";
import { applyApplication, earliest, planApplication } from "../../src/resources/application.js";

/**
 * Issue 16, defect 3: two concurrent `init --mode proxy` created two applications of the same
 * name, both exited 0 with different client ids in their .env, and every later run exited 2.
 */
// One scope and one connection, no roles: the race is about the application alone.
const proxyArgs = (dir: string, envPath: string) =>
  proxyExampleArgs(dir, { scopes: "tool:whoami=Read your identity", connections: "Username-Password-Authentication", roles: false, envPath });

const clientIdIn = async (path: string) => /^AUTH0_CLIENT_ID=(.*)$/m.exec(await readFile(path, "utf8"))?.[1];

describe("two concurrent init --mode proxy on one machine", () => {
  let fx: Fixture | undefined;
  afterEach(async () => fx?.tenant.close());

  it("converge on one application: both .env files name it, and later runs exit 0", async () => {
    fx = await freshFixture();
    await mkdir(join(fx.dir, "a"));
    await mkdir(join(fx.dir, "b"));
    const envs = [join(fx.dir, "a", ".env"), join(fx.dir, "b", ".env")];
    const run = (envPath: string) => cli(proxyArgs(fx!.dir, envPath), { env: fx!.env, ca: fx!.tenant.caCertPem, cwd: fx!.dir });

    const results = await Promise.all(envs.map(run));
    for (const r of results) expect(r.stderr).not.toContain("✖");
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const apps = fx.tenant.store.clients.filter((c) => c.name === PROXY_APP_NAME);
    expect(apps).toHaveLength(1);
    expect(await clientIdIn(envs[0]!)).toBe(apps[0]!.client_id);
    expect(await clientIdIn(envs[1]!)).toBe(apps[0]!.client_id);
    // The run that did not create it says so.
    expect(results.filter((r) => /another run/i.test(r.stderr))).toHaveLength(1);
    // The application has what both asked for: callbacks and the connection.
    expect(apps[0]!.callbacks).toEqual([PROXY_CALLBACK]);
    expect(fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.enabled_clients).toContain(apps[0]!.client_id);

    for (const envPath of envs) expect((await run(envPath)).code).toBe(0);
    expect(fx.tenant.store.clients.filter((c) => c.name === PROXY_APP_NAME)).toHaveLength(1);
  }, 120_000);
});

describe("a race with a run on another machine (no shared lock)", () => {
  useNock();
  const desired = { name: PROXY_APP_NAME, callbacks: [PROXY_CALLBACK], connections: [{ id: "con_1", name: "Username-Password-Authentication" }] };
  const app = (client_id: string, created_at: string, callbacks = [PROXY_CALLBACK]) => ({
    client_id,
    name: PROXY_APP_NAME,
    app_type: "regular_web",
    callbacks,
    grant_types: ["authorization_code", "refresh_token"],
    oidc_conformant: true,
    created_at,
  });

  it("the run whose application was created second deletes it and adopts the first one", async () => {
    const tenant = await testTenant({ sleep: async () => {} });
    const change = planApplication(undefined, new Set(), desired);
    const theirs = app("b_created_first", "2026-12-01T10:00:00.000Z", ["https://other.example.com/callback"]);
    const ours = app("a_created_second", "2026-12-01T10:00:00.400Z");
    const scope = nock(TENANT_URL)
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [] })
      .post("/api/v2/clients")
      .reply(201, ours)
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [ours, theirs] })
      .delete("/api/v2/clients/a_created_second")
      .reply(204)
      .get("/api/v2/connections/con_1/clients")
      .query(true)
      .reply(200, { clients: [] })
      // The winner keeps its own callback and gains ours; the connection is enabled for it.
      .patch("/api/v2/clients/b_created_first", (body) => JSON.stringify(body.callbacks) === JSON.stringify(["https://other.example.com/callback", PROXY_CALLBACK]))
      .reply(200, { ...theirs, callbacks: ["https://other.example.com/callback", PROXY_CALLBACK] })
      .patch("/api/v2/connections/con_1/clients", [{ client_id: "b_created_first", status: true }])
      .reply(204);
    const written = await applyApplication(tenant, change);
    scope.done();
    expect(written.id).toBe("b_created_first");
    expect(written.note).toMatch(/deleted its own \(a_created_second\)/);
  });

  it("the run whose application was created first keeps it, and deletes nothing", async () => {
    const tenant = await testTenant({ sleep: async () => {} });
    const change = planApplication(undefined, new Set(), desired);
    const ours = app("z_created_first", "2026-12-01T10:00:00.000Z");
    const theirs = app("a_created_second", "2026-12-01T10:00:00.400Z");
    const scope = nock(TENANT_URL)
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [] })
      .post("/api/v2/clients")
      .reply(201, ours)
      .get("/api/v2/clients")
      .query(true)
      .reply(200, { clients: [theirs, ours] })
      .patch("/api/v2/connections/con_1/clients")
      .reply(204);
    const written = await applyApplication(tenant, change);
    scope.done();
    expect(written.id).toBe("z_created_first");
    expect(written.note).toBeUndefined();
  });

  it("earliest: by created_at, then by the lowest client id", () => {
    expect(earliest([app("b", "2026-01-02"), app("c", "2026-01-01")]).client_id).toBe("c");
    expect(
      earliest([
        { ...app("b", ""), created_at: undefined },
        { ...app("a", ""), created_at: undefined },
      ]).client_id,
    ).toBe("a");
  });
});
