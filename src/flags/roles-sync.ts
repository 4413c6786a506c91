import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { described } from "./values.js";

/** `roles sync`, with the `roles` group it belongs to. */
export function declareRolesSync(program: Program) {
  const roles = program.command("roles").description("manage the roles that grant this API's permissions");
  return roles
    .command("sync")
    .description("create and update the roles of a roles file: descriptions, this API's permissions, users by email")
    .requiredOption("--file <file>", "roles file (YAML or JSON)")
    .addOption(
      described(new Option("--api-identifier <url>", "the API whose permissions the roles grant"), "AUTH0_AUDIENCE of the environment or ./.env, or the config file's API"),
    )
    .option("--prune", "also remove this API's permissions that the file does not list, from the roles it lists", false);
}

export type RolesSyncFlags = FlagsOf<typeof declareRolesSync>;
