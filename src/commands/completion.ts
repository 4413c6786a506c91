import type { CommandUnknownOpts as Command } from "@commander-js/extra-typings";
import type { Context } from "../session/context.js";
import { openTenant, credentialsFromOptions } from "../session/target.js";
import { ExitCode, InputError } from "../errors.js";
import { nonInteractivePrompter } from "../ui/prompts.js";
import { listTemplates } from "../env/templates.js";
import { INIT_MODES } from "../input/proxy.js";
import { SCOPED_COMMANDS } from "../plan/command-scopes.js";
import { bashScript, fishScript, zshScript, type CompletionSpec } from "../completion/scripts.js";
import type { CompletionFlags } from "../flags/completion.js";

const GENERATORS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

const longFlags = (command: Command) => command.options.flatMap((o) => (o.long ? [o.long] : []));

/** Walks the real program: every command path with its flags, and the flags that take a value. */
export async function completionSpec(program: Command): Promise<CompletionSpec> {
  const commands: CompletionSpec["commands"] = [];
  const groups: CompletionSpec["groups"] = {};
  const valueFlags = new Set(program.options.filter((o) => o.required).flatMap((o) => (o.long ? [o.long] : [])));
  const walk = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      const path = `${prefix}${sub.name()}`;
      for (const o of sub.options) if (o.required && o.long) valueFlags.add(o.long);
      if (sub.commands.length) {
        groups[path] = sub.commands.map((c) => c.name());
        walk(sub, `${path} `);
      } else {
        commands.push({ path, description: sub.description(), flags: longFlags(sub), args: sub.registeredArguments.length > 0 });
      }
    }
  };
  walk(program, "");
  return {
    commands,
    groups,
    globalFlags: [...longFlags(program), "--help"],
    valueFlags: [...valueFlags].sort(),
    presets: (await listTemplates()).map((t) => t.name),
    modes: [...INIT_MODES],
    scopedCommands: [...SCOPED_COMMANDS],
  };
}

/**
 * The tenant's connection names, one a line, for the completion scripts. Completion must never
 * prompt nor hang a shell: without credentials it says nothing, and the script gives it a few
 * seconds at most.
 */
async function printConnections(ctx: Context): Promise<number> {
  const creds = credentialsFromOptions(ctx);
  if (!ctx.options.local && !(creds.domain && (creds.token || (creds.clientId && creds.clientSecret)))) return ExitCode.ok;
  const quiet: Context = { ...ctx, interactive: false, prompter: nonInteractivePrompter, options: { ...ctx.options, timeout: 2 } };
  try {
    const tenant = await openTenant(quiet);
    const { readConnections } = await import("../resources/connections.js");
    ctx.logger.print(...(await readConnections(tenant)).map((c) => c.name!));
  } catch {
    // Unreachable or refused: no names to offer, and nothing to say in the middle of a command line.
  }
  return ExitCode.ok;
}

/** `completion bash|zsh|fish`: the script on stdout; `completion connections` is what the scripts call. */
/** `program` is the CLI's own commander program, handed in by cli.ts: completion describes exactly it. */
export async function runCompletion(_flags: CompletionFlags, ctx: Context, args: string[], program: Command): Promise<number> {
  const shell = args[0];
  if (shell === "connections") return printConnections(ctx);
  if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
    throw new InputError(
      `completion ${shell ?? ""}: name a shell (bash, zsh or fish).`.replace("  ", " "),
      "E.g. source <(mcp-auth0 completion bash), or mcp-auth0 completion fish | source.",
    );
  }
  const spec = await completionSpec(program);
  ctx.deps.stdout.write(GENERATORS[shell](spec));
  return ExitCode.ok;
}
