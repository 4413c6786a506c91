import type { FlagsOf, Program } from "./program.js";

export function declarePromoteConnection(program: Program) {
  return program
    .command("promote-connection")
    .description(
      'promote connections to domain level. DCR clients are third-party clients: they can log users in only through domain-level connections (otherwise "no connections enabled for the client")',
    )
    .argument("[connections...]", "connection names or ids (none: choose from a list)")
    .option("--demote", "remove domain-level status instead");
}

export type PromoteConnectionFlags = FlagsOf<typeof declarePromoteConnection>;
