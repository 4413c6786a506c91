import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, type Fixture } from "../support/tenant.js";

/*
 * Issue 20's smaller findings, each as a user met it, on one local tenant: what init does without
 * --scopes, what `env` reads, what `roles sync` suggests, and how the summary counts.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await freshFixture();
});
afterAll(async () => fx?.tenant.close());

/** A project directory of its own, so that one test's .env or config file is not another's. */
async function project(): Promise<{ dir: string; run: (args: string[]) => ReturnType<typeof cli> }> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-findings-"));
  return { dir, run: (args) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: dir }) };
}

const scopesOf = (identifier: string) => fx.tenant.store.resourceServers.find((r) => r.identifier === identifier)?.scopes?.map((s) => s.value);

describe("init without --scopes", () => {
  it("keeps the scopes an API has (no sample scope added), and without an API names the flag instead of inventing one", async () => {
    const { run } = await project();
    const API = "https://scopes.example.com/mcp";
    expect((await run(["init", "--yes", "--api-identifier", API, "--scopes", "tool:search=Search", "--connections", "Username-Password-Authentication"])).code).toBe(0);
    const again = await run(["init", "--yes", "--api-identifier", API, "--connections", "google-oauth2"]);
    expect(again.code).toBe(0);
    expect(scopesOf(API)).toEqual(["tool:search"]);

    fx.tenant.resetCalls();
    const fresh = await run(["init", "--yes", "--api-identifier", "https://new.example.com/mcp"]);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain("Missing --scopes: the tenant has no API https://new.example.com/mcp yet");
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("doctor's fix for a missing API shows the scope it creates", async () => {
    const { run } = await project();
    const doctor = await run(["doctor", "--json", "--api-identifier", "https://missing.example.com/mcp"]);
    const exists = (JSON.parse(doctor.stdout) as { checks: Array<{ group: string; title: string; fix?: string }> }).checks.find(
      (c) => c.group === "API https://missing.example.com/mcp" && c.title === "Exists",
    );
    expect(exists?.fix).toContain("--scopes 'tool:whoami=Read your identity'");
  });
});

describe("env", () => {
  it("reads the API from the .env, as doctor and roles sync do, to write another preset's variables", async () => {
    const { dir, run } = await project();
    const API = "https://env.example.com/mcp";
    expect((await run(["init", "--yes", "--api-identifier", API, "--scopes", "tool:whoami", "--connections", "Username-Password-Authentication"])).code).toBe(0);
    const result = await run(["env", "--template", "mcp-use"]);
    expect(result.stderr).not.toContain("Missing");
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, ".env"), "utf8")).toContain(`MCP_USE_OAUTH_AUTH0_AUDIENCE=${API}\n`);
  });
});

describe("roles sync", () => {
  it("a permission the API lacks is explained without a flag roles sync does not take", async () => {
    const { dir, run } = await project();
    const API = "https://roles.example.com/mcp";
    expect((await run(["init", "--yes", "--api-identifier", API, "--scopes", "tool:whoami", "--connections", "Username-Password-Authentication"])).code).toBe(0);
    await writeFile(join(dir, "roles.yaml"), "roles:\n  - name: Greeter\n    permissions: [tool:greet]\n");
    const result = await run(["roles", "sync", "--file", "roles.yaml", "--api-identifier", API]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Add tool:greet to the API's scopes first (mcp-auth0 init with --api-identifier ${API} --scopes listing it`);
    expect(result.stderr).not.toMatch(/Add the scope with --scopes/);
  });
});

describe("the summary", () => {
  it("counts what the plan counted: the .env is one of the changes", async () => {
    const { run } = await project();
    const result = await run(["init", "--yes", "--api-identifier", "https://count.example.com/mcp", "--scopes", "tool:whoami"]);
    expect(result.code).toBe(0);
    const planned = Number(/(\d+) changes? to apply\./.exec(result.stderr)?.[1]);
    expect(result.stderr).toContain(`Done: ${planned} changes applied: ${planned - 1} to ${fx.tenant.domain}, and .env written.`);
  });
});
