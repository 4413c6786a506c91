import { afterEach, describe, expect, it } from "vitest";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli, type CliRun } from "../support/cli.js";
import { shellWords } from "../support/shell.js";
import { freshFixture, IDENTIFIER, ROLES_YAML, type Fixture } from "../support/tenant.js";

/*
 * Issue 12, "Done when" #3: every command the CLI prints for the user to run — a fix under a
 * failed check, "check again", a next step — runs as printed, in the context it was printed in
 * (--local and --data-dir, a typed --domain, the API identifier), and exits 0. The commands are
 * parsed from the output with the shell's rules and run exactly so; nothing is added.
 */

/** Every `mcp-auth0 …` command in the output, as argument lists after `mcp-auth0`, in order, without repeats. */
function printedCommands(output: string): string[][] {
  const seen = new Set<string>();
  const commands: string[][] = [];
  for (const match of output.matchAll(/(?:^|\s)(mcp-auth0 [a-z].*)$/gm)) {
    const words = shellWords(match[1]!);
    const key = words.join("\u0000");
    if (seen.has(key)) continue;
    seen.add(key);
    commands.push(words.slice(1));
  }
  return commands;
}

/** Runs each printed command as printed; returns what ran, for the assertions' messages. */
async function runEach(output: string, run: (args: string[]) => Promise<CliRun>): Promise<string[]> {
  const commands = printedCommands(output);
  const ran: string[] = [];
  for (const args of commands) {
    const result = await run(args);
    expect(result.code, `mcp-auth0 ${args.join(" ")}\n${result.stderr}`).toBe(0);
    ran.push(args.join(" "));
  }
  return ran;
}

const SCOPES = "tool:whoami=Read your identity,tool:greet=Greet someone";

describe("on the dev tenant (--local, --data-dir)", () => {
  let dir: string;
  let dev: DevTenant;
  afterEach(async () => {
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the fixes of a not-ready init, then the next steps of a ready one, run as printed", async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-printed-"));
    await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
    dev = await startDevTenant({ port: 0, dataDir: join(dir, "state") });
    // CI-like: no terminal, no credentials in the environment; --local finds the tenant.
    const run = (args: string[]) => cli(args, { cwd: dir });

    const notReady = await run(["init", "--local", "--data-dir", "state", "--api-identifier", IDENTIFIER, "--scopes", SCOPES]);
    expect(notReady.code).toBe(6);
    const fixes = await runEach(notReady.stderr, run);
    // No roles file given: the verdict warns, as doctor does, that no role grants the API's permissions (issue 20).
    expect(fixes).toEqual([
      `roles sync --file roles.yaml --api-identifier ${IDENTIFIER} --local --data-dir state`,
      "promote-connection Username-Password-Authentication --local --data-dir state",
      `doctor --api-identifier ${IDENTIFIER} --local --data-dir state`,
    ]);

    const ready = await run([
      "init",
      "--local",
      "--data-dir",
      "state",
      "--api-identifier",
      IDENTIFIER,
      "--scopes",
      SCOPES,
      "--roles",
      "roles.yaml",
      "--connections",
      "google-oauth2",
    ]);
    expect(ready.code).toBe(0);
    expect(ready.stderr).toContain("Next steps");
    expect(await runEach(ready.stderr, run)).toEqual([`doctor --api-identifier ${IDENTIFIER} --local --data-dir state`]);
  });

  it("with the example's config file, whose domain names an unset ${AUTH0_DOMAIN}: init --local's next steps run as printed", async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-printed-"));
    await copyFile(join(import.meta.dirname, "../../examples/mcp-server/mcp-auth0.config.yaml"), join(dir, "mcp-auth0.config.yaml"));
    dev = await startDevTenant({ port: 0, dataDir: join(dir, "state") });
    const run = (args: string[]) => cli(args, { cwd: dir, env: {} });
    const init = await run(["init", "--local", "--data-dir", "state", "--yes"]);
    expect(init.code, init.stderr).toBe(0);
    // try needs the MCP server running (test/dev/try.test.ts runs it); the doctor line reads the
    // same config file for what it says besides the tenant, which --local replaces.
    const printed = printedCommands(init.stderr).filter((args) => args[0] !== "try");
    expect(printed).toEqual([["doctor", "--api-identifier", "http://localhost:3000/mcp", "--local", "--data-dir", "state"]]);
    for (const args of [...printed, ["doctor", "--local", "--data-dir", "state", "--client", "vscode"]]) {
      const result = await run(args);
      expect(result.stderr).not.toMatch(/AUTH0_DOMAIN/);
      expect([0, 6], `mcp-auth0 ${args.join(" ")}\n${result.stderr}`).toContain(result.code);
    }
  });
});

describe("on a plain tenant (--domain typed, credentials in the environment)", () => {
  let fx: Fixture;
  afterEach(async () => fx?.tenant.close());

  it("doctor's fixes on a half-set-up tenant run as printed, and then doctor passes", async () => {
    fx = await freshFixture();
    // Credentials in the environment, the domain typed: printed commands must repeat --domain.
    const env = { AUTH0_CLIENT_ID: fx.env.AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET: fx.env.AUTH0_CLIENT_SECRET };
    const run = (args: string[]) => cli(args, { env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    const domain = fx.tenant.domain;

    expect((await run(["init", "--domain", domain, "--api-identifier", IDENTIFIER, "--scopes", SCOPES])).code).toBe(6);
    // Someone turned DCR off in the Dashboard since.
    fx.tenant.store.settings.flags.enable_dynamic_client_registration = false;

    const doctor = await run(["doctor", "--domain", domain, "--api-identifier", IDENTIFIER]);
    expect(doctor.code).toBe(6);
    const ran = await runEach(doctor.stderr, run);
    expect(ran[0]).toBe(`init --api-identifier ${IDENTIFIER} --scopes ${SCOPES} --connections Username-Password-Authentication --domain ${domain}`);
    expect(ran).toContain(`roles sync --file roles.yaml --api-identifier ${IDENTIFIER} --domain ${domain}`);
    expect(ran).toContain(`promote-connection Username-Password-Authentication --domain ${domain}`);
    expect(ran[ran.length - 1]).toBe(`doctor --api-identifier ${IDENTIFIER} --domain ${domain}`);
    expect(fx.tenant.store.settings.flags.enable_dynamic_client_registration).toBe(true);
  });

  it("a ready init's next steps run as printed, with the environment's domain not repeated", async () => {
    fx = await freshFixture();
    const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    const init = await run(["init", "--api-identifier", IDENTIFIER, "--scopes", SCOPES, "--connections", "Username-Password-Authentication"]);
    expect(init.code).toBe(0);
    expect(await runEach(init.stderr, run)).toEqual([`roles sync --file roles.yaml --api-identifier ${IDENTIFIER}`, `doctor --api-identifier ${IDENTIFIER}`]);
  });
});
