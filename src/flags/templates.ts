import type { FlagsOf, Program } from "./program.js";

export function declareTemplates(program: Program) {
  return program.command("templates").description("list the .env presets: the framework each is for, its mode and its variables");
}

export type TemplatesFlags = FlagsOf<typeof declareTemplates>;
