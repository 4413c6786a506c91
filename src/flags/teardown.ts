import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { described } from "./values.js";

export function declareTeardown(program: Program) {
  return program
    .command("teardown")
    .description(
      "remove what the config file declares: the API and its default grant, the roles it lists, domain-level promotion of its connections; never a third-party client (tpc_ or is_first_party false), never anything it does not name. Without a terminal (CI, a pipe) it needs an explicit --yes",
    )
    .addOption(described(new Option("--config <file>", "config file"), "mcp-auth0.config.yaml in this directory"))
    .option("--reset-tenant-settings", "also turn off the tenant settings init turned on (DCR, compatibility profile, iss, consent descriptions, CIMD)")
    .option("--remove-clients", "also delete the CIMD clients init imported for the file's clients (kept otherwise)");
}

export type TeardownFlags = FlagsOf<typeof declareTeardown>;
