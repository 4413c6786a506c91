import { Option } from "@commander-js/extra-typings";
import { INIT_MODES } from "../input/modes.js";
import type { FlagsOf, Program } from "./program.js";

/** `credentials create`, with the `credentials` group it belongs to. */
export function declareCredentialsCreate(program: Program) {
  return program
    .command("credentials")
    .description("the machine-to-machine application mcp-auth0 runs as")
    .command("create")
    .description(
      "from a short-lived Management API token (--token), create the application mcp-auth0 runs as, granted exactly the scopes the chosen commands need; matched by name",
    )
    .option("--name <name>", "the application's name, matched exactly", "mcp-auth0")
    .option(
      "--scopes-for <commands>",
      "comma-separated: init, roles, obo, doctor, teardown, plan, promote-connection, env (roles also covers init's and teardown's roles; obo their --downstream-api / downstreamApis)",
      "init",
    )
    .addOption(new Option("--mode <mode>", "the init mode the scopes are for").choices(INIT_MODES).default("dcr"))
    .option("--env-path <path>", "write AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to this file (0600 when created; other lines kept)")
    .option("--show-secret", "print the three variables, the secret included, on stdout");
}

export type CredentialsCreateFlags = FlagsOf<typeof declareCredentialsCreate>;
