import { Command, Help, Option } from "@commander-js/extra-typings";
import { described, timeoutSeconds } from "./values.js";

/**
 * The program and its global options: declared once here, and their type (GlobalOptions) inferred
 * from the declaration by @commander-js/extra-typings, so the two cannot disagree.
 */
export function declareProgram(version: string) {
  return (
    new Command("mcp-auth0")
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
      .addOption(new Option("--timeout <seconds>", "give up on one HTTP attempt after this long (reads are retried, writes read back)").argParser(timeoutSeconds).default(30))
      .option("--no-color", "plain output (also NO_COLOR)")
      .showHelpAfterError("(run with --help for usage)")
  );
}

export type Program = ReturnType<typeof declareProgram>;

/** The global options as commander parses them (`program.opts()`). */
export type GlobalOptions = ReturnType<Program["opts"]>;

/** The options of a command declared by `declare` (its own, without the global ones). */
export type FlagsOf<Declare extends (program: Program) => { opts(): object }> = ReturnType<ReturnType<Declare>["opts"]>;

/** Commander's option description, with one way of writing defaults and required options marked. */
function optionDescription(this: Help, option: Option): string {
  const extra: string[] = [];
  if (option.mandatory) extra.push("required");
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
  const shown = option.defaultValueDescription ?? (option.defaultValue !== undefined && typeof option.defaultValue !== "boolean" ? String(option.defaultValue) : undefined);
  if (shown !== undefined) extra.push(`default: ${shown}`);
  return extra.length ? `${option.description} (${extra.join(", ")})` : option.description;
}
