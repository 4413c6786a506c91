import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { diffFields, makePlan, pendingChanges } from "../../src/plan/plan.js";
import { planDefaultGrant, type ClientGrant } from "../../src/resources/client-grant.js";
import { planConnection, resolveConnections, type Connection } from "../../src/resources/connections.js";
import { API_SETTINGS, planResourceServer, type ResourceServer } from "../../src/resources/resource-server.js";
import { planRole, type RoleState } from "../../src/resources/roles.js";
import { planDefaultAudience, planTenantSettings, type TenantSettings } from "../../src/resources/tenant-settings.js";

const API = "https://mcp.example.com/mcp";

describe("planTenantSettings", () => {
  const ready: TenantSettings = {
    flags: { enable_dynamic_client_registration: true, use_scope_descriptions_for_consent: true, enable_client_connections: false },
    resource_parameter_profile: "compatibility",
    authorization_response_iss_parameter_supported: true,
  } as TenantSettings;

  it("on a fresh tenant, turns on DCR, readable consent, the compatibility profile and RFC 9207 — and nothing else", () => {
    const change = planTenantSettings({} as TenantSettings, { cimd: false });
    expect(change.action).toBe("update");
    expect(change.body).toStrictEqual({
      flags: { enable_dynamic_client_registration: true, use_scope_descriptions_for_consent: true },
      resource_parameter_profile: "compatibility",
      authorization_response_iss_parameter_supported: true,
    });
    // SPEC safety rule: never touch the DCR security mode.
    expect(JSON.stringify(change.body)).not.toContain("dynamic_client_registration_security_mode");
    expect(change.fields.map((f) => f.field).sort()).toEqual([
      "authorization_response_iss_parameter_supported",
      "flags.enable_dynamic_client_registration",
      "flags.use_scope_descriptions_for_consent",
      "resource_parameter_profile",
    ]);
  });

  it("on a ready tenant, changes nothing", () => {
    const change = planTenantSettings(ready, { cimd: false });
    expect(change.action).toBe("unchanged");
    expect(change.body).toEqual({});
    expect(change.fields).toEqual([]);
  });

  it("sends only the flags that differ, never the tenant's other flags", () => {
    const change = planTenantSettings({ ...ready, flags: { enable_dynamic_client_registration: true, enable_client_connections: false } } as TenantSettings, { cimd: false });
    expect(change.body).toStrictEqual({ flags: { use_scope_descriptions_for_consent: true } });
    expect(change.fields).toEqual([{ field: "flags.use_scope_descriptions_for_consent", from: undefined, to: true }]);
  });

  it("sets the resource parameter profile at the top level, not as a flag", () => {
    const change = planTenantSettings({ ...ready, resource_parameter_profile: "audience" } as TenantSettings, { cimd: false });
    expect(change.body).toStrictEqual({ resource_parameter_profile: "compatibility" });
    expect(change.fields).toEqual([{ field: "resource_parameter_profile", from: "audience", to: "compatibility" }]);
  });

  it("turns on Client ID Metadata Documents only with --cimd, and never turns them off", () => {
    expect(planTenantSettings(ready, { cimd: true }).body).toStrictEqual({ client_id_metadata_document_supported: true });
    expect(planTenantSettings({ ...ready, client_id_metadata_document_supported: true } as TenantSettings, { cimd: false }).action).toBe("unchanged");
  });
});

describe("planDefaultAudience", () => {
  const settings = (default_audience?: string) => ({ default_audience }) as TenantSettings;

  it("auto: sets it when the tenant has none (absent or empty)", () => {
    for (const current of [undefined, ""]) {
      const { change, warning } = planDefaultAudience(settings(current), API, "auto");
      expect(warning).toBeUndefined();
      expect(change).toMatchObject({ kind: "default-audience", action: "update", desired: API, current: undefined });
      expect(change!.fields).toEqual([{ field: "default_audience", from: undefined, to: API }]);
    }
  });

  it("is unchanged when it already names this API", () => {
    expect(planDefaultAudience(settings(API), API, "auto").change?.action).toBe("unchanged");
    expect(planDefaultAudience(settings(API), API, "replace").change?.action).toBe("unchanged");
  });

  it("auto: leaves another API's default audience alone, with one warning that names both and the flag", () => {
    const { change, warning } = planDefaultAudience(settings("https://other.example.com/api"), API, "auto");
    expect(change).toBeUndefined();
    expect(warning).toContain("https://other.example.com/api");
    expect(warning).toContain(API);
    expect(warning).toContain("--default-audience");
  });

  it("replace: replaces another API's default audience", () => {
    const { change, warning } = planDefaultAudience(settings("https://other.example.com/api"), API, "replace");
    expect(warning).toBeUndefined();
    expect(change!.action).toBe("update");
    expect(change!.fields).toEqual([{ field: "default_audience", from: "https://other.example.com/api", to: API }]);
  });

  it("never: plans nothing and warns about nothing, whatever the tenant has", () => {
    for (const current of [undefined, API, "https://other.example.com/api"]) expect(planDefaultAudience(settings(current), API, "never")).toEqual({});
  });
});

describe("planResourceServer", () => {
  const existing = (over: Partial<ResourceServer> = {}): ResourceServer => ({
    id: "rs_1",
    identifier: API,
    name: "MCP Server",
    ...API_SETTINGS,
    scopes: [
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:greet", description: "Greet" },
    ],
    ...over,
  });

  it("creates the API with every setting of SPEC §2, the default name, and descriptions defaulting to the value", () => {
    const { change, warning } = planResourceServer(undefined, { identifier: API, scopes: [{ value: "tool:whoami", description: "Read your identity" }, { value: "tool:greet" }] });
    expect(warning).toBeUndefined();
    expect(change.action).toBe("create");
    expect(change.body).toStrictEqual({
      identifier: API,
      name: "MCP Server",
      signing_alg: "RS256",
      token_dialect: "rfc9068_profile_authz",
      enforce_policies: true,
      allow_offline_access: true,
      scopes: [
        { value: "tool:whoami", description: "Read your identity" },
        { value: "tool:greet", description: "tool:greet" },
      ],
    });
    expect(change.apiScopes).toEqual(["tool:whoami", "tool:greet"]);
  });

  it("creates it with the given name", () => {
    expect(planResourceServer(undefined, { identifier: API, name: "Weather", scopes: [] }).change.body.name).toBe("Weather");
  });

  it("is unchanged when the API matches, and a scope without a description keeps the API's", () => {
    const { change, warning } = planResourceServer(existing(), { identifier: API, scopes: [{ value: "tool:whoami" }, { value: "tool:greet" }] });
    expect(change.action).toBe("unchanged");
    expect(change.body).toEqual({});
    expect(change.id).toBe("rs_1");
    expect(warning).toBeUndefined();
  });

  it("updates only what differs, never the identifier, and keeps the name unless one is given", () => {
    const { change } = planResourceServer(existing({ name: "Old name", token_dialect: "access_token", allow_offline_access: false }), {
      identifier: API,
      scopes: [{ value: "tool:whoami" }, { value: "tool:greet" }],
    });
    expect(change.action).toBe("update");
    expect(change.body).toStrictEqual({ token_dialect: "rfc9068_profile_authz", allow_offline_access: true });
    expect(change.fields).toEqual([
      { field: "token_dialect", from: "access_token", to: "rfc9068_profile_authz" },
      { field: "allow_offline_access", from: false, to: true },
    ]);
  });

  it("renames when a name is given", () => {
    const { change } = planResourceServer(existing(), { identifier: API, name: "Weather", scopes: [{ value: "tool:whoami" }, { value: "tool:greet" }] });
    expect(change.body).toStrictEqual({ name: "Weather" });
    expect(change.body).not.toHaveProperty("identifier");
  });

  it("adds a new scope and changes a description, sending the whole scope list", () => {
    const { change } = planResourceServer(existing(), {
      identifier: API,
      scopes: [{ value: "tool:whoami", description: "Who am I" }, { value: "tool:greet" }, { value: "tool:weather", description: "Forecast" }],
    });
    expect(change.action).toBe("update");
    expect(change.body).toStrictEqual({
      scopes: [
        { value: "tool:whoami", description: "Who am I" },
        { value: "tool:greet", description: "Greet" },
        { value: "tool:weather", description: "Forecast" },
      ],
    });
    expect(change.apiScopes).toEqual(["tool:whoami", "tool:greet", "tool:weather"]);
  });

  it("keeps scopes the API has but --scopes does not list, and warns about them", () => {
    const { change, warning } = planResourceServer(existing(), { identifier: API, scopes: [{ value: "tool:whoami" }, { value: "tool:new" }] });
    expect(change.body.scopes).toEqual([
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:new", description: "tool:new" },
      { value: "tool:greet", description: "Greet" },
    ]);
    // The default grant and the roles see the kept scope too.
    expect(change.apiScopes).toEqual(["tool:whoami", "tool:new", "tool:greet"]);
    expect(warning).toContain("keeps scope tool:greet, which --scopes does not list");
  });

  it("is unchanged (with the warning) when the only difference is an extra scope the API keeps", () => {
    const { change, warning } = planResourceServer(existing(), { identifier: API, scopes: [{ value: "tool:whoami" }] });
    expect(change.action).toBe("unchanged");
    expect(warning).toContain("tool:greet");
  });
});

describe("planDefaultGrant", () => {
  const grant = (over: Partial<ClientGrant> = {}) =>
    ({ id: "cgr_1", audience: API, default_for: "third_party_clients", subject_type: "user", scope: ["a", "b"], ...over }) as ClientGrant;

  it("creates the default third-party grant with every scope of the API, for users", () => {
    const { change, warning } = planDefaultGrant(undefined, API, ["a", "b"]);
    expect(warning).toBeUndefined();
    expect(change.action).toBe("create");
    expect(change.body).toStrictEqual({ audience: API, default_for: "third_party_clients", subject_type: "user", scope: ["a", "b"] });
  });

  it("is unchanged when the grant has the same scopes in any order", () => {
    const { change } = planDefaultGrant(grant({ scope: ["b", "a"] }), API, ["a", "b"]);
    expect(change.action).toBe("unchanged");
    expect(change.body).toEqual({});
  });

  it("updates only the scope when the API's scopes changed", () => {
    const { change } = planDefaultGrant(grant(), API, ["a", "b", "c"]);
    expect(change.action).toBe("update");
    expect(change.id).toBe("cgr_1");
    expect(change.body).toStrictEqual({ scope: ["a", "b", "c"] });
    expect(change.fields).toEqual([{ field: "scope", from: ["a", "b"], to: ["a", "b", "c"] }]);
  });

  it("updates when the grant has a scope the API no longer has", () => {
    expect(planDefaultGrant(grant({ scope: ["a", "b", "old"] }), API, ["a", "b"]).change.body).toStrictEqual({ scope: ["a", "b"] });
  });

  it("warns when the grant is for machine-to-machine subjects, since DCR clients log users in", () => {
    const { warning } = planDefaultGrant(grant({ subject_type: "client" } as Partial<ClientGrant>), API, ["a", "b"]);
    expect(warning).toContain('subject_type "client"');
    expect(warning).toContain("cgr_1");
  });
});

describe("planConnection and resolveConnections", () => {
  const db: Connection = { id: "con_db", name: "Username-Password-Authentication", strategy: "auth0", is_domain_connection: false };
  const google: Connection = { id: "con_g", name: "google-oauth2", strategy: "google-oauth2", is_domain_connection: true };

  it("promotes a connection that is not domain level", () => {
    const change = planConnection(db);
    expect(change).toMatchObject({ kind: "connection", action: "update", id: "con_db", domainLevel: true });
    expect(change.fields).toEqual([{ field: "is_domain_connection", from: false, to: true }]);
  });

  it("leaves a domain-level connection alone", () => {
    expect(planConnection(google).action).toBe("unchanged");
    expect(planConnection(google).fields).toEqual([]);
  });

  it("can plan a demotion", () => {
    expect(planConnection(google, false)).toMatchObject({ action: "update", domainLevel: false });
  });

  it("finds connections by id or name, once each", () => {
    expect(resolveConnections([db, google], ["google-oauth2", "con_db", "con_g"])).toEqual([google, db]);
  });

  it("rejects unknown names, listing the available connections", () => {
    let error: unknown;
    try {
      resolveConnections([db, google], ["github", "google-oauth2", "apple"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe("Unknown connections: github, apple.");
    expect((error as InputError).hint).toBe("Available: Username-Password-Authentication (con_db), google-oauth2 (con_g).");
  });
});

describe("planRole", () => {
  const users = new Map([
    ["admin@example.com", ["auth0|admin"]],
    ["twice@example.com", ["auth0|a", "google-oauth2|b"]],
    ["nobody@example.com", []],
  ]);
  const state = (over: Partial<RoleState> = {}): RoleState => ({
    id: "rol_1",
    name: "Admin",
    description: "Can use every tool",
    permissions: ["tool:whoami"],
    userIds: new Set(),
    ...over,
  });

  it("creates a missing role with its permissions and found users; unknown emails are only noted", () => {
    const change = planRole(
      undefined,
      { name: "Admin", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com", "nobody@example.com"] },
      API,
      users,
      false,
    );
    expect(change.action).toBe("create");
    expect(change.id).toBeUndefined();
    expect(change.addPermissions).toEqual(["tool:whoami", "tool:greet"]);
    expect(change.removePermissions).toEqual([]);
    expect(change.assign).toEqual([{ email: "admin@example.com", userId: "auth0|admin" }]);
    expect(change.unknownEmails).toEqual(["nobody@example.com"]);
    expect(change.fields.map((f) => f.field)).toEqual(["name", "description", "permissions (add)", "users (assign)"]);
  });

  it("adds only the missing permissions and, without --prune, removes none", () => {
    const change = planRole(state({ permissions: ["tool:whoami", "tool:legacy"] }), { name: "Admin", permissions: ["tool:whoami", "tool:greet"], users: [] }, API, users, false);
    expect(change.action).toBe("update");
    expect(change.addPermissions).toEqual(["tool:greet"]);
    expect(change.removePermissions).toEqual([]);
  });

  it("with --prune, removes this API's permissions that the file does not list", () => {
    const change = planRole(state({ permissions: ["tool:whoami", "tool:legacy"] }), { name: "Admin", permissions: ["tool:whoami"], users: [] }, API, users, true);
    expect(change.action).toBe("update");
    expect(change.addPermissions).toEqual([]);
    expect(change.removePermissions).toEqual(["tool:legacy"]);
  });

  it("is unchanged when permissions, description and users already match", () => {
    const change = planRole(
      state({ userIds: new Set(["auth0|admin"]) }),
      { name: "Admin", description: "Can use every tool", permissions: ["tool:whoami"], users: ["admin@example.com", "nobody@example.com"] },
      API,
      users,
      true,
    );
    expect(change.action).toBe("unchanged");
    expect(change.fields).toEqual([]);
    // Still reported, so the summary can warn about it.
    expect(change.unknownEmails).toEqual(["nobody@example.com"]);
  });

  it("assigns every account of an email that does not hold the role yet", () => {
    const change = planRole(state({ userIds: new Set(["auth0|a"]) }), { name: "Admin", permissions: ["tool:whoami"], users: ["twice@example.com"] }, API, users, false);
    expect(change.assign).toEqual([{ email: "twice@example.com", userId: "google-oauth2|b" }]);
  });

  it("updates the description only when the file gives a different one", () => {
    expect(planRole(state(), { name: "Admin", description: "New", permissions: ["tool:whoami"], users: [] }, API, users, false).fields).toEqual([
      { field: "description", from: "Can use every tool", to: "New" },
    ]);
    expect(planRole(state(), { name: "Admin", permissions: ["tool:whoami"], users: [] }, API, users, false).action).toBe("unchanged");
  });
});

describe("plan helpers", () => {
  it("diffFields compares only the keys asked for, deeply", () => {
    expect(diffFields({ a: 1, b: [1, 2], c: "x" }, { a: 1, b: [1, 3], d: undefined })).toEqual([{ field: "b", from: [1, 2], to: [1, 3] }]);
  });

  it("a plan is converged only when no change and no .env write is pending", () => {
    const unchanged = planConnection({ id: "c", name: "c", strategy: "auth0", is_domain_connection: true });
    const draft = { domain: "t", changes: [unchanged], warnings: [] };
    expect(makePlan(draft).converged).toBe(true);
    expect(makePlan({ ...draft, env: { path: ".env", template: "auth0", action: "update", set: ["AUTH0_AUDIENCE"] } }).converged).toBe(false);
    const pending = planConnection({ id: "d", name: "d", strategy: "auth0", is_domain_connection: false });
    const plan = makePlan({ ...draft, changes: [unchanged, pending] });
    expect(plan.converged).toBe(false);
    expect(pendingChanges(plan)).toEqual([{ ...pending, scopes: ["update:connections"] }]);
  });
});
