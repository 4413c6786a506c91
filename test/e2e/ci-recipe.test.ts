import { afterEach, describe, expect, it } from "vitest";
import { copyFile, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { parse } from "yaml";
import { cli } from "../support/cli.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { MANAGEMENT_SCOPES } from "../../src/local-tenant/scopes.js";

const examples = resolve(import.meta.dirname, "../../examples");
const WORKFLOW = join(examples, "ci", "mcp-auth0.yml");

interface Workflow {
  jobs: Record<string, { if?: string; steps: Array<{ run?: string }> }>;
}

/** The mcp-auth0 command lines of a job's `run:` steps, as argv (the recipe's lines take no quoting). */
function commandsOf(workflow: Workflow, job: string): string[][] {
  return workflow.jobs[job]!.steps.flatMap((s) =>
    s.run?.startsWith("npx mcp-auth0 ")
      ? [
          s.run
            .trim()
            .replace(/^npx mcp-auth0 /, "")
            .split(/\s+/),
        ]
      : [],
  );
}

/** The credentials line of the recipe's header: what a user runs once to get the CI's application. */
async function credentialsLine(): Promise<string[]> {
  const line = /npx mcp-auth0 (credentials create .*)$/m.exec(await readFile(WORKFLOW, "utf8"))?.[1];
  expect(line).toBeDefined();
  return line!.replace("--token …", "").trim().split(/\s+/);
}

let fx: Fixture;
afterEach(async () => fx?.tenant.close());

describe("the CI recipe examples/ci/mcp-auth0.yml", () => {
  it("runs plan --check on pull requests and init --yes on main", async () => {
    const workflow = parse(await readFile(WORKFLOW, "utf8")) as Workflow;
    expect(workflow.jobs.plan!.if).toContain("pull_request");
    expect(commandsOf(workflow, "plan")).toEqual([["plan", "--check"]]);
    expect(workflow.jobs.apply!.if).toContain("refs/heads/main");
    expect(commandsOf(workflow, "apply")).toEqual([["init", "--yes"]]);
  });

  it("against the local tenant with the application it says to create: drift on the first pull request, applied on main, clean afterwards", async () => {
    const workflow = parse(await readFile(WORKFLOW, "utf8")) as Workflow;
    fx = await freshFixture();
    await copyFile(join(examples, "mcp-auth0.config.yaml"), join(fx.dir, "mcp-auth0.config.yaml"));
    const run = (args: string[], env: NodeJS.ProcessEnv) => cli(args, { env: { CI: "true", MCP_SERVER_URL: IDENTIFIER, ...env }, ca: fx.tenant.caCertPem, cwd: fx.dir });

    // Once, by hand: the CI's application from an API Explorer token, stored as repository secrets.
    const token = fx.tenant.issueManagementToken([...MANAGEMENT_SCOPES]);
    const created = await run([...(await credentialsLine()), "--token", token], { AUTH0_DOMAIN: fx.tenant.domain });
    expect(created.code, created.stderr).toBe(0);
    const secrets = parseEnv(await readFile(join(fx.dir, "ci.env"), "utf8")) as Record<string, string>;

    const pullRequest = async () => {
      const [plan] = commandsOf(workflow, "plan");
      return run(plan!, secrets);
    };
    const main = async () => {
      const [apply] = commandsOf(workflow, "apply");
      return run(apply!, secrets);
    };

    fx.tenant.resetCalls();
    const first = await pullRequest();
    expect(first.code, first.stderr).toBe(5);
    expect(first.stderr).toContain("+ API https://mcp.example.com/mcp");
    expect(fx.tenant.writes()).toEqual([]);

    const applied = await main();
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain("Ready for MCP clients");
    expect(fx.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(true);

    expect((await pullRequest()).code).toBe(0);
    fx.tenant.resetCalls();
    const again = await main();
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);

    // Drift made outside the file (a connection demoted in the Dashboard) fails the next pull request.
    fx.tenant.store.connections.find((c) => c.name === "google-oauth2")!.is_domain_connection = false;
    const drift = await pullRequest();
    expect(drift.code).toBe(5);
    expect(drift.stderr).toContain("google-oauth2");
  });
});
