import { Option } from "@commander-js/extra-typings";
import { INIT_MODES } from "../input/modes.js";
import { CLIENT_NAMES } from "../clients/catalogue.js";
import type { FlagsOf, Program } from "./program.js";
import { collect, described } from "./values.js";

export function declareDoctor(program: Program) {
  return program
    .command("doctor")
    .description("check, read-only, everything an MCP client meets in the tenant (and the MCP server), and say what to fix")
    .addOption(described(new Option("--api-identifier <url>", "the MCP server's API identifier"), "AUTH0_AUDIENCE of the environment or the .env, or the config file's API"))
    .option("--server-url <url>", "also check the MCP server: 401 challenge and protected-resource metadata (env MCP_SERVER_URL)")
    .option("--connections <list>", "connections that should be domain level")
    .addOption(
      described(
        new Option("--client [names]", `also check what these MCP clients meet (${CLIENT_NAMES.join(", ")}): a CIMD client's /authorize request, a DCR client's conditions`),
        "the config file's clients, else every one",
      ),
    )
    .option("--env-path <path>", "the MCP server's .env to read AUTH0_AUDIENCE (and its preset) from", ".env")
    .addOption(
      described(new Option("--mode <mode>", "proxy checks the Regular Web Application instead of DCR").choices(INIT_MODES), "proxy when the .env is a proxy preset's, else dcr"),
    )
    .option("--app-name <name>", 'proxy mode: the application to check (default: the .env\'s client id, else "<API name> (MCP proxy)")')
    .addOption(
      described(
        new Option("--downstream-api <identifier[=scopes]>", "also check the On-Behalf-Of exchange for this API: Custom API client, grant, consent, roles (repeatable)").argParser(
          collect,
        ),
        "the .env's API_AUTH0_AUDIENCE (auth0-obo preset), or the config file's downstreamApis",
      ),
    );
}

export type DoctorFlags = FlagsOf<typeof declareDoctor>;
