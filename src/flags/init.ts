import { Option } from "@commander-js/extra-typings";
import { INIT_MODES } from "../input/modes.js";
import { CLIENT_NAMES } from "../clients/catalogue.js";
import type { FlagsOf, Program } from "./program.js";
import { collect, described } from "./values.js";

export function declareInit(program: Program) {
  return program
    .command("init")
    .description("provision the tenant for an MCP server: DCR, the API, the default grant, connections, roles, and the server's .env")
    .addOption(described(new Option("--api-identifier <url>", "the API identifier = audience = the MCP server's resource URL"), "--server-url"))
    .addOption(described(new Option("--api-name <name>", "the API's name"), '"MCP Server"'))
    .option("--scopes <list>", "comma-separated scopes, each value or value=description")
    .option("--connections <list>", "comma-separated connection names or ids: promoted to domain level (dcr), enabled for the application (proxy)")
    .option("--roles <file>", "roles file (YAML or JSON)")
    .option("--role-users <emails>", 'comma-separated emails: one role with every scope of the API ("<API name> User"), held by these users (instead of --roles)')
    .option("--server-url <url>", "the MCP server's public URL, written to the .env")
    .addOption(described(new Option("--env-path <path>", "where to write the .env"), ".env"))
    .option("--follow-symlinks", "when the .env path is a symbolic link, write its target (refused otherwise)")
    .addOption(
      described(
        new Option("--template <name>", ".env preset (list: show every preset with its framework and mode)"),
        "auth0, or auth0-obo with --downstream-api; --mode proxy needs one",
      ),
    )
    .option("--default-audience", "make this API the tenant's default audience even if another API is")
    .option("--no-default-audience", "never touch the tenant's default audience")
    .option("--cimd", "also enable Client ID Metadata Documents")
    .option("--clients <names>", `comma-separated MCP clients (${CLIENT_NAMES.join(", ")}): imports the CIMD ones (turning CIMD on); the others keep DCR`)
    .option("--cimd-client <url>", "import an MCP client's metadata URL as a CIMD client (repeatable; implies --cimd)", collect)
    .addOption(
      described(new Option("--mode <mode>", "dcr: MCP clients register themselves; proxy: the MCP server logs users in with a Regular Web Application").choices(INIT_MODES), "dcr"),
    )
    .option("--callback-url <url>", "proxy mode: a callback URL of the MCP server's OAuth proxy (repeatable)", collect)
    .addOption(described(new Option("--app-name <name>", "proxy mode: the application's name, matched exactly"), '"<API name> (MCP proxy)"'))
    .option(
      "--downstream-api <identifier[=scopes]>",
      "an API the MCP server calls on the user's behalf (On-Behalf-Of token exchange): its Custom API client, the API (created when missing) and the grant; scopes as --scopes (repeatable)",
      collect,
    )
    .option("--api-base-url <url>", "cloudflare and auth0-obo presets: the URL of the API the MCP server's tools call (API_BASE_URL)")
    .addOption(described(new Option("--config <file>", "config file; flags override its values"), "mcp-auth0.config.yaml in this directory, if any"));
}

export type InitFlags = FlagsOf<typeof declareInit>;
