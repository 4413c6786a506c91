import { afterEach, describe, expect, it } from "vitest";
import { copyFile, cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Capture, cli } from "../support/cli.js";
import { endState, exampleArgs, freshFixture, IDENTIFIER, PROXY_APP_NAME, PROXY_CALLBACK, proxyExampleArgs, ROLES_YAML, type Fixture } from "../support/tenant.js";
import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { connectTenant, type Tenant } from "../../src/tenant/connect.js";
import { readTenantState } from "../../src/resources/tenant-state.js";
import { planInit, type InitDesired } from "../../src/plan/init-plan.js";
import { planTeardown } from "../../src/plan/teardown-plan.js";
import { makePlan, type Change, type Plan } from "../../src/plan/plan.js";
import { executePlan } from "../../src/plan/execute.js";
import { loadConfig } from "../../src/config/load.js";
import { desiredFromConfig } from "../../src/config/desired.js";
import { loadRolesFile } from "../../src/input/roles-file.js";
import { planM2MApplication, planManagementGrant } from "../../src/resources/m2m-application.js";
import { createLogger } from "../../src/ui/logger.js";
import { nonInteractivePrompter } from "../../src/ui/prompts.js";

/*
 * Issue 14: the plan is a plain value and the --json document's `plan` is exactly it — not a
 * document derived from it. What a planner computes is what --json prints, key for key; a JSON
 * copy of it is the same value; and applying that copy does what applying the plan does.
 */

const EXAMPLE_CONFIG = resolve(import.meta.dirname, "../../examples/mcp-auth0.config.yaml");

const started: TestLocalTenant[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function fixture(): Promise<Fixture> {
  const fx = await freshFixture();
  started.push(fx.tenant);
  return fx;
}

/** The tenant as the commands see it, in this process. */
const connect = (tenant: TestLocalTenant): Promise<Tenant> =>
  connectTenant({ domain: tenant.domain, clientId: tenant.m2m.clientId, clientSecret: tenant.m2m.clientSecret }, { ca: tenant.caCertPem });

/** What `exampleArgs` (the README's example as flags) asks init for. */
async function exampleDesired(dir: string): Promise<InitDesired> {
  return {
    identifier: IDENTIFIER,
    apiName: "Acceptance MCP",
    scopes: [
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:greet", description: "Greet someone" },
    ],
    connections: ["Username-Password-Authentication", "google-oauth2"],
    roles: await loadRolesFile(join(dir, "roles.yaml")),
    rolesFile: join(dir, "roles.yaml"),
    defaultAudience: "auto",
    cimd: false,
    cimdClients: [],
    mode: "dcr",
  };
}

async function planFor(tenant: Tenant, desired: InitDesired): Promise<Plan> {
  const state = await readTenantState(tenant, { identifier: desired.identifier, roles: desired.roles.length > 0, desiredRoles: desired.roles, mode: desired.mode });
  return makePlan(await planInit(tenant, state, desired));
}

/** Runs the shared tail of every command with --json, keeping the document it prints as the object it is. */
async function execute(tenant: Tenant, plan: Plan, options: { dryRun?: boolean } = {}) {
  const documents: Array<{ plan: unknown; result: unknown }> = [];
  const logger = {
    ...createLogger({ stdout: new Capture(), stderr: new Capture(), color: false, verbose: false, spinners: false }),
    json: (d: unknown) => void documents.push(d as never),
  };
  const code = await executePlan({ logger, prompter: nonInteractivePrompter, options: { json: true, yes: true, ...options }, control: { phase: "before" } }, tenant, plan);
  expect(code).toBe(0);
  expect(documents).toHaveLength(1);
  return documents[0]!;
}

describe("--json prints the plan value as it is", () => {
  it("plan --json: the document's plan is what the planners compute for the config file, key for key", async () => {
    const fx = await fixture();
    await copyFile(EXAMPLE_CONFIG, join(fx.dir, "mcp-auth0.config.yaml"));
    const env = { ...fx.env, MCP_SERVER_URL: IDENTIFIER };
    const result = await cli(["plan", "--json"], { env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(result.code).toBe(0);

    const file = join(fx.dir, "mcp-auth0.config.yaml");
    const desired = desiredFromConfig(await loadConfig(file, env), file);
    const planned = await planFor(await connect(fx.tenant), desired);
    expect(JSON.parse(result.stdout)).toStrictEqual({ plan: planned });
    // Not a summary: each change carries what apply sends (the API's body, the role's users).
    expect(planned.changes.find((c) => c.kind === "resource-server")).toMatchObject({ body: { name: "Acceptance MCP", token_dialect: "rfc9068_profile_authz" } });
  });

  it("init --dry-run --json: the same changes the planners compute for the flags, in the same order, with the .env", async () => {
    const fx = await fixture();
    const result = await cli([...exampleArgs(fx.dir), "--dry-run", "--json"], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { plan: Plan };

    const planned = await planFor(await connect(fx.tenant), await exampleDesired(fx.dir));
    expect(doc.plan.changes).toStrictEqual(planned.changes);
    expect(doc.plan).toMatchObject({ domain: planned.domain, converged: false, env: { path: join(fx.dir, ".env"), action: "create" } });
  });

  it("the document's plan is the very object apply received, and applying leaves it as it was", async () => {
    const fx = await fixture();
    const tenant = await connect(fx.tenant);
    const plan = await planFor(tenant, await exampleDesired(fx.dir));
    const before = structuredClone(plan);
    const doc = await execute(tenant, plan);
    expect(doc.plan).toBe(plan);
    expect(plan).toStrictEqual(before);
    expect(fx.tenant.writes().length).toBeGreaterThan(0);
  });
});

describe("the plan is plain JSON, for every kind of change", () => {
  it("a JSON copy of each plan is the same value: init with roles and CIMD clients, proxy mode, credentials create, teardown", async () => {
    const fx = await fixture();
    const tenant = await connect(fx.tenant);
    const desired = await exampleDesired(fx.dir);
    const plans: Plan[] = [];

    plans.push(await planFor(tenant, { ...desired, cimd: true, cimdClients: ["https://client.example.com/oauth/metadata.json"] }));
    const proxy: InitDesired = {
      ...desired,
      roles: [],
      mode: "proxy",
      application: { name: PROXY_APP_NAME, callbacks: [PROXY_CALLBACK] },
    };
    plans.push(await planFor(tenant, proxy));
    const m2m = planM2MApplication(undefined, "mcp-auth0");
    plans.push(
      makePlan({
        domain: tenant.domain,
        changes: [m2m, planManagementGrant(undefined, `https://${tenant.domain}/api/v2/`, ["read:clients"], m2m)],
        warnings: [],
      }),
    );
    // Set up, then plan the teardown of what was set up (roles, grant, API, default audience, connections, settings).
    expect((await cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir })).code).toBe(0);
    const proxyArgs = proxyExampleArgs(fx.dir, { roles: false, connections: false, envPath: join(fx.dir, "proxy.env") });
    expect((await cli(proxyArgs, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir })).code).toBe(0);
    const state = await readTenantState(tenant, { identifier: IDENTIFIER, roles: true });
    plans.push(planTeardown(tenant.domain, state, desired, { resetTenantSettings: true }));
    // The proxy application exists now: its plan reads it, and still holds none of its secret.
    const existingProxy = await planFor(tenant, proxy);
    plans.push(existingProxy);

    const kinds = new Set(plans.flatMap((p) => p.changes.map((c) => c.kind)));
    expect([...kinds].sort()).toEqual(
      (
        ["application", "cimd-client", "client-grant", "connection", "default-audience", "delete", "resource-server", "role", "tenant-settings"] satisfies Array<Change["kind"]>
      ).sort(),
    );
    for (const plan of plans) expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);

    const application = existingProxy.changes.find((c) => c.kind === "application")!;
    expect(application).toMatchObject({ action: "update", id: expect.any(String), enableConnections: ["Username-Password-Authentication", "google-oauth2"] });
    const secret = fx.tenant.store.clients.find((c) => c.client_id === (application as { id?: string }).id)!.client_secret;
    expect(secret).toBeTruthy();
    for (const plan of plans) expect(JSON.stringify(plan)).not.toContain(secret);
  });
});

describe("applying a JSON copy of the plan", () => {
  /** Two tenants in the same state, ids included: one data directory, copied. */
  async function twins(): Promise<[TestLocalTenant, TestLocalTenant, string]> {
    const base = await mkdtemp(join(tmpdir(), "mcp-auth0-twins-"));
    const first = await startLocalTenant({ dataDir: join(base, "a"), testControls: true });
    await first.close();
    await cp(join(base, "a"), join(base, "b"), { recursive: true });
    const a = await startLocalTenant({ dataDir: join(base, "a"), testControls: true });
    started.push(a);
    const b = await startLocalTenant({ dataDir: join(base, "b"), testControls: true });
    started.push(b);
    await writeFile(join(base, "roles.yaml"), ROLES_YAML);
    return [a, b, base];
  }

  it("does what applying the plan does: the same document, calls and end state", async () => {
    const [a, b, dir] = await twins();
    const [tenantA, tenantB] = await Promise.all([connect(a), connect(b)]);
    const desired = await exampleDesired(dir);
    const plan = await planFor(tenantA, desired);
    expect(plan.converged).toBe(false);
    // The twins are the same tenant but for their port: B's own plan is A's (and B has made the same reads).
    expect({ ...(await planFor(tenantB, desired)), domain: plan.domain }).toStrictEqual(plan);
    const copy = JSON.parse(JSON.stringify(plan)) as Plan;

    const original = await execute(tenantA, plan);
    const fromCopy = await execute(tenantB, copy);
    expect(fromCopy).toStrictEqual(original);
    // Roles created on each twin have their own ids.
    const writes = (t: TestLocalTenant) =>
      t
        .writes()
        .map((w) => `${w.method} ${w.path.replace(/rol_[A-Za-z0-9]+/g, "rol_<id>")}`)
        .sort();
    expect(writes(b)).toEqual(writes(a));
    expect(writes(a).length).toBeGreaterThan(5);
    expect(endState(b)).toEqual(endState(a));
    expect(endState(a).roles.map((r) => r.name)).toEqual(["Tool Administrator", "Tool User"]);
  });
});
