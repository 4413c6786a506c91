import { afterEach, describe, expect, it } from "vitest";
import { cli, scriptedPrompter } from "../support/cli.js";
import { freshFixture, type Fixture } from "../support/tenant.js";

let fx: Fixture;
afterEach(async () => fx?.tenant.close());
const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

describe("promote-connection", () => {
  it("promotes exactly the connections named (by name and by id), leaves options alone, then makes zero writes", async () => {
    fx = await freshFixture();
    const github = fx.tenant.store.addConnection({ name: "github", strategy: "github", options: { client_id: "gh", scope: ["read:user"] } });
    const google = fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!;
    const options = structuredClone(github.options);

    const first = await run(["promote-connection", "--yes", "github", google.id]);
    expect(first.code).toBe(0);
    expect(
      fx.tenant
        .writes()
        .map((w) => w.method + " " + w.path)
        .sort(),
    ).toEqual([`PATCH /api/v2/connections/${github.id}`, `PATCH /api/v2/connections/${google.id}`].sort());
    expect(github.is_domain_connection).toBe(true);
    expect(google.is_domain_connection).toBe(true);
    expect(fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.is_domain_connection).toBe(false);
    expect(github.options).toEqual(options);

    fx.tenant.resetCalls();
    const second = await run(["promote-connection", "--yes", "github", google.id]);
    expect(second.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(second.stderr).toContain("already domain level");
  });

  it("an unknown name exits 2, names it and lists the available ones, with zero writes", async () => {
    fx = await freshFixture();
    const result = await run(["promote-connection", "--yes", "google-oauth2", "gitlab"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("gitlab");
    expect(result.stderr).toContain("Username-Password-Authentication");
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("--demote reverses it", async () => {
    fx = await freshFixture();
    const google = fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!;
    google.is_domain_connection = true;
    expect((await run(["promote-connection", "--yes", "--demote", "google-oauth2"])).code).toBe(0);
    expect(google.is_domain_connection).toBe(false);
  });

  it("with no names, ticked connections are promoted; unticking a domain-level one demotes nothing (as in init's list), and says how to", async () => {
    fx = await freshFixture();
    const google = fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!;
    const db = fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!;
    google.is_domain_connection = true;
    const prompter = scriptedPrompter([
      [/Connections to promote/, [db.id]],
      [/Apply these changes/, true],
    ]);
    const result = await cli(["promote-connection"], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir, prompter });
    expect(result.code).toBe(0);
    expect(db.is_domain_connection).toBe(true);
    // Other MCP servers' clients may log users in through it: demoting is --demote, explicitly.
    expect(google.is_domain_connection).toBe(true);
    expect(result.stderr).toContain("google-oauth2 stays domain level: unticking never demotes");
    expect(result.stderr).toContain("To demote: npx mcp-auth0 promote-connection --demote google-oauth2");
  });

  it("handles 120 connections (checkpoint paging)", async () => {
    fx = await freshFixture();
    for (let i = 0; i < 120; i++) fx.tenant.store.addConnection({ name: `conn-${String(i).padStart(3, "0")}`, strategy: "auth0" });
    const result = await run(["promote-connection", "--yes", "conn-119", "conn-000"]);
    expect(result.code).toBe(0);
    expect(
      fx.tenant.store.connections
        .filter((c) => c.is_domain_connection)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["conn-000", "conn-119"]);
    expect(fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/connections?")).length).toBeGreaterThanOrEqual(2);
  });
});
