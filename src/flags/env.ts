import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { collect, described } from "./values.js";

export function declareEnv(program: Program) {
  return program
    .command("env")
    .description("write the .env of a preset from the tenant's current state; changes nothing in the tenant")
    .requiredOption("--template <name>", ".env preset (list: show them)")
    .addOption(described(new Option("--api-identifier <url>", "the API whose audience the .env names"), "--server-url"))
    .option("--server-url <url>", "the MCP server's public URL")
    .option("--env-path <path>", "where to write the .env", ".env")
    .option("--follow-symlinks", "when the .env path is a symbolic link, write its target (refused otherwise)")
    .addOption(described(new Option("--app-name <name>", "proxy presets: the application to read"), '"<API name> (MCP proxy)"'))
    .option("--api-base-url <url>", "cloudflare and auth0-obo presets: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .addOption(
      described(
        new Option("--downstream-api <identifier[=scopes]>", "auth0-obo preset: the API the MCP server exchanges the user's token for").argParser(collect),
        "the .env's API_AUTH0_AUDIENCE, or the config file's downstreamApis",
      ),
    );
}

export type EnvFlags = FlagsOf<typeof declareEnv>;
