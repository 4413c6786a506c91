import { Command, CommanderError, Help, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { CancelledError, CliError, ExitCode, exitCodeName } from "./errors.js";
import type { Context, Deps, GlobalOptions, RunControl } from "./session/context.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

type Runner = (options: unknown, ctx: Context, args: string[]) => Promise<number>;

/**
 * Builds the program. Command modules (and the Auth0 SDK, prompts, zod behind them) are imported
 * only when their command runs, so `--help` and `--version` stay as fast as a bare `node`.
 */
export function buildProgram(deps: Deps, control: RunControl, setExit: (code: number) => void, stdoutUsedNow: () => boolean): Command {
  const program = new Command("mcp-auth0")
    .description("Turn an Auth0 tenant into a working OAuth authorization server for your MCP server.")
    .version(version, "-V, --version")
    // Set before the subcommands are added: they inherit it, so every `<command> --help` lists the global options too.
    .configureHelp({ showGlobalOptions: true, optionDescription })
    .option("--domain <host[:port]>", "tenant domain, e.g. acme.us.auth0.com (env AUTH0_DOMAIN)")
    .option("--client-id <id>", "machine-to-machine application authorized for the Management API (env AUTH0_CLIENT_ID)")
    .option("--client-secret <secret>", "its secret; prefer env AUTH0_CLIENT_SECRET (flags show in process lists)")
    .option("--token <token>", "a Management API token instead of client credentials (env AUTH0_ACCESS_TOKEN)")
    .option(
      "--canonical-domain <host>",
      "the tenant's {tenant}.{region}.auth0.com when --domain is a custom domain: the Management API is served there only (env AUTH0_CANONICAL_DOMAIN)",
    )
    .option("--issuer-domain <host>", "the domain MCP clients use, written to the .env, when the tenant has several custom domains (env AUTH0_ISSUER_DOMAIN)")
    // A flag without a value: an optional value would swallow the next word (`--local Username-Password-Authentication`).
    .option("--local", "target the running local dev tenant (mcp-auth0 dev) and trust its CA")
    .addOption(described(new Option("--data-dir <dir>", "the local dev tenant's data directory, for dev and --local (env MCP_AUTH0_DATA_DIR)"), ".mcp-auth0"))
    .option(
      "-y, --yes",
      "never prompt; a missing value is an error naming its flag (prompts are also off when CI is set or stdin is not a terminal; teardown still needs an explicit --yes)",
    )
    .option("--dry-run", "show the plan; change nothing, write no file")
    .option("--json", "one JSON document on stdout, also for a failure; human output on stderr")
    .option("--verbose", "show each HTTP call (secrets redacted) and stack traces")
    .addOption(new Option("--timeout <seconds>", "give up on one HTTP attempt after this long (reads are retried, writes read back)").argParser(positiveNumber).default(30))
    .option("--no-color", "plain output (also NO_COLOR)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    });

  const action = (load: () => Promise<Runner>) =>
    async function (this: Command, ...args: unknown[]) {
      const { createContext } = await import("./session/context.js");
      const ctx = createContext(this.optsWithGlobals() as GlobalOptions, deps, control);
      const run = await load();
      try {
        setExit(await run(this.opts(), ctx, args.filter((a): a is string => typeof a === "string" || Array.isArray(a)).flat() as string[]));
      } catch (error) {
        const { toCliError } = await import("./tenant/errors.js");
        setExit(reportError(toCliError(error, ctx.control.domain ?? "the tenant"), ctx, error, stdoutUsedNow()));
      }
    };

  program
    .command("init")
    .description("provision the tenant for an MCP server: DCR, the API, the default grant, connections, roles, and the server's .env")
    .addOption(described(new Option("--api-identifier <url>", "the API identifier = audience = the MCP server's resource URL"), "--server-url"))
    .addOption(described(new Option("--api-name <name>", "the API's name"), '"MCP Server"'))
    .option("--scopes <list>", "comma-separated scopes, each value or value=description")
    .option("--connections <list>", "comma-separated connection names or ids: promoted to domain level (dcr), enabled for the application (proxy)")
    .option("--roles <file>", "roles file (YAML or JSON)")
    .option("--server-url <url>", "the MCP server's public URL, written to the .env")
    .addOption(described(new Option("--env-path <path>", "where to write the .env"), ".env"))
    .option("--follow-symlinks", "when the .env path is a symbolic link, write its target (refused otherwise)")
    .addOption(described(new Option("--template <name>", ".env preset (list: show every preset with its framework and mode)"), "auth0"))
    .option("--default-audience", "make this API the tenant's default audience even if another API is")
    .option("--no-default-audience", "never touch the tenant's default audience")
    .option("--cimd", "also enable Client ID Metadata Documents")
    .option("--cimd-client <url>", "import an MCP client's metadata URL as a CIMD client (repeatable; implies --cimd)", collect)
    .addOption(
      described(
        new Option("--mode <mode>", "dcr: MCP clients register themselves; proxy: the MCP server logs users in with a Regular Web Application").choices(["dcr", "proxy"]),
        "dcr",
      ),
    )
    .option("--callback-url <url>", "proxy mode: a callback URL of the MCP server's OAuth proxy (repeatable)", collect)
    .addOption(described(new Option("--app-name <name>", "proxy mode: the application's name, matched exactly"), '"<API name> (MCP proxy)"'))
    .option("--api-base-url <url>", "cloudflare preset: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .addOption(described(new Option("--config <file>", "config file; flags override its values"), "mcp-auth0.config.yaml in this directory, if any"))
    .action(action(async () => (await import("./commands/init.js")).runInit));

  program
    .command("env")
    .description("write the .env of a preset from the tenant's current state; changes nothing in the tenant")
    .requiredOption("--template <name>", ".env preset (list: show them)")
    .addOption(described(new Option("--api-identifier <url>", "the API whose audience the .env names"), "--server-url"))
    .option("--server-url <url>", "the MCP server's public URL")
    .option("--env-path <path>", "where to write the .env", ".env")
    .option("--follow-symlinks", "when the .env path is a symbolic link, write its target (refused otherwise)")
    .addOption(described(new Option("--app-name <name>", "proxy presets: the application to read"), '"<API name> (MCP proxy)"'))
    .option("--api-base-url <url>", "cloudflare preset: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .action(action(async () => (await import("./commands/env.js")).runEnv));

  program
    .command("templates")
    .description("list the .env presets: the framework each is for, its mode and its variables")
    .action(action(async () => (await import("./commands/templates.js")).runTemplates));

  program
    .command("promote-connection")
    .description(
      'promote connections to domain level. DCR clients are third-party clients: they can log users in only through domain-level connections (otherwise "no connections enabled for the client")',
    )
    .argument("[connections...]", "connection names or ids (none: choose from a list)")
    .option("--demote", "remove domain-level status instead")
    .action(action(async () => (await import("./commands/promote-connection.js")).runPromoteConnection));

  const roles = program.command("roles").description("manage the roles that grant this API's permissions");
  roles
    .command("sync")
    .description("create and update the roles of a roles file: descriptions, this API's permissions, users by email")
    .requiredOption("--file <file>", "roles file (YAML or JSON)")
    .addOption(
      described(new Option("--api-identifier <url>", "the API whose permissions the roles grant"), "AUTH0_AUDIENCE of the environment or ./.env, or the config file's API"),
    )
    .option("--prune", "also remove this API's permissions that the file does not list, from the roles it lists")
    .action(action(async () => (await import("./commands/roles-sync.js")).runRolesSync));

  program
    .command("plan")
    .description("print the plan for the config file without applying it; --check exits 5 when the tenant differs (drift, for CI)")
    .addOption(described(new Option("--config <file>", "config file"), "mcp-auth0.config.yaml in this directory"))
    .option("--check", "exit 5 when the tenant differs from the file, 0 when it matches")
    .action(action(async () => (await import("./commands/plan.js")).runPlan));

  program
    .command("teardown")
    .description(
      "remove what the config file declares: the API and its default grant, the roles it lists, domain-level promotion of its connections; never a third-party client (tpc_ or is_first_party false), never anything it does not name. Without a terminal (CI, a pipe) it needs an explicit --yes",
    )
    .addOption(described(new Option("--config <file>", "config file"), "mcp-auth0.config.yaml in this directory"))
    .option("--reset-tenant-settings", "also turn off the tenant settings init turned on (DCR, compatibility profile, iss, consent descriptions, CIMD)")
    .action(action(async () => (await import("./commands/teardown.js")).runTeardown));

  program
    .command("doctor")
    .description("check, read-only, everything an MCP client meets in the tenant (and the MCP server), and say what to fix")
    .addOption(described(new Option("--api-identifier <url>", "the MCP server's API identifier"), "AUTH0_AUDIENCE of the environment or the .env, or the config file's API"))
    .option("--server-url <url>", "also check the MCP server: 401 challenge and protected-resource metadata (env MCP_SERVER_URL)")
    .option("--connections <list>", "connections that should be domain level")
    .option("--env-path <path>", "the MCP server's .env to read AUTH0_AUDIENCE and MCP_SERVER_URL from", ".env")
    .option("--mode <mode>", "dcr or proxy (default: proxy when the .env is a proxy preset's): proxy checks the Regular Web Application instead of DCR")
    .option("--app-name <name>", 'proxy mode: the application to check (default: the .env\'s client id, else "<API name> (MCP proxy)")')
    .action(action(async () => (await import("./commands/doctor.js")).runDoctor));

  program
    .command("dev")
    .description("run a local Auth0-compatible tenant (Management API, OAuth with DCR and PKCE, dev users) until stopped; then: mcp-auth0 init --local")
    .addOption(new Option("--port <port>", "HTTPS port on localhost").argParser(port).default(4000))
    .option("--auto-login <email>", "headless mode for tests and CI: log this dev user in and consent, with no page")
    .option("--plan <plan>", "free: Auth0's free-plan limits (Management API 2/s, /oidc/register 5/s, 10 applications)")
    .option("--custom-domain [port]", "also serve a custom domain at 127.0.0.1:<port> (default --port + 1) with its own issuer, as Auth0 does")
    .action(action(async () => (await import("./commands/dev.js")).runDev));

  program
    .command("credentials")
    .description("the machine-to-machine application mcp-auth0 runs as")
    .command("create")
    .description(
      "from a short-lived Management API token (--token), create the application mcp-auth0 runs as, granted exactly the scopes the chosen commands need; matched by name",
    )
    .option("--name <name>", "the application's name, matched exactly", "mcp-auth0")
    .option("--scopes-for <commands>", "comma-separated: init, roles, doctor, teardown, plan, promote-connection, env (roles also covers init's and teardown's roles)", "init")
    .option("--mode <mode>", "the init mode the scopes are for: dcr or proxy", "dcr")
    .option("--env-path <path>", "write AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to this file (0600 when created; other lines kept)")
    .option("--show-secret", "print the three variables, the secret included, on stdout")
    .action(action(async () => (await import("./commands/credentials.js")).runCredentialsCreate));

  program
    .command("completion")
    .description("print a shell completion script: source <(mcp-auth0 completion bash) (zsh alike), mcp-auth0 completion fish | source")
    .argument("<shell>", "bash, zsh or fish")
    .action(
      action(async () => {
        const { runCompletion } = await import("./commands/completion.js");
        return (options, ctx, args) => runCompletion(options, ctx, args, program);
      }),
    );

  return program;
}

/** Commander parser for a repeatable option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("Not a positive number of seconds.");
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("Not a port (0-65535).");
  return n;
}

/**
 * A default that only the help shows: the command computes it (from another flag, the config file
 * or the .env), so commander must not fill it in — a filled-in value would override the file.
 */
function described(option: Option, defaultDescription: string): Option {
  option.defaultValueDescription = defaultDescription;
  return option;
}

/** Commander's option description, with one way of writing defaults and required options marked. */
function optionDescription(this: Help, option: Option): string {
  const extra: string[] = [];
  if (option.mandatory) extra.push("required");
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
  const shown = option.defaultValueDescription ?? (option.defaultValue !== undefined && typeof option.defaultValue !== "boolean" ? String(option.defaultValue) : undefined);
  if (shown !== undefined) extra.push(`default: ${shown}`);
  return extra.length ? `${option.description} (${extra.join(", ")})` : option.description;
}

/** The one error sink: every failure becomes a one- or two-line message and an exit code (SPEC §3). */
function reportError(error: unknown, ctx: Pick<Context, "logger" | "options">, original: unknown = error, stdoutUsed = false): number {
  const cli = error instanceof CliError ? error : undefined;
  const message = cli ? cli.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  const hint = cli ? cli.hint : "Run again with --verbose for details.";
  ctx.logger.error(message);
  if (hint) ctx.logger.info(`  ${hint}`);
  if (ctx.options.verbose && original instanceof Error && original.stack) ctx.logger.info(original.stack);
  const code = cli?.exitCode ?? ExitCode.failure;
  // A script reading --json gets a document for a failure too, unless the command already printed its own.
  if (ctx.options.json && !stdoutUsed) ctx.logger.json(failureDocument(code, message, hint));
  return code;
}

/** `{ ok: false, error: { code, exitCode, message, hint } }`: `code` is a stable name of the exit code (README, "--json"). */
function failureDocument(exitCode: number, message: string, hint?: string) {
  return { ok: false, error: { code: exitCodeName(exitCode), exitCode, message, ...(hint ? { hint } : {}) } };
}

/** Ctrl-C as a signal (outside a prompt, which takes it as a key): the default subscribes to SIGINT. */
function onSigint(listener: () => void): () => void {
  process.on("SIGINT", listener);
  return () => process.off("SIGINT", listener);
}

export async function runCli(argv: string[], overrides: Partial<Deps> = {}): Promise<number> {
  const given: Deps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    ...overrides,
  };
  // Whether stdout already holds a document: a failure then adds none (one document per run).
  let stdoutUsed = false;
  const stdout = {
    write: (chunk: string | Uint8Array, ...rest: unknown[]) => ((stdoutUsed = true), (given.stdout.write as (...a: unknown[]) => boolean)(chunk, ...rest)),
  } as unknown as Writable;
  const deps: Deps = { ...given, stdout };
  let exitCode: number = ExitCode.ok;
  const control: RunControl = { phase: "before" };
  const program = buildProgram(
    deps,
    control,
    (code) => (exitCode = code),
    () => stdoutUsed,
  );

  // Ctrl-C outside a prompt. While changes are applied, the change in progress finishes and apply
  // stops before the next one (executePlan reports what was applied); otherwise the run ends here.
  let cancel!: (error: Error) => void;
  const cancelled = new Promise<never>((_, reject) => (cancel = reject));
  const unsubscribe = (deps.onInterrupt ?? onSigint)(() => {
    if (control.handlesInterrupt) return;
    if (control.phase === "applying" && !control.stopRequested) {
      deps.stderr.write("\nStopping after the change in progress (Ctrl-C again to stop at once)…\n");
      control.stopRequested = true;
    } else if (control.phase === "applying") {
      // A second Ctrl-C: the person will not wait for a slow write. Its outcome is unknown, which
      // a re-run handles like any interrupted write (it reads the tenant first).
      cancel(
        new CancelledError("Cancelled during a change: it may or may not have taken effect.", "Re-run the same command: it reads the tenant first and completes what is missing."),
      );
    } else {
      // The run ends now; work still under way (in-process) must not start a write after it.
      control.stopRequested = true;
      cancel(
        control.phase === "before"
          ? new CancelledError()
          : new CancelledError("Cancelled after the changes above were applied.", "Re-running the same command converges: it changes only what is still missing."),
      );
    }
  });
  try {
    await Promise.race([program.parseAsync(argv, { from: "user" }), cancelled]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      if (error.exitCode === 0) return ExitCode.ok;
      if (argv.includes("--json") && !stdoutUsed) deps.stdout.write(`${JSON.stringify(failureDocument(ExitCode.usage, error.message.replace(/^error: /, "")), null, 2)}\n`);
      return ExitCode.usage;
    }
    const { createContext } = await import("./session/context.js");
    return reportError(error, createContext(program.opts() as GlobalOptions, deps, control), error, stdoutUsed);
  } finally {
    unsubscribe();
  }
  return exitCode;
}
