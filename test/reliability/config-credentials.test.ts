import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";

/**
 * Issue 16, defect 2: the config file's `domain:` beat AUTH0_DOMAIN, so the client secret from the
 * environment went to whatever host a (shared, committed, or malicious) config file named; and
 * `${AUTH0_CLIENT_SECRET}` in a printed field (api.name) was printed in the plan.
 */
let fx: Fixture | undefined;
let other: TestLocalTenant | undefined;
afterEach(async () => {
  await fx?.tenant.close();
  await other?.close();
  fx = other = undefined;
});

const config = (domain: string | undefined, name = "Acceptance MCP") =>
  [
    ...(domain ? [`domain: ${domain}`] : []),
    "api:",
    `  identifier: ${IDENTIFIER}`,
    `  name: "${name}"`,
    "  scopes: [{ value: tool:whoami }]",
    "connections: [Username-Password-Authentication]",
    "",
  ].join("\n");

async function setup(domainLine: (real: string, attacker: string) => string | undefined, name?: string) {
  fx = await freshFixture();
  // Another HTTPS server that would receive the credentials if the file could redirect them.
  other = await startLocalTenant({ testControls: true });
  await writeFile(join(fx.dir, "mcp-auth0.config.yaml"), config(domainLine(fx.tenant.domain, other.domain), name));
  const run = (args: string[], env: NodeJS.ProcessEnv = fx!.env) => cli(args, { env, ca: fx!.tenant.caCertPem, cwd: fx!.dir });
  return { run };
}

describe("a config file never redirects credentials", () => {
  it("a file naming another tenant than AUTH0_DOMAIN is an error naming both; nothing goes to either", async () => {
    const { run } = await setup((_real, attacker) => attacker);
    const result = await run(["init", "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(other!.domain);
    expect(result.stderr).toContain(fx!.tenant.domain);
    expect(result.stderr).toContain("AUTH0_DOMAIN");
    expect(other!.calls).toEqual([]);
    expect(fx!.tenant.calls).toEqual([]);
  });

  it("a file naming another tenant than --domain is an error naming both", async () => {
    const { run } = await setup((_real, attacker) => attacker);
    const result = await run(["init", "--yes", "--domain", fx!.tenant.domain]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--domain");
    expect(result.stderr).toContain(other!.domain);
    expect(other!.calls).toEqual([]);
  });

  it("credentials from the environment with no AUTH0_DOMAIN are not sent where the file says", async () => {
    const { run } = await setup((_real, attacker) => attacker);
    const { AUTH0_DOMAIN: _unset, ...env } = fx!.env;
    const result = await run(["init", "--yes"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`AUTH0_DOMAIN=${other!.domain}`);
    expect(other!.calls).toEqual([]);
    expect(result.stderr + result.stdout).not.toContain(fx!.env.AUTH0_CLIENT_SECRET!);
  });

  it("a file whose domain agrees with AUTH0_DOMAIN (literally or as ${AUTH0_DOMAIN}) works", async () => {
    const { run } = await setup((real) => real);
    expect((await run(["init", "--yes", "--env-path", ".env"])).code).toBe(0);
    await writeFile(join(fx!.dir, "mcp-auth0.config.yaml"), config("${AUTH0_DOMAIN}"));
    expect((await run(["init", "--yes", "--env-path", ".env"])).code).toBe(0);
    expect(fx!.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(true);
  });
});

describe("credential variables cannot be interpolated into the config file", () => {
  it.each(["AUTH0_CLIENT_SECRET", "AUTH0_ACCESS_TOKEN", "AUTH0_CLIENT_ID", "GITHUB_TOKEN", "DB_PASSWORD"])(
    "${%s} in api.name is refused and its value never printed",
    async (name) => {
      const { run } = await setup((real) => real, `\${${name}}`);
      const env = { ...fx!.env, AUTH0_ACCESS_TOKEN: "tok-should-not-show", GITHUB_TOKEN: "ghp-should-not-show", DB_PASSWORD: "pw-should-not-show" };
      for (const command of [["init", "--yes"], ["plan"]]) {
        const result = await run(command, env);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`\${${name}}`);
        expect(result.stderr).toContain("credentials cannot be interpolated");
        const output = result.stderr + result.stdout;
        for (const secret of [fx!.env.AUTH0_CLIENT_SECRET!, fx!.env.AUTH0_CLIENT_ID!, "tok-should-not-show", "ghp-should-not-show", "pw-should-not-show"])
          expect(output).not.toContain(secret);
      }
      expect(fx!.tenant.writes()).toEqual([]);
    },
  );
});
