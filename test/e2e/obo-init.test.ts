import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { decodeJwt } from "jose";
import { loginUser } from "../../src/dev/login.js";
import { trustingFetch } from "../../src/tenant/trust.js";
import { scopesNeeded } from "../../src/plan/command-scopes.js";
import { cli, type CliRun } from "../support/cli.js";
import { cliArgs } from "../support/shell.js";
import { exampleArgs, freshFixture, IDENTIFIER, managementCalls, ROUND_TRIP_LATENCY_MS, type Fixture } from "../support/tenant.js";

/*
 * Issue 23, provisioning: `init --downstream-api` on the dev tenant sets up Auth0's On-Behalf-Of
 * token exchange (the Custom API client linked to the MCP server's API, the downstream API, the
 * user-delegated grant, the roles' permissions there), writes the .env that Auth0's OBO sample
 * reads, converges, and doctor says what is missing with a fix that runs as printed. One tenant for
 * the file: each step starts from where the one before left it.
 */

/** A downstream API init creates (the sample's port), and one the user already has. */
const CALENDAR = "http://localhost:8787/";
const BILLING = "https://billing.example.com/api";
const DOWNSTREAM_ARGS = [
  "--downstream-api",
  `${CALENDAR}=read:private=Read private data`,
  "--downstream-api",
  `${BILLING}=read:invoices`,
  "--api-base-url",
  "http://localhost:8787",
];
const ROLES_YAML = `roles:
  - name: Tool Administrator
    description: Can use every tool
    permissions: [tool:whoami, tool:greet]
    users: [admin@example.com]
    apiPermissions:
      ${CALENDAR}: [read:private]
  - name: Tool User
    description: Can ask who they are
    permissions: [tool:whoami]
`;
/** What Auth0's OBO sample reads (auth0-ai-samples fastmcp-mcp-on-behalf-of-tokenexchange-js, src/auth0.ts and src/tools.ts; PORT has a default). */
const SAMPLE_READS = [
  "AUTH0_DOMAIN",
  "AUTH0_AUDIENCE",
  "MCP_SERVER_URL",
  "MCP_AUTH0_CLIENT_ID",
  "MCP_AUTH0_CLIENT_SECRET",
  "MCP_AUTH0_EXCHANGE_SCOPE",
  "API_AUTH0_AUDIENCE",
  "API_BASE_URL",
];

interface Check {
  group: string;
  title: string;
  status: string;
  detail: string;
  fix?: string;
}

let fx: Fixture;
/** The application `credentials create --scopes-for init,roles,obo` makes: exactly the scopes the preflight asks for. */
let exact: NodeJS.ProcessEnv;
const run = (args: string[], env: NodeJS.ProcessEnv = exact): Promise<CliRun> => cli(args, { env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const initArgs = () => [...exampleArgs(fx.dir), ...DOWNSTREAM_ARGS];
const customApiClient = () => fx.tenant.store.clients.find((c) => c.app_type === "resource_server" && c.resource_server_identifier === IDENTIFIER);
const grantsFor = (audience: string) => fx.tenant.store.clientGrants.filter((g) => g.audience === audience && g.client_id);
const dotenv = async () => parseEnv(await readFile(join(fx.dir, ".env"), "utf8")) as Record<string, string>;

async function doctorChecks(): Promise<{ result: CliRun; checks: Check[] }> {
  // The .env (auth0-obo) names the downstream API doctor checks the exchange for.
  const result = await run(["doctor", "--json"], fx.env);
  return { result, checks: (JSON.parse(result.stdout) as { checks: Check[] }).checks };
}

beforeAll(async () => {
  fx = await freshFixture();
  await writeFile(join(fx.dir, "roles.yaml"), ROLES_YAML);
  const app = fx.tenant.createM2MApplication(scopesNeeded({ commands: ["init", "roles", "obo"], mode: "dcr" }));
  exact = { ...fx.env, AUTH0_CLIENT_ID: app.clientId, AUTH0_CLIENT_SECRET: app.clientSecret };
  // The user's own API, as they made it: init may add the scope asked for and skip-consent, nothing else.
  fx.tenant.store.addResourceServer({
    identifier: BILLING,
    name: "Billing",
    signing_alg: "HS256",
    token_dialect: "access_token",
    enforce_policies: false,
    scopes: [
      { value: "read:invoices", description: "Read invoices" },
      { value: "pay:invoices", description: "Pay" },
    ],
  });
});
afterAll(async () => fx?.tenant.close());

describe("init --downstream-api (On-Behalf-Of)", () => {
  it("with the scopes of plain init only, names every Management API scope the exchange needs and writes nothing", async () => {
    const plain = fx.tenant.createM2MApplication(scopesNeeded({ commands: ["init", "roles"], mode: "dcr" }));
    fx.tenant.resetCalls();
    const refused = await run(initArgs(), { ...fx.env, AUTH0_CLIENT_ID: plain.clientId, AUTH0_CLIENT_SECRET: plain.clientSecret });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("lacks needed scopes: create:clients, read:client_keys, read:clients, update:clients.");
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("plans the Custom API client, each downstream API, its grant and the roles' permissions there, then applies them", async () => {
    // Calls sent together overlap under a latency: the tenant's timeline tells the round trips apart.
    fx.tenant.resetCalls();
    fx.tenant.setFaults({ latencyMs: ROUND_TRIP_LATENCY_MS });
    const applied = await run([...initArgs(), "--json"]).finally(() => fx.tenant.setFaults({}));
    expect(applied.code, applied.stderr).toBe(0);
    // The --json document's plan is the very value that was applied.
    const { plan } = JSON.parse(applied.stdout) as { plan: { changes: Array<{ kind: string; label: string; action: string; apiPermissions?: unknown }> } };
    expect(plan.changes.map((c) => `${c.action} ${c.label}`)).toEqual(
      expect.arrayContaining([
        `create Downstream API ${CALENDAR}`,
        `update Downstream API ${BILLING}`,
        `create Custom API client for ${IDENTIFIER}`,
        `create Grant: Custom API client → ${CALENDAR}`,
        `create Grant: Custom API client → ${BILLING}`,
      ]),
    );
    expect(plan.changes.find((c) => c.label === "Role Tool Administrator")?.apiPermissions).toEqual([
      { apiIdentifier: CALENDAR, addPermissions: ["read:private"], removePermissions: [], permissionsAfter: ["read:private"] },
    ]);
    expect(applied.stderr).toContain(`add permissions of ${CALENDAR}: read:private`);
    expect(applied.stderr).toMatch(/On-Behalf-Of token exchange\n {2}✔ Custom API client/);
    // The spec example's 5 round trips and one more: the grants name the client that the round
    // after the MCP server's API creates. Writes: the example's 10, and 5 for the exchange (both
    // downstream APIs, the client, two grants; the role's new permission rides on its POST).
    expect(fx.tenant.roundTrips(managementCalls(fx.tenant))).toBeLessThanOrEqual(6);
    expect(fx.tenant.writes().filter((c) => c.status < 400)).toHaveLength(10 + 5);

    const { store } = fx.tenant;
    const client = customApiClient()!;
    expect(client).toMatchObject({ app_type: "resource_server", is_first_party: true, token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] } });
    expect(store.resourceServerByIdentifier(IDENTIFIER)!["client_id"]).toBe(client.client_id);
    expect(store.resourceServerByIdentifier(CALENDAR)).toMatchObject({
      signing_alg: "RS256",
      token_dialect: "rfc9068_profile_authz",
      enforce_policies: true,
      skip_consent_for_verifiable_first_party_clients: true,
      subject_type_authorization: { user: { policy: "require_client_grant" }, client: { policy: "require_client_grant" } },
      scopes: [{ value: "read:private", description: "Read private data" }],
    });
    // The user's API: only the skip-consent the exchange needs; its name, algorithm, dialect, RBAC and scopes stay.
    expect(store.resourceServerByIdentifier(BILLING)).toMatchObject({
      name: "Billing",
      signing_alg: "HS256",
      token_dialect: "access_token",
      enforce_policies: false,
      skip_consent_for_verifiable_first_party_clients: true,
      subject_type_authorization: { user: { policy: "allow_all" } },
      scopes: [
        { value: "read:invoices", description: "Read invoices" },
        { value: "pay:invoices", description: "Pay" },
      ],
    });
    expect(grantsFor(CALENDAR)).toEqual([expect.objectContaining({ client_id: client.client_id, subject_type: "user", scope: ["read:private"] })]);
    expect(grantsFor(BILLING)).toEqual([expect.objectContaining({ client_id: client.client_id, subject_type: "user", scope: ["read:invoices"] })]);
    const admin = store.roles.find((r) => r.name === "Tool Administrator")!;
    expect((store.rolePermissions[admin.id] ?? []).map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort()).toEqual(
      [`${CALENDAR} read:private`, `${IDENTIFIER} tool:greet`, `${IDENTIFIER} tool:whoami`].sort(),
    );
  });

  it("writes the .env Auth0's OBO sample reads, 0600, with which the MCP server exchanges a user's token for the downstream API", async () => {
    const env = await dotenv();
    expect(Object.keys(env).sort()).toEqual([...SAMPLE_READS].sort());
    expect(env).toEqual({
      AUTH0_DOMAIN: fx.tenant.domain,
      AUTH0_AUDIENCE: IDENTIFIER,
      MCP_SERVER_URL: IDENTIFIER,
      MCP_AUTH0_CLIENT_ID: customApiClient()!.client_id,
      MCP_AUTH0_CLIENT_SECRET: customApiClient()!.client_secret,
      MCP_AUTH0_EXCHANGE_SCOPE: "read:private",
      API_AUTH0_AUDIENCE: CALENDAR,
      API_BASE_URL: "http://localhost:8787",
    });
    expect((await stat(join(fx.dir, ".env"))).mode & 0o777).toBe(0o600);

    // The sample's exchange (getTokenOnBehalfOf), with nothing but the .env's values and a user's token for the MCP server.
    const trusted = trustingFetch(fx.tenant.caCertPem);
    try {
      const user = await loginUser(trusted.fetch, `${fx.tenant.url}/`, "admin@example.com", env.AUTH0_AUDIENCE!, ["tool:whoami"]);
      const answer = await trusted.fetch(`${fx.tenant.url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          client_id: env.MCP_AUTH0_CLIENT_ID!,
          client_secret: env.MCP_AUTH0_CLIENT_SECRET!,
          subject_token: user.accessToken,
          subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
          requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
          audience: env.API_AUTH0_AUDIENCE!,
          scope: env.MCP_AUTH0_EXCHANGE_SCOPE!,
        }),
      });
      const body = (await answer.json()) as { access_token?: string };
      expect(answer.status, JSON.stringify(body)).toBe(200);
      expect(decodeJwt(body.access_token!)).toMatchObject({ aud: CALENDAR, permissions: ["read:private"], act: { sub: env.MCP_AUTH0_CLIENT_ID } });
    } finally {
      await trusted.close();
    }
  });

  it("env --template auth0-obo for an API without a Custom API client writes nothing and names the init that makes one", async () => {
    // What env writes for a linked client is test/proxy/presets.test.ts's; here the user's own API has none.
    const unlinked = await run(["env", "--template", "auth0-obo", "--downstream-api", CALENDAR, "--api-identifier", BILLING, "--env-path", "unlinked.env"]);
    expect(unlinked.code).toBe(2);
    expect(unlinked.stderr).toContain(`No Custom API client is linked to ${BILLING}.`);
    expect(unlinked.stderr).toContain(`npx mcp-auth0 init --api-identifier ${BILLING} --downstream-api ${CALENDAR}=<scopes>`);
    await expect(stat(join(fx.dir, "unlinked.env"))).rejects.toThrow();
  });

  it("a re-run makes no write, in the same three round trips of reads", async () => {
    fx.tenant.resetCalls();
    fx.tenant.setFaults({ latencyMs: ROUND_TRIP_LATENCY_MS });
    const again = await run(initArgs()).finally(() => fx.tenant.setFaults({}));
    expect(again.code, again.stderr).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(again.stderr).toContain("Already up to date");
    // SPEC §6's converged example is 9 calls; the exchange adds three reads of the first round:
    // the Custom API clients, then per downstream API the API and its grants; and the closing
    // verdict, which runs doctor's checks (issue 20), counts the applications in that round too.
    expect(managementCalls(fx.tenant).length).toBe(9 + 1 + 2 * 2 + 1);
    expect(fx.tenant.roundTrips(managementCalls(fx.tenant))).toBe(3);
  });

  it("doctor fails when the grant is missing, with a fix that runs as printed", async () => {
    fx.tenant.store.clientGrants = fx.tenant.store.clientGrants.filter((g) => g.audience !== CALENDAR);
    const broken = await doctorChecks();
    expect(broken.result.code).toBe(6);
    const check = broken.checks.find((c) => c.group === `Downstream API ${CALENDAR}` && c.title === "Grant of the Custom API client")!;
    expect(check).toMatchObject({ status: "fail", detail: expect.stringMatching(/none: Auth0 refuses the exchange/) });
    const fixed = await run(cliArgs(check.fix!));
    expect(fixed.code, `${check.fix}\n${fixed.stderr}`).toBe(0);
    const after = await doctorChecks();
    expect(after.result.code, after.result.stderr).toBe(0);
    expect(grantsFor(CALENDAR)).toEqual([expect.objectContaining({ client_id: customApiClient()!.client_id, scope: ["read:private"] })]);
  });

  it("doctor fails when the linked client is missing, with a fix that runs as printed (and a .env holding the new client)", async () => {
    fx.tenant.store.deleteClient(customApiClient()!);
    const broken = await doctorChecks();
    expect(broken.result.code).toBe(6);
    const check = broken.checks.find((c) => c.title === "Custom API client")!;
    expect(check).toMatchObject({ status: "fail", detail: expect.stringMatching(/none linked to/) });
    const fixed = await run(cliArgs(check.fix!));
    expect(fixed.code, `${check.fix}\n${fixed.stderr}`).toBe(0);
    const after = await doctorChecks();
    expect(after.result.code, after.result.stderr).toBe(0);
    expect((await dotenv()).MCP_AUTH0_CLIENT_ID).toBe(customApiClient()!.client_id);
  });
});

describe("the config file's downstreamApis, and teardown", () => {
  let tf: Fixture;
  afterAll(async () => tf?.tenant.close());

  it("init from the file converges (plan --check: no drift), and teardown removes the grants, the client and the API it created, never the user's own", async () => {
    tf = await freshFixture();
    tf.tenant.store.addResourceServer({ identifier: BILLING, name: "Billing", scopes: [{ value: "read:invoices", description: "Read invoices" }] });
    const config = `api:
  identifier: ${IDENTIFIER}
  name: Acceptance MCP
  scopes: [{ value: tool:whoami, description: Read your identity }]
downstreamApis:
  - identifier: ${CALENDAR}
    name: Calendar
    scopes: [{ value: read:private, description: Read private data }]
  - identifier: ${BILLING}
connections: [Username-Password-Authentication]
${ROLES_YAML.replace("[tool:whoami, tool:greet]", "[tool:whoami]")}env:
  serverUrl: ${IDENTIFIER}
`;
    await writeFile(join(tf.dir, "mcp-auth0.config.yaml"), config);
    const go = (args: string[]) => cli(args, { env: tf.env, ca: tf.tenant.caCertPem, cwd: tf.dir });
    const init = await go(["init", "--yes"]);
    expect(init.code, init.stderr).toBe(0);
    const { store } = tf.tenant;
    expect(store.resourceServerByIdentifier(CALENDAR)?.name).toBe("Calendar");
    // No scopes listed for the existing API: the grant gives every scope it has.
    expect(store.clientGrants.find((g) => g.audience === BILLING && g.client_id)?.scope).toEqual(["read:invoices"]);
    // The file's default preset becomes the OBO sample's: everything but API_BASE_URL, which no flag gave.
    const env = parseEnv(await readFile(join(tf.dir, ".env"), "utf8"));
    expect(Object.keys(env).sort()).toEqual(SAMPLE_READS.filter((k) => k !== "API_BASE_URL").sort());

    const check = await go(["plan", "--check"]);
    expect(check.code, check.stderr).toBe(0);

    const teardown = await go(["teardown", "--yes"]);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(store.clients.filter((c) => c.app_type === "resource_server")).toEqual([]);
    expect(store.clientGrants.filter((g) => g.audience === CALENDAR || g.audience === BILLING)).toEqual([]);
    expect(store.resourceServerByIdentifier(CALENDAR)).toBeUndefined();
    expect(store.resourceServerByIdentifier(BILLING)).toMatchObject({ name: "Billing" });
    expect(store.resourceServerByIdentifier(IDENTIFIER)).toBeUndefined();
  });
});
