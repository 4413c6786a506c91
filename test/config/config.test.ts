import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { cli } from "../support/cli.js";
import { METADATA_SNAPSHOT } from "../../src/clients/metadata-snapshot.js";
import { endState, exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

const root = resolve(import.meta.dirname, "../..");
const EXAMPLE = join(root, "examples", "mcp-auth0.config.yaml");

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.tenant.close();
  fx = undefined;
});

/** The example config in the fixture's directory, found by default; env gives the two variables it references. `extra`: YAML appended to it. */
async function withConfig(extra = "") {
  fx = await freshFixture({ cimdSnapshot: METADATA_SNAPSHOT });
  await writeFile(join(fx!.dir, "mcp-auth0.config.yaml"), (await readFile(EXAMPLE, "utf8")) + extra);
  const env = { ...fx!.env, MCP_SERVER_URL: IDENTIFIER };
  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => cli(args, { env: { ...env, ...extraEnv }, ca: fx!.tenant.caCertPem, cwd: fx!.dir });
  return { run };
}

describe("init with a config file", () => {
  it("produces the same tenant as the flags of the 1/8 example", async () => {
    fx = await freshFixture();
    expect((await cli(exampleArgs(fx!.dir), { env: fx!.env, ca: fx!.tenant.caCertPem, cwd: fx!.dir })).code).toBe(0);
    const byFlags = endState(fx!.tenant);
    await fx?.tenant.close();

    const { run } = await withConfig();
    const result = await run(["init", "--yes"]);
    expect(result.stderr).not.toContain("✖");
    expect(result.code).toBe(0);
    expect(endState(fx!.tenant)).toEqual(byFlags);
    expect(await readFile(join(fx!.dir, ".env"), "utf8")).toContain(`AUTH0_AUDIENCE=${IDENTIFIER}`);
  });

  it("flags override file values", async () => {
    const { run } = await withConfig();
    const result = await run(["init", "--yes", "--api-name", "From the flag", "--connections", "google-oauth2"]);
    expect(result.code).toBe(0);
    expect(fx!.tenant.store.resourceServers.find((r) => r.identifier === IDENTIFIER)!.name).toBe("From the flag");
    expect(fx!.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.is_domain_connection).toBe(false);
    expect(fx!.tenant.store.connections.find((c) => c.name === "google-oauth2")!.is_domain_connection).toBe(true);
  });

  it("a variable the file references but the environment lacks is a clear error, before any request", async () => {
    const { run } = await withConfig();
    const result = await cli(["init", "--yes"], { env: fx!.env, ca: fx!.tenant.caCertPem, cwd: fx!.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("${MCP_SERVER_URL}");
    expect(result.stderr).toContain("mcp-auth0.config.yaml");
    expect(fx!.tenant.calls).toEqual([]);
    void run;
  });

  it("--config names another file", async () => {
    const { run } = await withConfig();
    await copyFile(join(fx!.dir, "mcp-auth0.config.yaml"), join(fx!.dir, "staging.yaml"));
    await writeFile(join(fx!.dir, "mcp-auth0.config.yaml"), "not: [valid");
    expect((await run(["init", "--yes", "--config", "staging.yaml"])).code).toBe(0);
  });
});

describe("plan --check", () => {
  it("exits 0 on a converged tenant and 5 after a scope is changed by hand, naming the difference", async () => {
    const { run } = await withConfig();
    expect((await run(["init", "--yes"])).code).toBe(0);
    fx!.tenant.resetCalls();
    const clean = await run(["plan", "--check"]);
    expect(clean.code).toBe(0);
    expect(fx!.tenant.writes()).toEqual([]);

    fx!.tenant.store.resourceServers.find((r) => r.identifier === IDENTIFIER)!.scopes![1]!.description = "Changed in the Dashboard";
    const drift = await run(["plan", "--check"]);
    expect(drift.code).toBe(5);
    expect(drift.stderr).toContain(`API ${IDENTIFIER}`);
    expect(drift.stderr).toContain("Changed in the Dashboard");
    expect(fx!.tenant.writes()).toEqual([]);
  });
});

describe("teardown", () => {
  it("removes what the file declares, so that plan --check shows everything to create again; tpc_ clients and other roles survive", async () => {
    const { run } = await withConfig();
    const dcrClient = fx!.tenant.store.addClient({ client_id: "tpc_preexisting", name: "Claude", is_first_party: false });
    const other = fx!.tenant.store.addRole({ name: "Unrelated" });
    expect((await run(["init", "--yes"])).code).toBe(0);

    const down = await run(["teardown", "--yes", "--reset-tenant-settings"]);
    expect(down.stderr).not.toContain("✖");
    expect(down.code).toBe(0);
    expect(fx!.tenant.store.clients.some((c) => c.client_id === dcrClient.client_id)).toBe(true);
    expect(fx!.tenant.store.roles.some((r) => r.id === other.id)).toBe(true);
    expect(fx!.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(false);
    expect(fx!.tenant.store.settings.default_audience ?? "").toBe("");

    const plan = await run(["plan", "--check", "--json"]);
    expect(plan.code).toBe(5);
    const changes = JSON.parse(plan.stdout).plan.changes as Array<{ kind: string; action: string; label: string }>;
    const byKind = (kind: string) => changes.filter((c) => c.kind === kind).map((c) => c.action);
    expect(byKind("resource-server")).toEqual(["create"]);
    expect(byKind("client-grant")).toEqual(["create"]);
    expect(byKind("role")).toEqual(["create", "create"]);
    expect(byKind("connection")).toEqual(["update", "update"]);
    expect(byKind("tenant-settings")).toEqual(["update"]);
  });

  it("of one of two MCP APIs keeps the domain-level connections and tenant settings the other needs, says why, and the other's doctor still passes", async () => {
    const { run } = await withConfig();
    expect((await run(["init", "--yes"])).code).toBe(0);
    // A second MCP server's API on the same tenant, set up from another project (no config file there).
    const other = await mkdtemp(join(tmpdir(), "mcp-auth0-other-"));
    const OTHER = "https://other.example.com/mcp";
    const second = ["--api-identifier", OTHER, "--scopes", "tool:other", "--connections", "Username-Password-Authentication"];
    const otherRun = (args: string[]) => cli(args, { env: fx!.env, ca: fx!.tenant.caCertPem, cwd: other });
    expect((await otherRun(["init", "--yes", ...second])).code).toBe(0);

    const down = await run(["teardown", "--yes", "--reset-tenant-settings"]);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain("Connection Username-Password-Authentication (auth0): stays domain level");
    expect(down.stderr).toContain(`kept: ${OTHER} gives third-party (DCR, CIMD) clients a default grant`);
    expect(down.stderr).toContain("Tenant settings: stay as they are");
    expect(fx!.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(false);
    expect(fx!.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.is_domain_connection).toBe(true);

    const doctor = await otherRun(["doctor", "--api-identifier", OTHER]);
    expect(doctor.stderr).toContain("✔ Domain-level connections: ");
    expect(doctor.stderr).toContain("✔ Dynamic Client Registration: on");
    expect(doctor.code).toBe(0);
  });

  it("keeps the CIMD clients init imported for the file's clients unless --remove-clients, which deletes those and no other client", async () => {
    const { run } = await withConfig("clients: [vscode, cursor]\n");
    const dcrClient = fx!.tenant.store.addClient({ client_id: "tpc_preexisting", name: "Claude", is_first_party: false });
    expect((await run(["init", "--yes"])).code).toBe(0);
    // A client imported outside the file (by hand, or another project's file): never the file's to remove.
    expect((await run(["init", "--yes", "--clients", "claude"])).code).toBe(0);
    const vscode = fx!.tenant.store.findCimdClient("https://vscode.dev/oauth/client-metadata.json")!;
    const claude = fx!.tenant.store.findCimdClient("https://claude.ai/oauth/mcp-oauth-client-metadata")!;
    expect((await run(["plan", "--check"])).code).toBe(0);

    const kept = await run(["teardown", "--yes", "--dry-run"]);
    expect(kept.stderr).toContain("⚠ Kept: the CIMD clients init imports for this file (Visual Studio Code (GitHub Copilot)); --remove-clients deletes them.");
    fx!.tenant.resetCalls();
    const down = await run(["teardown", "--yes", "--remove-clients"]);
    expect(down.code, down.stderr).toBe(0);
    expect(fx!.tenant.writes().filter((w) => w.path.startsWith("/api/v2/clients"))).toEqual([
      expect.objectContaining({ method: "DELETE", path: `/api/v2/clients/${vscode.client_id}` }),
    ]);
    expect(fx!.tenant.store.clients.map((c) => c.client_id)).toEqual(expect.arrayContaining([claude.client_id, dcrClient.client_id]));
    expect(fx!.tenant.store.findCimdClient(vscode.external_client_id as string)).toBeUndefined();
  });

  it("a file that names no connection, without --reset-tenant-settings, demotes and resets nothing: it does not ask who else needs them", async () => {
    const { run } = await withConfig();
    expect((await run(["init", "--yes"])).code).toBe(0);
    const config = join(fx!.dir, "mcp-auth0.config.yaml");
    await writeFile(config, (await readFile(config, "utf8")).replace(/^connections: .*$/m, "connections: []"));
    fx!.tenant.resetCalls();
    const down = await run(["teardown", "--yes"]);
    expect(down.code, down.stderr).toBe(0);
    // readThirdPartyUse's listing of every user grant (no audience): only the plan's demotions and resets need it.
    expect(fx!.tenant.calls.filter((c) => c.method === "GET" && c.path.startsWith("/api/v2/client-grants") && !c.path.includes("audience="))).toEqual([]);
    expect(fx!.tenant.store.resourceServers.map((rs) => rs.identifier)).not.toContain(IDENTIFIER);
  });

  it("without a terminal it removes nothing unless --yes says so", async () => {
    const { run } = await withConfig();
    expect((await run(["init", "--yes"])).code).toBe(0);
    fx!.tenant.resetCalls();
    const result = await run(["teardown"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--yes");
    expect(fx!.tenant.writes()).toEqual([]);
  });

  it("--dry-run removes nothing", async () => {
    const { run } = await withConfig();
    expect((await run(["init", "--yes"])).code).toBe(0);
    fx!.tenant.resetCalls();
    const dry = await run(["teardown", "--yes", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`API ${IDENTIFIER}`);
    expect(fx!.tenant.writes()).toEqual([]);
  });
});

describe("the config file's JSON Schema", () => {
  it("is generated, shipped in the package, and validates the example file", async () => {
    const schema = JSON.parse(await readFile(join(root, "schema", "mcp-auth0.config.schema.json"), "utf8"));
    // The schema says `format: email` for role users: ajv-formats checks it (bare ajv warns and ignores it).
    const validate = addFormats.default(new Ajv2020({ strict: false })).compile(schema);
    const example = parse(await readFile(EXAMPLE, "utf8"));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...example, api: { ...example.api, scopes: [] } })).toBe(false);
    expect(validate({ ...example, surprise: true })).toBe(false);
    expect(validate({ ...example, roles: [{ ...example.roles[0], users: ["not an email"] }] })).toBe(false);

    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--loglevel=error"], { cwd: root });
    const files = (JSON.parse(stdout)[0].files as Array<{ path: string }>).map((f) => f.path);
    expect(files).toContain("schema/mcp-auth0.config.schema.json");
  });
});
