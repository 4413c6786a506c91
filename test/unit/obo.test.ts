import nock from "nock";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { applyPlan } from "../../src/plan/apply.js";
import { makePlan } from "../../src/plan/plan.js";
import { planTeardown } from "../../src/plan/teardown-plan.js";
import { parseDownstreamApi } from "../../src/input/downstream.js";
import { assertPermissionsAreScopes, assertRolesApisKnown } from "../../src/input/roles-file.js";
import { planResourceServer, type ResourceServer } from "../../src/resources/resource-server.js";
import { createdApiMark, planCustomApiClient, type CustomApiClient } from "../../src/resources/custom-api-client.js";
import { planDownstreamGrant } from "../../src/resources/downstream-grant.js";
import { planRole } from "../../src/resources/roles.js";
import type { TenantState } from "../../src/resources/tenant-state.js";
import type { TenantSettings } from "../../src/resources/tenant-settings.js";
import { TENANT_URL, testTenant, useNock } from "../support/nock.js";

useNock();

const API = "https://mcp.example.com/mcp";
const DOWNSTREAM = "https://calendar.example.com/api";

describe("--downstream-api", () => {
  it("splits the identifier from scopes written as --scopes writes them", () => {
    expect(parseDownstreamApi(`${DOWNSTREAM}=read:private=Read private data,read:busy`)).toEqual({
      identifier: DOWNSTREAM,
      scopes: [
        { value: "read:private", description: "Read private data" },
        { value: "read:busy", description: undefined },
      ],
    });
    expect(parseDownstreamApi("urn:acme:calendar")).toEqual({ identifier: "urn:acme:calendar" });
    expect(() => parseDownstreamApi("calendar=read:private")).toThrow(InputError);
  });
});

describe("a downstream API", () => {
  const theirs = {
    id: "rs_1",
    identifier: DOWNSTREAM,
    name: "Calendar",
    signing_alg: "HS256",
    token_dialect: "access_token",
    enforce_policies: false,
    skip_consent_for_verifiable_first_party_clients: false,
    scopes: [{ value: "read:busy", description: "Busy times" }],
  } as ResourceServer;

  it("that exists gains only the scopes asked for and skip-consent: never another setting, nor its name", () => {
    const { change, warning } = planResourceServer(theirs, { identifier: DOWNSTREAM, name: "Other name", scopes: [{ value: "read:private" }], downstream: true });
    expect(change.body).toStrictEqual({
      skip_consent_for_verifiable_first_party_clients: true,
      scopes: [
        { value: "read:private", description: "read:private" },
        { value: "read:busy", description: "Busy times" },
      ],
    });
    expect(change.label).toBe(`Downstream API ${DOWNSTREAM}`);
    // RBAC off is the user's to change: said, not done.
    expect(warning).toMatch(/RBAC off/);
  });

  it("that does not exist and has no scopes given is an input error, not an API nobody can ask anything of", () => {
    expect(() => planResourceServer(undefined, { identifier: DOWNSTREAM, scopes: [], downstream: true })).toThrow(/does not exist, and no scopes are given/);
  });
});

describe("the Custom API client", () => {
  const existing: CustomApiClient = {
    client_id: "cli_1",
    name: "Mine",
    app_type: "resource_server",
    resource_server_identifier: API,
    is_first_party: true,
    token_exchange: { allow_any_profile_of_type: ["custom_authentication"] },
    client_metadata: { team: "calendar" },
  };

  it("that exists keeps its other exchange types and metadata; the API this run creates is recorded for teardown", () => {
    const change = planCustomApiClient(existing, { apiIdentifier: API, name: "x", createdApis: [DOWNSTREAM], apiCreated: false });
    expect(change.body).toStrictEqual({
      token_exchange: { allow_any_profile_of_type: ["custom_authentication", "on_behalf_of_token_exchange"] },
      client_metadata: { team: "calendar", [createdApiMark(DOWNSTREAM)]: DOWNSTREAM },
    });
  });

  it("that is third-party is never changed", () => {
    expect(() => planCustomApiClient({ ...existing, is_first_party: false }, { apiIdentifier: API, name: "x", createdApis: [], apiCreated: false })).toThrow(InputError);
  });

  it("created in one wave hands its id to the grant of the next, which waits for it", async () => {
    const tenant = await testTenant();
    const client = planCustomApiClient(undefined, { apiIdentifier: API, name: "MCP (Custom API client)", createdApis: [], apiCreated: false });
    const grant = planDownstreamGrant(undefined, { apiIdentifier: API, audience: DOWNSTREAM, scopes: ["read:private"], wave: 2 });
    const order: string[] = [];
    const scope = nock(TENANT_URL)
      .post("/api/v2/clients", (body: Record<string, unknown>) => body.app_type === "resource_server" && body.resource_server_identifier === API)
      .reply(201, () => (order.push("client"), { client_id: "cli_new", client_secret: "s3cret" }))
      .post("/api/v2/client-grants", { audience: DOWNSTREAM, subject_type: "user", scope: ["read:private"], client_id: "cli_new" })
      .reply(201, () => (order.push("grant"), { id: "cgr_1" }));
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [grant, client], warnings: [] }), { step: (_label, work) => work() });
    scope.done();
    expect(order).toEqual(["client", "grant"]);
    // The secret of the create answer is kept for the .env, and out of the answer the report holds.
    const written = report.applied.find((a) => a.change.kind === "custom-api-client")!.written;
    expect(written.secret).toBe("s3cret");
    expect(JSON.stringify(written.object)).not.toContain("s3cret");
  });
});

describe("roles of downstream APIs", () => {
  const roles = [{ name: "Reader", permissions: [], users: [], apiPermissions: { [DOWNSTREAM]: ["read:private"] } }];

  it("--prune removes only the extra permissions of the APIs the role names, and never another API's", () => {
    const current = { id: "rol_1", name: "Reader", permissions: ["tool:whoami"], apiPermissions: { [DOWNSTREAM]: ["read:private", "write:private"] }, userIds: new Set<string>() };
    const change = planRole(current, { name: "Reader", permissions: ["tool:whoami"], users: [], apiPermissions: { [DOWNSTREAM]: ["read:private"] } }, API, new Map(), true);
    expect(change.apiPermissions).toEqual([{ apiIdentifier: DOWNSTREAM, addPermissions: [], removePermissions: ["write:private"], permissionsAfter: ["read:private"] }]);
    expect(change.removePermissions).toEqual([]);
  });

  it("may name only the run's downstream APIs, and only their scopes", () => {
    expect(() => assertRolesApisKnown(roles, [], "roles.yaml")).toThrow(/not a downstream API of this run/);
    expect(() => assertRolesApisKnown(roles, [DOWNSTREAM], "roles.yaml")).not.toThrow();
    expect(() => assertPermissionsAreScopes(roles, ["read:busy"], DOWNSTREAM, "roles.yaml", true)).toThrow(/read:private \(role Reader\)/);
  });
});

describe("teardown of the exchange", () => {
  const state = (mark: boolean, firstParty = true): TenantState => ({
    settings: {} as TenantSettings,
    resourceServer: undefined,
    defaultGrant: undefined,
    connections: [],
    roles: undefined,
    customApiClient: {
      client_id: "cli_1",
      name: "MCP (Custom API client)",
      ...(firstParty ? {} : { is_first_party: false }),
      client_metadata: { "mcp-auth0": "created", ...(mark ? { [createdApiMark(DOWNSTREAM)]: DOWNSTREAM } : {}) },
    },
    downstreamApis: { [DOWNSTREAM]: { id: "rs_2", identifier: DOWNSTREAM } as ResourceServer },
    downstreamGrants: { [DOWNSTREAM]: [{ id: "cgr_1", client_id: "cli_1", audience: DOWNSTREAM, subject_type: "user" }] },
  });
  const labels = (mark: boolean, firstParty = true) =>
    planTeardown("tenant.test", state(mark, firstParty), { identifier: API, connections: [], roles: [], downstreamApis: [{ identifier: DOWNSTREAM }] }, {}).changes.map(
      (c) => c.label,
    );

  it("deletes the downstream API only when the client's metadata records that mcp-auth0 created it", () => {
    expect(labels(true)).toEqual([`Grant: Custom API client → ${DOWNSTREAM}`, "Custom API client MCP (Custom API client)", `Downstream API ${DOWNSTREAM}`]);
    expect(labels(false)).toEqual([`Grant: Custom API client → ${DOWNSTREAM}`, "Custom API client MCP (Custom API client)"]);
  });

  it("never deletes a third-party client linked to the API (SPEC §2), whatever its metadata says, nor its grant or what it claims was created", () => {
    expect(labels(true, false)).toEqual([]);
  });
});
