import { describe, expect, it } from "vitest";
import { findApplication, planApplication, type Application } from "../../src/resources/application.js";
import { describeStep } from "../../src/plan/apply.js";
import { makePlan, type Change } from "../../src/plan/plan.js";
import { renderPlan } from "../../src/plan/render.js";
import { formatLine } from "../../src/ui/logger.js";
import { InputError } from "../../src/errors.js";

const CALLBACK = "http://localhost:3000/oauth/callback";
const UPA = { id: "con_1", name: "Username-Password-Authentication" };
const GOOGLE = { id: "con_2", name: "google-oauth2" };
const desired = { name: "MCP Server (MCP proxy)", callbacks: [CALLBACK], connections: [UPA, GOOGLE] };

/** The Management API scopes the change needs, as the plan holds them. */
const scopesFor = (change: Change) => makePlan({ domain: "t", changes: [change], warnings: [] }).changes[0]!.scopes;

const app = (overrides: Partial<Application> = {}): Application => ({
  client_id: "abc",
  name: desired.name,
  app_type: "regular_web",
  callbacks: [CALLBACK],
  grant_types: ["authorization_code", "refresh_token"],
  oidc_conformant: true,
  ...overrides,
});

describe("planApplication", () => {
  it("creates a Regular Web Application with exactly the proxy settings and enables every chosen connection", () => {
    const change = planApplication(undefined, new Set(), desired);
    expect(change.action).toBe("create");
    expect(change.body).toEqual({
      name: desired.name,
      app_type: "regular_web",
      grant_types: ["authorization_code", "refresh_token"],
      oidc_conformant: true,
      callbacks: [CALLBACK],
    });
    expect(change.enableConnections).toEqual([UPA.name, GOOGLE.name]);
    expect(scopesFor(change)).toEqual(["create:clients", "update:connections"]);
    expect(describeStep(change)).toBe(`Create application ${desired.name}, enable Username-Password-Authentication, google-oauth2`);
  });

  it("leaves a converged application unchanged: no write, no scope", () => {
    const change = planApplication(app(), new Set([UPA.id, GOOGLE.id]), desired);
    expect(change.action).toBe("unchanged");
    expect(change.body).toEqual({});
    expect(change.enableConnections).toEqual([]);
    expect(scopesFor(change)).toEqual([]);
  });

  it("adds only what is missing, keeping the application's own callbacks and grant types", () => {
    const current = app({ callbacks: ["https://prod.example.com/cb"], grant_types: ["authorization_code", "client_credentials"], oidc_conformant: false });
    const change = planApplication(current, new Set([GOOGLE.id]), desired);
    expect(change.action).toBe("update");
    expect(change.body).toEqual({
      callbacks: ["https://prod.example.com/cb", CALLBACK],
      grant_types: ["authorization_code", "client_credentials", "refresh_token"],
      oidc_conformant: true,
    });
    expect(change.enableConnections).toEqual([UPA.name]);
    expect(scopesFor(change)).toEqual(["update:clients", "update:connections"]);
  });

  it("only enabling a connection needs update:connections, not update:clients", () => {
    const change = planApplication(app(), new Set([UPA.id]), desired);
    expect(change.body).toEqual({});
    expect(scopesFor(change)).toEqual(["update:connections"]);
  });

  it("renders the application in the plan, and in --json with its id but no secret", () => {
    const change = planApplication(app({ callbacks: [] }), new Set(), desired);
    const plan = makePlan({ domain: "acme.us.auth0.com", changes: [change], warnings: [] });
    const text = renderPlan(plan)
      .map((line) => formatLine(line, false))
      .join("\n");
    expect(text).toContain(`~ Application ${desired.name}`);
    expect(text).toContain(`callbacks: (none) → ${CALLBACK}`);
    expect(text).toContain("enable connections: Username-Password-Authentication, google-oauth2");
    const json = plan.changes[0]!;
    expect(json).toMatchObject({ kind: "application", id: "abc", name: desired.name, enableConnections: [UPA.name, GOOGLE.name] });
    expect(JSON.stringify(json)).not.toMatch(/secret/i);
  });
});

describe("findApplication", () => {
  it("matches the name exactly", () => {
    expect(findApplication([app({ name: "Other" }), app({ client_id: "x" })], desired.name)?.client_id).toBe("x");
    expect(findApplication([app({ name: desired.name.toLowerCase() })], desired.name)).toBeUndefined();
  });

  it.each([
    ["a DCR client (tpc_) of that name", [app({ client_id: "tpc_123" })], /registered itself by DCR/],
    ["two applications of that name", [app({ client_id: "a" }), app({ client_id: "b" })], /2 applications are named/],
    ["a single-page application of that name", [app({ app_type: "spa" })], /is a spa application/],
  ])("refuses %s with an input error naming --app-name", (_name, all, message) => {
    let caught: unknown;
    try {
      findApplication(all, desired.name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toMatch(message);
    expect((caught as InputError).hint).toContain("--app-name");
  });
});
