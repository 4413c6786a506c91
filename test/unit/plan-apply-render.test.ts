import { describe, expect, it } from "vitest";
import { makePlan, type Change, type Plan } from "../../src/plan/plan.js";
import { renderPlan } from "../../src/plan/render.js";
import { formatLine } from "../../src/ui/logger.js";
import { planDefaultGrant } from "../../src/resources/client-grant.js";
import { planConnection } from "../../src/resources/connections.js";
import { API_SETTINGS, planResourceServer } from "../../src/resources/resource-server.js";
import { planRole } from "../../src/resources/roles.js";
import { planDefaultAudience, planTenantSettings, type TenantSettings } from "../../src/resources/tenant-settings.js";

const API = "https://mcp.example.com/mcp";
const SCOPES = [{ value: "tool:whoami", description: "Read your identity" }, { value: "tool:greet" }];
const READY_SETTINGS = {
  flags: { enable_dynamic_client_registration: true, use_scope_descriptions_for_consent: true },
  resource_parameter_profile: "compatibility",
  authorization_response_iss_parameter_supported: true,
  default_audience: API,
} as TenantSettings;

/** The plan of a first `init` on an empty tenant, built by the real planners (listed out of apply order on purpose). */
function firstRunPlan(): Plan {
  const users = new Map([["admin@example.com", ["auth0|1"]]]);
  const changes: Change[] = [
    planDefaultAudience({} as TenantSettings, API, "auto").change!,
    planRole(
      undefined,
      { name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com", "later@example.com"] },
      API,
      users,
      false,
    ),
    planConnection({ id: "con_1", name: "Username-Password-Authentication", strategy: "auth0", is_domain_connection: false }),
    planConnection({ id: "con_2", name: "google-oauth2", strategy: "google-oauth2", is_domain_connection: true }),
    planDefaultGrant(undefined, API, ["tool:whoami", "tool:greet"]).change,
    planResourceServer(undefined, { identifier: API, scopes: SCOPES }).change,
    planTenantSettings({} as TenantSettings, { cimd: false }),
  ];
  return makePlan({
    domain: "acme.us.auth0.com",
    changes,
    env: { path: ".env", template: "auth0", action: "create", set: ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"] },
    warnings: ["a warning"],
  });
}

/** The plan of the second run: the same tenant, now converged. */
function convergedPlan(): Plan {
  const changes: Change[] = [
    planTenantSettings(READY_SETTINGS, { cimd: false }),
    planResourceServer(
      {
        id: "rs_1",
        identifier: API,
        name: "MCP Server",
        ...API_SETTINGS,
        scopes: [
          { value: "tool:whoami", description: "Read your identity" },
          { value: "tool:greet", description: "tool:greet" },
        ],
      },
      { identifier: API, scopes: SCOPES },
    ).change,
    planDefaultGrant({ id: "cgr_1", audience: API, scope: ["tool:greet", "tool:whoami"], subject_type: "user" }, API, ["tool:whoami", "tool:greet"]).change,
    planConnection({ id: "con_1", name: "Username-Password-Authentication", strategy: "auth0", is_domain_connection: true }),
    planRole(
      { id: "rol_1", name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:greet", "tool:whoami"], userIds: new Set(["auth0|1"]) },
      { name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com"] },
      API,
      new Map([["admin@example.com", ["auth0|1"]]]),
      false,
    ),
    planDefaultAudience(READY_SETTINGS, API, "auto").change!,
  ];
  return makePlan({ domain: "acme.us.auth0.com", changes, env: { path: ".env", template: "auth0", action: "unchanged", set: [] }, warnings: [] });
}

describe("makePlan", () => {
  it("orders the changes as apply does: tenant settings, then the API, then what refers to it, and the tenant-wide default audience last", () => {
    expect(firstRunPlan().changes.map((c) => c.kind)).toEqual(["tenant-settings", "resource-server", "client-grant", "connection", "connection", "role", "default-audience"]);
  });

  it("keeps the planners' order within a kind, and does not reorder its input", () => {
    const changes = [
      planConnection({ id: "con_2", name: "b", strategy: "auth0", is_domain_connection: false }),
      planTenantSettings({} as TenantSettings, { cimd: false }),
      planConnection({ id: "con_1", name: "a", strategy: "auth0", is_domain_connection: false }),
    ];
    const before = changes.map((c) => c.label);
    expect(makePlan({ domain: "t", changes, warnings: [] }).changes.map((c) => c.label)).toEqual(["Tenant settings", "Connection b", "Connection a"]);
    expect(changes.map((c) => c.label)).toEqual(before);
  });
});

describe("the scopes of each change", () => {
  const byKind = (plan: Plan, kind: Change["kind"]) => plan.changes.find((c) => c.kind === kind)!;
  const scopesOf = (change: Change) => makePlan({ domain: "t", changes: [change], warnings: [] }).changes[0]!.scopes;

  it("names the Management API scope of each write of SPEC §2", () => {
    const plan = firstRunPlan();
    expect(byKind(plan, "tenant-settings").scopes).toEqual(["update:tenant_settings"]);
    expect(byKind(plan, "default-audience").scopes).toEqual(["update:tenant_settings"]);
    expect(byKind(plan, "resource-server").scopes).toEqual(["create:resource_servers"]);
    expect(byKind(plan, "client-grant").scopes).toEqual(["create:client_grants"]);
    expect(byKind(plan, "connection").scopes).toEqual(["update:connections"]);
    expect(byKind(plan, "role").scopes).toEqual(["create:roles", "update:roles"]);
  });

  it("asks for update scopes when the resources exist", () => {
    const api = planResourceServer({ id: "rs_1", identifier: API, scopes: [] }, { identifier: API, scopes: SCOPES }).change;
    expect(scopesOf(api)).toEqual(["update:resource_servers"]);
    const grant = planDefaultGrant({ id: "cgr_1", audience: API, subject_type: "user", scope: [] }, API, ["tool:whoami"]).change;
    expect(scopesOf(grant)).toEqual(["update:client_grants"]);
    const role = planRole({ id: "rol_1", name: "R", permissions: [], userIds: new Set() }, { name: "R", permissions: ["tool:whoami"], users: [] }, API, new Map(), false);
    expect(scopesOf(role)).toEqual(["update:roles"]);
  });

  it("needs none for what is unchanged", () => {
    expect(convergedPlan().changes.every((c) => c.action === "unchanged" && c.scopes.length === 0)).toBe(true);
  });
});

/** The plan as the terminal shows it. */
const planText = (plan: Plan, color = false) =>
  renderPlan(plan)
    .map((line) => formatLine(line, color))
    .join("\n");

describe("renderPlan", () => {
  it("mentions every change, its action and the values it sets", () => {
    const text = planText(firstRunPlan());
    expect(text.split("\n")[0]).toBe("Plan for acme.us.auth0.com");
    for (const expected of [
      "~ Tenant settings",
      "flags.enable_dynamic_client_registration: (none) → true",
      "flags.use_scope_descriptions_for_consent: (none) → true",
      "resource_parameter_profile: (none) → compatibility",
      "authorization_response_iss_parameter_supported: (none) → true",
      `+ API ${API}`,
      "name: MCP Server",
      "token_dialect: rfc9068_profile_authz",
      'scopes: tool:whoami ("Read your identity"), tool:greet',
      "+ Default grant for DCR (third-party) clients",
      "default_for: third_party_clients",
      "~ Connection Username-Password-Authentication (auth0): promote to domain level",
      "= Connection google-oauth2 (google-oauth2): already domain level",
      "+ Role Tool Administrator",
      "description: Can use every tool",
      "add permissions: tool:whoami, tool:greet",
      "assign to: admin@example.com",
      "~ Default audience",
      `default_audience: (none) → ${API}`,
      "+ .env .env (auth0): create AUTH0_DOMAIN, AUTH0_AUDIENCE",
      "7 changes to apply.",
    ]) {
      expect(text).toContain(expected);
    }
    // The identifier is the headline already; an email with no user is a warning, not an assignment.
    expect(text).not.toContain("identifier:");
    expect(text).not.toContain("later@example.com");
    expect(text).not.toContain("already up to date");
  });

  it("lists changes in apply order", () => {
    const text = planText(firstRunPlan());
    const at = (s: string) => text.indexOf(s);
    expect(at("Tenant settings")).toBeLessThan(at("API "));
    expect(at("API ")).toBeLessThan(at("Default grant"));
    expect(at("Default grant")).toBeLessThan(at("Role Tool Administrator"));
    expect(at("Role Tool Administrator")).toBeLessThan(at("Default audience"));
  });

  it("says a converged tenant is already up to date, with every resource marked unchanged", () => {
    const text = planText(convergedPlan());
    expect(text).toContain("The tenant is already up to date: nothing to change.");
    expect(text).toContain("= Tenant settings: up to date");
    expect(text).toContain(`= API ${API}: up to date`);
    expect(text).toContain("= Role Tool Administrator: up to date");
    expect(text).toContain("= .env .env (auth0): up to date");
    expect(text).not.toMatch(/changes? to apply/);
    expect(text).not.toMatch(/^\s+[+~] /m);
  });

  it("shows updates as from → to, and removals under --prune", () => {
    const role = planRole(
      { id: "rol_1", name: "User", description: "Old", permissions: ["tool:whoami", "tool:legacy"], userIds: new Set() },
      { name: "User", description: "New", permissions: ["tool:whoami", "tool:greet"], users: [] },
      API,
      new Map(),
      true,
    );
    const grant = planDefaultGrant({ id: "cgr_1", audience: API, subject_type: "user", scope: ["tool:whoami"] }, API, ["tool:whoami", "tool:greet"]).change;
    const text = planText(makePlan({ domain: "t", changes: [role, grant], warnings: [] }));
    expect(text).toContain("~ Role User");
    expect(text).toContain("description: → New");
    expect(text).toContain("add permissions: tool:greet");
    expect(text).toContain("remove permissions: tool:legacy");
    expect(text).toContain("scope: tool:whoami → tool:whoami, tool:greet");
    expect(text).toContain("2 changes to apply.");
  });

  it("counts a single change in the singular", () => {
    const text = planText(makePlan({ domain: "t", changes: [planConnection({ id: "c", name: "db", strategy: "auth0", is_domain_connection: false })], warnings: [] }));
    expect(text).toContain("1 change to apply.");
  });

  it("has no colour codes without colour, and some with it", () => {
    expect(planText(firstRunPlan())).not.toMatch(/\u001b\[/);
    expect(planText(firstRunPlan(), true)).toMatch(/\u001b\[/);
  });
});

describe("the plan value (the --json document as it is)", () => {
  it("is plain JSON: a parsed copy is the same value, key for key", () => {
    for (const plan of [firstRunPlan(), convergedPlan()]) expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
  });

  it("refuses what JSON cannot carry, instead of losing it from the document", () => {
    const role = planRole(undefined, { name: "R", permissions: [], users: [] }, API, new Map(), false);
    expect(() => makePlan({ domain: "t", changes: [{ ...role, desired: { ...role.desired, users: new Set(["a@example.com"]) as unknown as string[] } }], warnings: [] })).toThrow(
      /plan\.changes\[0\]\.desired\.users is Set/,
    );
  });

  it("holds each change with its action, fields and the scopes it needs, in apply order", () => {
    const plan = firstRunPlan();
    expect(plan.converged).toBe(false);
    expect(plan.domain).toBe("acme.us.auth0.com");
    expect(plan.changes.map((c) => [c.kind, c.action])).toEqual([
      ["tenant-settings", "update"],
      ["resource-server", "create"],
      ["client-grant", "create"],
      ["connection", "update"],
      ["connection", "unchanged"],
      ["role", "create"],
      ["default-audience", "update"],
    ]);
    const role = plan.changes.find((c) => c.kind === "role")!;
    expect(role).toMatchObject({
      addPermissions: ["tool:whoami", "tool:greet"],
      assign: [{ email: "admin@example.com", userId: expect.any(String) }],
      unknownEmails: ["later@example.com"],
      scopes: ["create:roles", "update:roles"],
    });
    expect(plan.changes.find((c) => c.label === "Connection google-oauth2")).toMatchObject({ id: "con_2", domainLevel: true, scopes: [] });
    // A create's fields have no `from` key (not `from: undefined`): what JSON.stringify would print.
    expect(plan.changes.find((c) => c.kind === "resource-server")!.fields.every((f) => !("from" in f))).toBe(true);
    expect(plan.warnings).toEqual(["a warning"]);
    expect(plan.env).toEqual({ path: ".env", template: "auth0", action: "create", set: ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"] });
  });

  it("says converged for the second run, and only when the .env is up to date too", () => {
    expect(convergedPlan().converged).toBe(true);
    const envPending = makePlan({ ...convergedPlan(), env: { path: ".env", template: "auth0", action: "update", set: ["AUTH0_AUDIENCE"] } });
    expect(envPending.converged).toBe(false);
  });
});
