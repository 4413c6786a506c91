import { afterEach, describe, expect, it } from "vitest";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, scriptedPrompter } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, managementCalls, type Fixture } from "../support/tenant.js";

let fx: Fixture;
afterEach(async () => fx?.tenant.close());

const run = (args: string[], env = fx.env) => cli(args, { env, ca: fx.tenant.caCertPem, cwd: fx.dir });

function permissionsOf(roleName: string) {
  const role = fx.tenant.store.roles.find((r) => r.name === roleName)!;
  return (fx.tenant.store.rolePermissions[role.id] ?? []).map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort();
}

describe("init against a fresh tenant", () => {
  it("provisions every row of SPEC §2 and writes the .env", async () => {
    fx = await freshFixture();
    const googleOptions = structuredClone(fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!.options);
    const result = await run(exampleArgs(fx.dir));
    expect(result.stderr).not.toContain("✖");
    expect(result.code).toBe(0);

    const { store } = fx.tenant;
    expect(store.settings.flags.enable_dynamic_client_registration).toBe(true);
    expect(store.settings.flags.use_scope_descriptions_for_consent).toBe(true);
    expect(store.settings.resource_parameter_profile).toBe("compatibility");
    expect(store.settings.authorization_response_iss_parameter_supported).toBe(true);
    expect(store.settings.default_audience).toBe(IDENTIFIER);
    expect(store.settings.dynamic_client_registration_security_mode).not.toBe("permissive");

    const apis = store.resourceServers.filter((r) => r.identifier === IDENTIFIER);
    expect(apis).toHaveLength(1);
    expect(apis[0]).toMatchObject({
      name: "Acceptance MCP",
      signing_alg: "RS256",
      token_dialect: "rfc9068_profile_authz",
      enforce_policies: true,
      allow_offline_access: true,
      scopes: [
        { value: "tool:whoami", description: "Read your identity" },
        { value: "tool:greet", description: "Greet someone" },
      ],
    });

    const grants = store.clientGrants.filter((g) => g.audience === IDENTIFIER);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ default_for: "third_party_clients", subject_type: "user" });
    expect([...grants[0]!.scope].sort()).toEqual(["tool:greet", "tool:whoami"]);

    for (const name of ["Username-Password-Authentication", "google-oauth2"]) {
      expect(store.connections.find((c) => c.name === name)!.is_domain_connection).toBe(true);
    }
    expect(store.connections.find((c) => c.name === "google-oauth2")!.options).toEqual(googleOptions);

    expect(permissionsOf("Tool Administrator")).toEqual([`${IDENTIFIER} tool:greet`, `${IDENTIFIER} tool:whoami`]);
    expect(permissionsOf("Tool User")).toEqual([`${IDENTIFIER} tool:whoami`]);
    const admin = store.users.find((u) => u.email === "admin@example.com")!;
    const adminRole = store.roles.find((r) => r.name === "Tool Administrator")!;
    const userRole = store.roles.find((r) => r.name === "Tool User")!;
    expect(store.roleUsers[adminRole.id]).toEqual([admin.user_id]);
    expect(store.roleUsers[userRole.id] ?? []).toEqual([]);

    const env = await readFile(join(fx.dir, ".env"), "utf8");
    expect(env).toContain(`AUTH0_DOMAIN=${fx.tenant.domain}\n`);
    expect(env).toContain(`AUTH0_AUDIENCE=${IDENTIFIER}\n`);
    expect(env).toContain(`MCP_SERVER_URL=${IDENTIFIER}\n`);
    expect((await stat(join(fx.dir, ".env"))).mode & 0o777).toBe(0o600);
    expect(result.stderr).toMatch(/Ready for MCP clients/);
  });

  it("a second run changes nothing, in at most 14 Management API calls, and says so", async () => {
    fx = await freshFixture();
    expect((await run(exampleArgs(fx.dir))).code).toBe(0);
    fx.tenant.resetCalls();
    const envBefore = await stat(join(fx.dir, ".env"));

    const again = await run(exampleArgs(fx.dir));
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(managementCalls(fx.tenant).length).toBeLessThanOrEqual(14);
    expect(again.stderr).toContain("already up to date");
    expect((await stat(join(fx.dir, ".env"))).mtimeMs).toBe(envBefore.mtimeMs);
  });

  it("--dry-run names every change, writes nothing, and --json prints exactly one JSON document", async () => {
    fx = await freshFixture();
    const result = await run([...exampleArgs(fx.dir), "--dry-run", "--json"]);
    expect(result.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    await expect(stat(join(fx.dir, ".env"))).rejects.toThrow();

    const doc = JSON.parse(result.stdout);
    const labels = doc.plan.changes.filter((c: { action: string }) => c.action !== "unchanged").map((c: { label: string }) => c.label);
    expect(labels).toEqual([
      "Tenant settings",
      `API ${IDENTIFIER}`,
      "Default grant for DCR (third-party) clients",
      "Connection Username-Password-Authentication",
      "Connection google-oauth2",
      "Role Tool Administrator",
      "Role Tool User",
      "Default audience",
    ]);
    expect(doc.result).toMatchObject({ dryRun: true, writes: 0, envWritten: false });
    for (const text of ["Tenant settings", "resource_parameter_profile", "Role Tool Administrator", "tool:greet", "google-oauth2", ".env"]) {
      expect(result.stderr).toContain(text);
    }
  });
});

describe("init keeps what is not its own", () => {
  it("leaves another API's default audience, explains why and how to replace it", async () => {
    fx = await freshFixture();
    fx.tenant.store.addResourceServer({ identifier: "https://billing.example.com", name: "Billing" });
    fx.tenant.store.settings.default_audience = "https://billing.example.com";
    const result = await run(exampleArgs(fx.dir));
    expect(result.code).toBe(0);
    expect(fx.tenant.store.settings.default_audience).toBe("https://billing.example.com");
    expect(result.stderr).toMatch(/default audience is https:\/\/billing\.example\.com.*every application/s);
    expect(result.stderr).toContain("--default-audience");

    const replaced = await run([...exampleArgs(fx.dir), "--default-audience"]);
    expect(replaced.code).toBe(0);
    expect(fx.tenant.store.settings.default_audience).toBe(IDENTIFIER);
  });

  it("--no-default-audience never touches it", async () => {
    fx = await freshFixture();
    expect((await run([...exampleArgs(fx.dir), "--no-default-audience"])).code).toBe(0);
    expect(fx.tenant.store.settings.default_audience ?? "").toBe("");
  });

  it("merges an existing .env, keeping every line it does not manage", async () => {
    fx = await freshFixture();
    const before = "# my server\nPORT=3000\n\nAUTH0_AUDIENCE=https://old.example.com\nSECRET_SAUCE='x y'\n";
    await writeFile(join(fx.dir, ".env"), before, { mode: 0o644 });
    expect((await run(exampleArgs(fx.dir))).code).toBe(0);
    const after = await readFile(join(fx.dir, ".env"), "utf8");
    expect(after.startsWith(`# my server\nPORT=3000\n\nAUTH0_AUDIENCE=${IDENTIFIER}\nSECRET_SAUCE='x y'\n`)).toBe(true);
    expect(after).toContain(`AUTH0_DOMAIN=${fx.tenant.domain}`);
    expect((await stat(join(fx.dir, ".env"))).mode & 0o777).toBe(0o644);
  });
});

describe("init with missing scopes", () => {
  it("names every missing scope and writes nothing", async () => {
    fx = await freshFixture();
    const app = fx.tenant.createM2MApplication([
      "read:tenant_settings",
      "read:resource_servers",
      "read:client_grants",
      "read:connections",
      "read:roles",
      "read:users",
      "update:tenant_settings",
    ]);
    const result = await run(exampleArgs(fx.dir), { ...fx.env, AUTH0_CLIENT_ID: app.clientId, AUTH0_CLIENT_SECRET: app.clientSecret });
    expect(result.code).toBe(3);
    for (const scope of ["create:resource_servers", "create:client_grants", "update:connections", "create:roles", "update:roles"]) expect(result.stderr).toContain(scope);
    expect(result.stderr).toContain("Machine to Machine Applications");
    expect(fx.tenant.writes()).toEqual([]);
    await expect(stat(join(fx.dir, ".env"))).rejects.toThrow();
  });

  it("with a token lacking read scopes, names reads and writes at once", async () => {
    fx = await freshFixture();
    const token = fx.tenant.issueManagementToken(["read:tenant_settings"]);
    const result = await run(exampleArgs(fx.dir), { AUTH0_DOMAIN: fx.tenant.domain, AUTH0_ACCESS_TOKEN: token });
    expect(result.code).toBe(3);
    for (const scope of ["read:resource_servers", "read:client_grants", "read:connections", "read:roles", "read:users", "update:tenant_settings", "create:roles"]) {
      expect(result.stderr).toContain(scope);
    }
    expect(fx.tenant.writes()).toEqual([]);
  });
});

describe("init, interactively", () => {
  it("asks only for what flags and env did not give, shows the plan, confirms and applies", async () => {
    fx = await freshFixture();
    const prompter = scriptedPrompter([
      [/MCP server's URL/, IDENTIFIER],
      [/API identifier/, ""],
      [/API name/, "Interactive MCP"],
      [/Scopes/, "tool:whoami=Read your identity,tool:greet"],
      [/MCP clients your users connect with/, []],
      [/Connections/, ["google-oauth2"]],
      [/^Roles/, "file"],
      [/Roles file/, join(fx.dir, "roles.yaml")],
      [/\.env/, ".env"],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, true],
      [/Save these answers as mcp-auth0\.config\.yaml/, true],
    ]);
    const result = await cli(["init"], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir, prompter });
    expect(result.stderr).not.toMatch(/Unexpected prompt/);
    expect(result.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
    expect(fx.tenant.store.resourceServers.find((r) => r.identifier === IDENTIFIER)?.name).toBe("Interactive MCP");
    expect(fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!.is_domain_connection).toBe(true);
    expect(fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.is_domain_connection).toBe(false);
    expect(await readFile(join(fx.dir, ".env"), "utf8")).toContain(`AUTH0_AUDIENCE=${IDENTIFIER}`);

    // The saved answers are a config file that reproduces the run: a plain re-run from it writes nothing.
    fx.tenant.resetCalls();
    const again = await cli(["init", "--yes"], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(again.stderr).toContain("mcp-auth0.config.yaml");
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("declining the confirmation changes nothing", async () => {
    fx = await freshFixture();
    const prompter = scriptedPrompter([
      [/MCP server's URL/, ""],
      [/API name/, "MCP Server"],
      [/MCP clients your users connect with/, []],
      [/Connections/, []],
      [/^Roles/, "none"],
      [/\.env preset/, "auth0"],
      [/Apply these changes/, false],
    ]);
    const result = await cli(["init", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami", "--env-path", ".env"], {
      env: fx.env,
      ca: fx.tenant.caCertPem,
      cwd: fx.dir,
      prompter,
    });
    expect(result.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
  });
});

describe("secrets", () => {
  it("never prints the client secret or a bearer token, even with --verbose", async () => {
    fx = await freshFixture();
    const result = await run([...exampleArgs(fx.dir), "--verbose", "--json"]);
    expect(result.code).toBe(0);
    const token = fx.tenant.issueManagementToken(["read:roles"]);
    const everything = result.stdout + result.stderr + (await readFile(join(fx.dir, ".env"), "utf8"));
    expect(everything).not.toContain(fx.tenant.m2m.clientSecret);
    expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(everything).not.toContain(token.split(".")[0]! + "." + token.split(".")[1]);
    expect(result.stderr).toMatch(/PATCH \/api\/v2\/tenants\/settings → 200/);
  });
});
