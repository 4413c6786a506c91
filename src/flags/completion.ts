import type { FlagsOf, Program } from "./program.js";

export function declareCompletion(program: Program) {
  return program
    .command("completion")
    .description("print a shell completion script: source <(mcp-auth0 completion bash) (zsh alike), mcp-auth0 completion fish | source")
    .argument("<shell>", "bash, zsh or fish");
}

export type CompletionFlags = FlagsOf<typeof declareCompletion>;
