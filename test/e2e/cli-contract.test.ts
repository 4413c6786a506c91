import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";
import { freePort } from "../support/shell.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/*
 * Issue 12: the command-line contract a person and a script meet — help that shows every option
 * a command takes, --local that never swallows an argument, --json failures as one document, and
 * network failures named with their cause (SPEC §3).
 */

describe("help", () => {
  it("every subcommand's help lists the global options, with defaults written one way", async () => {
    const init = await cli(["init", "--help"]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain("Global Options:");
    for (const flag of ["--local", "--data-dir <dir>", "--yes", "--dry-run", "--json", "--domain <host[:port]>"]) expect(init.stdout).toContain(flag);
    expect(init.stdout).toMatch(/--env-path <path>\s+where to write the \.env \(default: \.env\)/);
    expect(init.stdout).toMatch(/--api-name <name>\s+the API's name \(default: "MCP Server"\)/);
    // The preset init picks without --template is the README's: the On-Behalf-Of sample's with --downstream-api.
    expect(init.stdout.replace(/\s+/g, " ")).toContain("(default: auth0, or auth0-obo with --downstream-api; --mode proxy needs one)");
    // Not "(default .env)" nor 'default "MCP Server"' inside a description: commander's form only.
    expect(init.stdout).not.toMatch(/\(default [^:]/);

    const sync = await cli(["roles", "sync", "--help"]);
    expect(sync.stdout).toMatch(/--file <file>\s+roles file \(YAML or JSON\) \(required\)/);
    expect(sync.stdout).toContain("Global Options:");
  });

  it("--yes no longer claims to be implied for every command; teardown says it needs an explicit --yes", async () => {
    const top = await cli(["--help"]);
    expect(top.stdout).not.toMatch(/implied by CI or no TTY/);
    const teardown = await cli(["teardown", "--help"]);
    expect(teardown.stdout.replace(/\s+/g, " ")).toContain("Without a terminal (CI, a pipe) it needs an explicit --yes");
  });

  it("commander validates choices and numbers: a wrong --mode or --timeout is a usage error (exit 2)", async () => {
    const mode = await cli(["init", "--mode", "magic"]);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/Allowed choices are dcr, proxy/);
    const timeout = await cli(["doctor", "--timeout", "soon"]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/--timeout <seconds>.*Not a number of seconds from 0.1 to 3600/);
  });
});

describe("--json failures are one JSON document on stdout", () => {
  it("for an error of the command (missing credentials), with a stable code, the message and the hint", async () => {
    const result = await cli(["doctor", "--json", "--domain", "acme.us.auth0.com", "--api-identifier", IDENTIFIER]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: { code: "usage", exitCode: 2, message: expect.stringContaining("No Management API credentials"), hint: expect.stringContaining("--client-id") },
    });
  });

  it("for a usage error that commander reports", async () => {
    const result = await cli(["init", "--json", "--no-such-flag"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: "usage", exitCode: 2, message: "unknown option '--no-such-flag'" } });
  });
});

describe("network failures are named with their cause: exit 4, no stack trace", () => {
  const creds = { AUTH0_CLIENT_ID: "id", AUTH0_CLIENT_SECRET: "secret" };
  const doctorAt = (domain: string, extra: string[] = []) => cli(["doctor", "--domain", domain, "--api-identifier", IDENTIFIER, ...extra], { env: creds });

  it.each(["1", "6000"])("--domain 127.0.0.1:%s: a port fetch refuses to use", async (port) => {
    const result = await doctorAt(`127.0.0.1:${port}`, ["--json"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`port ${port} is one that fetch refuses to connect to ("bad port"`);
    expect(result.stderr).not.toMatch(/Unexpected failure|\n\s+at /);
    expect(JSON.parse(result.stdout).error).toMatchObject({ code: "unreachable", exitCode: 4 });
  });

  it("a closed port: connection refused", async () => {
    const port = await freePort();
    const result = await doctorAt(`127.0.0.1:${port}`);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("connection refused");
    expect(result.stderr).toContain("ECONNREFUSED");
  });

  it("a name that does not resolve: DNS", async () => {
    const result = await doctorAt("no-such-tenant.invalid");
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("DNS lookup failed");
  });

  it("with --verbose the stack is shown, the cause still named", async () => {
    const result = await doctorAt("127.0.0.1:1", ["--verbose"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("bad port");
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

describe("--local takes no value", () => {
  let dir: string;
  let dev: DevTenant;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-local-"));
    dev = await startDevTenant({ port: 0, dataDir: join(dir, "state") });
  });
  afterAll(async () => {
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("promote-connection --local Username-Password-Authentication promotes that connection (--data-dir says where the tenant is)", async () => {
    const connection = () => dev.store.connections.find((c) => c.name === "Username-Password-Authentication")!;
    expect(connection().is_domain_connection).toBe(false);
    const result = await cli(["promote-connection", "--local", "Username-Password-Authentication", "--data-dir", "state"], { cwd: dir });
    expect(result.stderr).not.toContain("✖");
    expect(result.code).toBe(0);
    expect(connection().is_domain_connection).toBe(true);
  });
});

describe("exit 6: applied or read, but not ready for MCP clients", () => {
  let fx: Fixture;
  afterEach(async () => fx?.tenant.close());

  it("init --yes with no domain-level connection exits 6, prints the failed check with its fix and no Next steps; doctor exits 6 too", async () => {
    fx = await freshFixture();
    const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    const init = await run(["init", "--yes", "--api-identifier", IDENTIFIER, "--scopes", "tool:whoami", "--env-path", ".env"]);
    expect(init.code).toBe(6);
    expect(init.stderr).toMatch(/✖ Domain-level connections: none/);
    expect(init.stderr).toContain("fix: npx mcp-auth0 promote-connection Username-Password-Authentication");
    expect(init.stderr).toContain("Not ready for MCP clients");
    expect(init.stderr).not.toContain("Next steps");

    const doctor = await run(["doctor", "--json"]);
    expect(doctor.code).toBe(6);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ ok: false, identifier: IDENTIFIER });
  });
});
