import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { CliError, ExitCode } from "./errors.js";
import type { Context, Deps, GlobalOptions } from "./commands/context.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

type Runner = (options: unknown, ctx: Context, args: string[]) => Promise<number>;

/**
 * Builds the program. Command modules (and the Auth0 SDK, prompts, zod behind them) are imported
 * only when their command runs, so `--help` and `--version` stay as fast as a bare `node`.
 */
function buildProgram(deps: Deps, setExit: (code: number) => void): Command {
  const program = new Command("mcp-auth0")
    .description("Turn an Auth0 tenant into a working OAuth authorization server for your MCP server.")
    .version(version, "-V, --version")
    .option("--domain <host[:port]>", "tenant domain, e.g. acme.us.auth0.com (env AUTH0_DOMAIN)")
    .option("--client-id <id>", "machine-to-machine application authorized for the Management API (env AUTH0_CLIENT_ID)")
    .option("--client-secret <secret>", "its secret; prefer env AUTH0_CLIENT_SECRET (flags show in process lists)")
    .option("--token <token>", "a Management API token instead of client credentials (env AUTH0_ACCESS_TOKEN)")
    .option("--canonical-domain <host>", "the tenant's {tenant}.{region}.auth0.com when --domain is a custom domain: the Management API is served there only (env AUTH0_CANONICAL_DOMAIN)")
    .option("--issuer-domain <host>", "the domain MCP clients use, written to the .env, when the tenant has several custom domains (env AUTH0_ISSUER_DOMAIN)")
    .option("--local [data-dir]", "target the running local dev tenant (mcp-auth0 dev) and trust its CA")
    .option("-y, --yes", "never prompt; a missing value is an error naming its flag (implied by CI or no TTY)")
    .option("--dry-run", "show the plan; change nothing, write no file")
    .option("--json", "one JSON document on stdout; human output on stderr")
    .option("--verbose", "show each HTTP call (secrets redacted) and stack traces")
    .option("--timeout <seconds>", "give up on one HTTP attempt after this long (reads are retried, writes read back)", "30")
    .option("--no-color", "plain output (also NO_COLOR)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    });

  const action = (load: () => Promise<Runner>) =>
    async function (this: Command, ...args: unknown[]) {
      const { createContext } = await import("./commands/context.js");
      const ctx = createContext(this.optsWithGlobals() as GlobalOptions, deps);
      const run = await load();
      try {
        setExit(await run(this.opts(), ctx, args.filter((a): a is string => typeof a === "string" || Array.isArray(a)).flat() as string[]));
      } catch (error) {
        const { toCliError } = await import("./tenant/errors.js");
        setExit(reportError(toCliError(error, ctx.domain ?? "the tenant"), ctx, error));
      }
    };

  program
    .command("init")
    .description("provision the tenant for an MCP server: DCR, the API, the default grant, connections, roles, and the server's .env")
    .option("--api-identifier <url>", "the API identifier = audience = the MCP server's resource URL (default: --server-url)")
    .option("--api-name <name>", 'the API\'s name (default "MCP Server")')
    .option("--scopes <list>", "comma-separated scopes, each value or value=description")
    .option("--connections <list>", "comma-separated connection names or ids: promoted to domain level (dcr), enabled for the application (proxy)")
    .option("--roles <file>", "roles file (YAML or JSON)")
    .option("--server-url <url>", "the MCP server's public URL, written to the .env")
    .option("--env-path <path>", "where to write the .env (default .env)")
    .option("--template <name>", ".env preset (default auth0; list: show every preset with its framework and mode)")
    .option("--default-audience", "make this API the tenant's default audience even if another API is")
    .option("--no-default-audience", "never touch the tenant's default audience")
    .option("--cimd", "also enable Client ID Metadata Documents")
    .option("--cimd-client <url>", "import an MCP client's metadata URL as a CIMD client (repeatable; implies --cimd)", collect)
    .option("--mode <mode>", "dcr: MCP clients register themselves; proxy: the MCP server logs users in with a Regular Web Application (default dcr)")
    .option("--callback-url <url>", "proxy mode: a callback URL of the MCP server's OAuth proxy (repeatable)", collect)
    .option("--app-name <name>", 'proxy mode: the application\'s name, matched exactly (default "<API name> (MCP proxy)")')
    .option("--api-base-url <url>", "cloudflare preset: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .option("--config <file>", "config file (default: mcp-auth0.config.yaml in this directory, if any); flags override its values")
    .action(action(async () => (await import("./commands/init.js")).runInit));

  program
    .command("env")
    .description("write the .env of a preset from the tenant's current state; changes nothing in the tenant")
    .requiredOption("--template <name>", ".env preset (list: show them)")
    .option("--api-identifier <url>", "the API whose audience the .env names (default: --server-url)")
    .option("--server-url <url>", "the MCP server's public URL")
    .option("--env-path <path>", "where to write the .env", ".env")
    .option("--app-name <name>", 'proxy presets: the application to read (default "<API name> (MCP proxy)")')
    .option("--api-base-url <url>", "cloudflare preset: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .action(action(async () => (await import("./commands/env.js")).runEnv));

  program
    .command("templates")
    .description("list the .env presets: the framework each is for, its mode and its variables")
    .action(action(async () => (await import("./commands/templates.js")).runTemplates));

  program
    .command("promote-connection")
    .description(
      "promote connections to domain level. DCR clients are third-party clients: they can log users in only through domain-level connections (otherwise \"no connections enabled for the client\")",
    )
    .argument("[connections...]", "connection names or ids (none: choose from a list)")
    .option("--demote", "remove domain-level status instead")
    .action(action(async () => (await import("./commands/promote-connection.js")).runPromoteConnection));

  const roles = program.command("roles").description("manage the roles that grant this API's permissions");
  roles
    .command("sync")
    .description("create and update the roles of a roles file: descriptions, this API's permissions, users by email")
    .requiredOption("--file <file>", "roles file (YAML or JSON)")
    .option("--api-identifier <url>", "the API whose permissions the roles grant")
    .option("--prune", "also remove this API's permissions that the file does not list, from the roles it lists")
    .action(action(async () => (await import("./commands/roles-sync.js")).runRolesSync));

  program
    .command("plan")
    .description("print the plan for the config file without applying it; --check exits 5 when the tenant differs (drift, for CI)")
    .option("--config <file>", "config file (default: mcp-auth0.config.yaml in this directory)")
    .option("--check", "exit 5 when the tenant differs from the file, 0 when it matches")
    .action(action(async () => (await import("./commands/plan.js")).runPlan));

  program
    .command("teardown")
    .description("remove what the config file declares: the API and its default grant, the roles it lists, domain-level promotion of its connections; never a third-party client (tpc_ or is_first_party false), never anything it does not name")
    .option("--config <file>", "config file (default: mcp-auth0.config.yaml in this directory)")
    .option("--reset-tenant-settings", "also turn off the tenant settings init turned on (DCR, compatibility profile, iss, consent descriptions, CIMD)")
    .action(action(async () => (await import("./commands/teardown.js")).runTeardown));

  program
    .command("doctor")
    .description("check, read-only, everything an MCP client meets in the tenant (and the MCP server), and say what to fix")
    .option("--api-identifier <url>", "the MCP server's API identifier (env AUTH0_AUDIENCE)")
    .option("--server-url <url>", "also check the MCP server: 401 challenge and protected-resource metadata (env MCP_SERVER_URL)")
    .option("--connections <list>", "connections that should be domain level")
    .option("--env-path <path>", "the MCP server's .env to read AUTH0_AUDIENCE and MCP_SERVER_URL from", ".env")
    .option("--mode <mode>", "dcr or proxy (default: proxy when the .env is a proxy preset's): proxy checks the Regular Web Application instead of DCR")
    .option("--app-name <name>", 'proxy mode: the application to check (default: the .env\'s client id, else "<API name> (MCP proxy)")')
    .action(action(async () => (await import("./commands/doctor.js")).runDoctor));

  program
    .command("dev")
    .description("run a local Auth0-compatible tenant (Management API, OAuth with DCR and PKCE, dev users) until stopped; then: mcp-auth0 init --local")
    .option("--port <port>", "HTTPS port on localhost", "4000")
    .option("--data-dir <dir>", "where its state, keys, CA and connection.json live (default .mcp-auth0, env MCP_AUTH0_DATA_DIR)")
    .option("--auto-login <email>", "headless mode for tests and CI: log this dev user in and consent, with no page")
    .option("--plan <plan>", "free: Auth0's free-plan limits (Management API 2/s, /oidc/register 5/s, 10 applications)")
    .option("--custom-domain [port]", "also serve a custom domain at 127.0.0.1:<port> (default --port + 1) with its own issuer, as Auth0 does")
    .action(action(async () => (await import("./commands/dev.js")).runDev));

  return program;
}

/** Commander parser for a repeatable option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The one error sink: every failure becomes a one- or two-line message and an exit code (SPEC §3). */
function reportError(error: unknown, ctx: Pick<Context, "logger" | "options">, original: unknown = error): number {
  const cli = error instanceof CliError ? error : undefined;
  if (!cli) {
    ctx.logger.error(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
    ctx.logger.info("Run again with --verbose for details.");
  } else {
    ctx.logger.error(cli.message);
    if (cli.hint) ctx.logger.info(`  ${cli.hint}`);
  }
  if (ctx.options.verbose && original instanceof Error && original.stack) ctx.logger.info(original.stack);
  return cli?.exitCode ?? ExitCode.failure;
}

export async function runCli(argv: string[], overrides: Partial<Deps> = {}): Promise<number> {
  const deps: Deps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    ...overrides,
  };
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(deps, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const { createContext } = await import("./commands/context.js");
    return reportError(error, createContext(program.opts() as GlobalOptions, deps));
  }
  return exitCode;
}
