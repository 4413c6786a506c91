import { afterEach, describe, expect, it } from "vitest";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { METADATA_SNAPSHOT } from "../../src/clients/metadata-snapshot.js";
import { cli, scriptedPrompter } from "../support/cli.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/*
 * The wizard's questions, in-process with scripted answers (the pseudo-terminal test drives the
 * real terminal): wrong answers are asked again with the reason, never end the run.
 */

let fx: Fixture;
afterEach(async () => fx?.tenant.close());

const wizard = (prompter: ReturnType<typeof scriptedPrompter>, env = fx.env) => cli(["init"], { env, ca: fx.tenant.caCertPem, cwd: fx.dir, prompter });

describe("init, the wizard", () => {
  it("asks for the tenant first; rejected credentials are asked again with Auth0's reason", async () => {
    fx = await freshFixture();
    const prompter = scriptedPrompter([
      [/Auth0 tenant domain/, ""],
      [/Auth0 tenant domain/, fx.tenant.domain],
      [/Client ID/, fx.tenant.m2m.clientId],
      [/client secret/, "wrong"],
      [/Client ID/, fx.tenant.m2m.clientId],
      [/client secret/, fx.tenant.m2m.clientSecret],
      [/MCP server's URL/, "not a url"],
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, " "],
      [/API name/, "Wizard MCP"],
      [/Scopes/, "bad scope"],
      [/Scopes/, ""],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "none"],
      [/Where to write/, ""],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const result = await wizard(prompter, {});
    expect(result.stderr).not.toMatch(/Unexpected/);
    expect(result.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
    expect(result.stderr).toContain("Auth0 rejected the client credentials");
    expect(result.stderr).toMatch(/Connected to localhost \(mcp-auth0 local tenant\)/);
    // Each rejection is about the answer, in words, not about a flag the person never typed.
    expect(prompter.rejected).toHaveLength(4);
    for (const message of prompter.rejected) expect(message).not.toMatch(/--[a-z]/);
    const env = await readFile(join(fx.dir, ".env"), "utf8");
    expect(env).toContain(`MCP_SERVER_URL=${IDENTIFIER}\n`);
    expect(fx.tenant.store.resourceServers.find((r) => r.identifier === IDENTIFIER)?.scopes).toEqual([{ value: "tool:whoami", description: "Read your identity" }]);
  });

  it("no connection ticked while none is domain level is asked again in the list, in words; unticking a domain-level one demotes nothing and says so", async () => {
    fx = await freshFixture();
    const google = fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!;
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, "Wizard MCP"],
      [/Scopes/, ""],
      [/MCP clients your users connect with/, []],
      [/Connections/, []],
      [/Connections/, ["google-oauth2"]],
      [/^Roles/, "none"],
      [/Where to write/, ""],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const first = await wizard(prompter);
    expect(first.code).toBe(0);
    expect(prompter.rejected).toEqual([expect.stringContaining("Tick at least one")]);
    expect(prompter.rejected[0]).not.toMatch(/--[a-z]/);
    expect(first.stderr).not.toContain("No connection is domain level");
    expect(google.is_domain_connection).toBe(true);

    // A re-run: google-oauth2 is pre-ticked; unticking it is not a demotion.
    const again = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, "Wizard MCP"],
      [/Scopes/, ""],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "none"],
      [/Where to write/, ""],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const second = await wizard(again);
    expect(second.code).toBe(0);
    expect(google.is_domain_connection).toBe(true);
    expect(second.stderr).toContain("google-oauth2 stays domain level: unticking never demotes");
    expect(second.stderr).toContain("To demote: npx mcp-auth0 promote-connection --demote google-oauth2");
  });

  it("saves its answers once: the config refers to roles.yaml (so roles sync then plan --check agree) and keeps 'replace the default audience'; a re-run offers the .env's server URL", async () => {
    fx = await freshFixture();
    await rm(join(fx.dir, "roles.yaml"));
    fx.tenant.store.settings.default_audience = "https://other.example.com/api";
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, "Kept MCP"],
      [/Scopes/, ""],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "quick"],
      [/Emails/, "admin@example.com"],
      [/Keep this role as roles\.yaml/, true],
      [/Where to write/, ""],
      [/\.env preset/, "auth0"],
      [/default audience is https:\/\/other\.example\.com\/api/, true],
      [/Apply these changes/, true],
      [/Save these answers/, true],
    ]);
    expect((await wizard(prompter)).code).toBe(0);
    const config = parse(await readFile(join(fx.dir, "mcp-auth0.config.yaml"), "utf8"));
    expect(config.roles).toBe("roles.yaml");
    expect(config.tenant).toEqual({ defaultAudience: "replace" });

    // The printed advice: edit roles.yaml, then roles sync. The config reads the same file: no drift.
    const rolesFile = join(fx.dir, "roles.yaml");
    await writeFile(rolesFile, (await readFile(rolesFile, "utf8")).replace(/description: .*/, "description: Edited after the wizard"));
    const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect((await run(["roles", "sync", "--file", "roles.yaml", "--api-identifier", IDENTIFIER])).code).toBe(0);
    const check = await run(["plan", "--check"]);
    expect(check.stderr).not.toContain("Edited after the wizard");
    expect(check.code).toBe(0);

    // Without the config, a re-run offers the URL the .env holds: Enter keeps it.
    await rm(join(fx.dir, "mcp-auth0.config.yaml"));
    const again = scriptedPrompter([
      [/MCP server's URL/, ""],
      [/API identifier/, ""],
      [/API name/, "Kept MCP"],
      [/Scopes/, ""],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "none"],
      [/Where to write/, ""],
      [/\.env preset/, "auth0"],
      // Nothing to apply: the same answers as before.
      [/Save these answers/, false],
    ]);
    const rerun = await wizard(again);
    expect(again.rejected).toEqual([]);
    expect(rerun.code).toBe(0);
  });

  it("a tenant whose certificate Node does not trust: the TLS failure comes with what to do, then the domain is asked again", async () => {
    fx = await freshFixture();
    // No CA given: what `npx mcp-auth0 init` meets when pointed at the dev tenant without --local.
    const prompter = scriptedPrompter([
      [/Auth0 tenant domain/, fx.tenant.domain],
      [/Client ID/, fx.tenant.m2m.clientId],
      [/client secret/, fx.tenant.m2m.clientSecret],
    ]);
    const result = await cli(["init"], { env: {}, cwd: fx.dir, prompter });
    expect(result.stderr).toMatch(/✖ TLS failure talking to localhost:\d+: [A-Z_]+\.\n {2}For a local tenant use --local, or start Node with NODE_EXTRA_CA_CERTS=<its CA file>\./);
    // Asked again (the script has no answer left, which ends the test's run).
    expect(prompter.asked.filter((q) => /Auth0 tenant domain/.test(q))).toHaveLength(2);
  });

  it("the quick role: every scope for the emails given, kept as roles.yaml after apply", async () => {
    fx = await freshFixture();
    // No roles.yaml yet: the wizard offers to keep the quick role as one.
    await rm(join(fx.dir, "roles.yaml"));
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, "Quick MCP"],
      [/Scopes/, "tool:whoami=Read your identity,tool:greet=Greet someone"],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "quick"],
      [/Emails/, "admin@example.com, nobody"],
      [/Emails/, "admin@example.com"],
      [/Keep this role as roles\.yaml/, true],
      [/Where to write/, ".env"],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const result = await wizard(prompter);
    expect(result.stderr).not.toMatch(/Unexpected/);
    expect(result.code).toBe(0);
    // The tenant's name the wizard greets with and the plan come from one read of the settings; the
    // only other is the default audience's re-read right before it is set (issue 21), with the first writes.
    const settingsReads = fx.tenant.calls.filter((c) => c.method === "GET" && c.path.startsWith("/api/v2/tenants/settings"));
    expect(settingsReads).toHaveLength(2);
    expect(fx.tenant.calls.indexOf(settingsReads[0]!)).toBeLessThan(fx.tenant.calls.findIndex((c) => c.write));
    expect(prompter.rejected).toEqual(["Not an email address: nobody."]);
    const role = fx.tenant.store.roles.find((r) => r.name === "Quick MCP User")!;
    expect(fx.tenant.store.rolePermissions[role.id]!.map((p) => p.permission_name).sort()).toEqual(["tool:greet", "tool:whoami"]);
    const admin = fx.tenant.store.users.find((u) => u.email === "admin@example.com")!;
    expect(fx.tenant.store.roleUsers[role.id]).toEqual([admin.user_id]);
    // The saved file converges with roles sync: nothing left to do.
    expect(parse(await readFile(join(fx.dir, "roles.yaml"), "utf8")).roles[0]).toMatchObject({
      name: "Quick MCP User",
      permissions: ["tool:whoami", "tool:greet"],
      users: ["admin@example.com"],
    });
    fx.tenant.resetCalls();
    const sync = await cli(["roles", "sync", "--file", "roles.yaml"], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(sync.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("a roles file with roles: [] is accepted; a roles file naming a permission that is no scope is asked again", async () => {
    fx = await freshFixture();
    await writeFile(join(fx.dir, "empty.yaml"), "roles: []\n");
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, ""],
      [/Scopes/, "tool:whoami"],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "file"],
      [/Roles file/, "roles.yaml"],
      [/Roles file/, "empty.yaml"],
      [/Where to write/, ".env"],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, false],
    ]);
    const result = await wizard(prompter);
    expect(result.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
    expect(prompter.rejected).toEqual([expect.stringContaining("tool:greet (role Tool Administrator)")]);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("the MCP clients: ticking a CIMD one offers, ticked, the CIMD clients advertising would leave out; the config file keeps the answer", async () => {
    fx = await freshFixture({ cimdSnapshot: METADATA_SNAPSHOT });
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, ""],
      [/Scopes/, "tool:whoami"],
      [/MCP clients your users connect with/, ["vscode", "cursor"]],
      [/With CIMD on, these clients present their metadata URL too/, ["codex"]],
      [/Connections/, ["Username-Password-Authentication"]],
      [/^Roles/, "none"],
      [/Where to write/, ".env"],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers/, true],
    ]);
    const result = await wizard(prompter);
    expect(result.code, result.stderr).toBe(0);
    expect(prompter.remaining()).toBe(0);
    // CIMD is off on a fresh tenant: nothing ticked at first; then every CIMD client not chosen.
    expect(prompter.ticked.slice(0, 2)).toEqual([
      { message: expect.stringMatching(/^MCP clients/), values: [] },
      { message: expect.stringMatching(/^With CIMD on/), values: ["claude", "claude-code", "chatgpt", "codex"] },
    ]);
    for (const url of ["https://vscode.dev/oauth/client-metadata.json", "https://chatgpt.com/oauth/codex/client.json"]) {
      expect(fx.tenant.store.findCimdClient(url), url).toMatchObject({ client_id: expect.stringMatching(/^tpc_/) });
    }
    expect(parse(await readFile(join(fx.dir, "mcp-auth0.config.yaml"), "utf8"))).toMatchObject({ clients: ["vscode", "cursor", "codex"] });
  });
});
