import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { described } from "./values.js";

export function declarePlan(program: Program) {
  return program
    .command("plan")
    .description("print the plan for the config file without applying it; --check exits 5 when the tenant differs (drift, for CI)")
    .addOption(described(new Option("--config <file>", "config file"), "mcp-auth0.config.yaml in this directory"))
    .option("--check", "exit 5 when the tenant differs from the file, 0 when it matches");
}

export type PlanFlags = FlagsOf<typeof declarePlan>;
