import { CommanderError, type Command, type OptionValues } from "@commander-js/extra-typings";
import { readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { CancelledError, CliError, ExitCode, exitCodeName, STOP_SIGNALS, stopCause, type StopSignal } from "./errors.js";
import { jsonText, visible } from "./untrusted.js";
import type { Context, Deps, RunControl } from "./session/context.js";
import { declareProgram, type Program } from "./flags/program.js";
import { declareInit } from "./flags/init.js";
import { declareEnv } from "./flags/env.js";
import { declareTemplates } from "./flags/templates.js";
import { declarePromoteConnection } from "./flags/promote-connection.js";
import { declareRolesSync } from "./flags/roles-sync.js";
import { declarePlan } from "./flags/plan.js";
import { declareTeardown } from "./flags/teardown.js";
import { declareDoctor } from "./flags/doctor.js";
import { declareTry } from "./flags/try.js";
import { declareDev } from "./flags/dev.js";
import { declareCredentialsCreate } from "./flags/credentials.js";
import { declareCompletion } from "./flags/completion.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

/** A command's run function: its flags as commander parsed them (src/flags/), the run's context, its arguments. */
type Runner<Flags> = (flags: Flags, ctx: Context, args: string[]) => Promise<number>;

/**
 * Builds the program: the declarations of src/flags/, each wired to its command. Command modules
 * (and the Auth0 SDK, prompts, zod behind them) are imported only when their command runs.
 */
export function buildProgram(deps: Deps, control: RunControl, setExit: (code: number) => void, stdoutUsedNow: () => boolean): Program {
  // Set before the subcommands are added: they inherit both.
  const program = declareProgram(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      // A usage error quotes what was typed: made visible like every other line.
      writeErr: (s) => deps.stderr.write(s.split("\n").map(visible).join("\n")),
      // Help wraps to the width of the terminal it goes to (the one given, in tests), 80 columns otherwise.
      getOutHelpWidth: () => widthOf(deps.stdout),
      getErrHelpWidth: () => widthOf(deps.stderr),
    });

  const wire = <Args extends unknown[], Flags extends OptionValues, G extends OptionValues>(command: Command<Args, Flags, G>, load: () => Promise<Runner<Flags>>) =>
    command.action(async (...args) => {
      const { createContext } = await import("./session/context.js");
      // The global options live on the program, which declares them.
      const ctx = createContext(program.opts(), deps, control);
      const run = await load();
      try {
        setExit(
          await run(
            command.opts(),
            ctx,
            (args.slice(0, -2) as unknown[]).flat().filter((a): a is string => typeof a === "string"),
          ),
        );
      } catch (error) {
        const { toCliError } = await import("./tenant/errors.js");
        setExit(reportError(toCliError(error, ctx.control.domain ?? "the tenant"), ctx, error, stdoutUsedNow()));
      }
    });

  wire(declareInit(program), async () => (await import("./commands/init.js")).runInit);
  wire(declareEnv(program), async () => (await import("./commands/env.js")).runEnv);
  wire(declareTemplates(program), async () => (await import("./commands/templates.js")).runTemplates);
  wire(declarePromoteConnection(program), async () => (await import("./commands/promote-connection.js")).runPromoteConnection);
  wire(declareRolesSync(program), async () => (await import("./commands/roles-sync.js")).runRolesSync);
  wire(declarePlan(program), async () => (await import("./commands/plan.js")).runPlan);
  wire(declareTeardown(program), async () => (await import("./commands/teardown.js")).runTeardown);
  wire(declareDoctor(program), async () => (await import("./commands/doctor.js")).runDoctor);
  wire(declareTry(program), async () => (await import("./commands/try.js")).runTry);
  wire(declareDev(program), async () => (await import("./commands/dev.js")).runDev);
  wire(declareCredentialsCreate(program), async () => (await import("./commands/credentials.js")).runCredentialsCreate);
  wire(declareCompletion(program), async () => {
    const { runCompletion } = await import("./commands/completion.js");
    return (flags, ctx, args) => runCompletion(flags, ctx, args, program);
  });

  return program;
}

const widthOf = (stream: Writable & { isTTY?: boolean; columns?: number }) => (stream.isTTY && stream.columns ? stream.columns : 80);

/** The one error sink: every failure becomes a one- or two-line message and an exit code (SPEC §3). */
function reportError(error: unknown, ctx: Pick<Context, "logger" | "options">, original: unknown = error, stdoutUsed = false): number {
  const cli = error instanceof CliError ? error : undefined;
  const lines = cli ? cli.lines : [`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`];
  const message = lines.join("\n");
  const hint = cli ? cli.hint : "Run again with --verbose for details.";
  const [first, ...more] = lines;
  ctx.logger.error(first!);
  ctx.logger.info(...more);
  if (hint) ctx.logger.info(`  ${hint}`);
  if (ctx.options.verbose && original instanceof Error) ctx.logger.info(...stackFrames(original));
  const code = cli?.exitCode ?? ExitCode.failure;
  // A script reading --json gets a document for a failure too, unless the command already printed its own.
  if (ctx.options.json && !stdoutUsed) ctx.logger.json(failureDocument(code, message, hint));
  return code;
}

/** The frames of a stack trace, one line each; its first line, the message (which may quote a tenant's answer), is already shown. */
function stackFrames(error: Error): string[] {
  return (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
}

/** `{ ok: false, error: { code, exitCode, message, hint } }`: `code` is a stable name of the exit code (README, "--json"). */
function failureDocument(exitCode: number, message: string, hint?: string) {
  return { ok: false, error: { code: exitCodeName(exitCode), exitCode, message, ...(hint ? { hint } : {}) } };
}

/**
 * Ctrl-C as a signal (outside a prompt, which takes it as a key), and the signals that stop a run
 * from outside (SIGTERM from `docker stop` or a cancelled CI job, SIGHUP from a closed terminal):
 * all take the same path, so each says what was and was not applied, and --json still prints its
 * document. Handling SIGTERM replaces Node's default of dying at once.
 */
function onStopSignals(listener: (signal: StopSignal) => void): () => void {
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

export async function runCli(argv: string[], overrides: Partial<Deps> = {}): Promise<number> {
  const given: Deps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    ...overrides,
  };
  // Whether stdout already holds a document: a failure then adds none (one document per run).
  let stdoutUsed = false;
  const terminal = given.stdout as Writable & { isTTY?: boolean; columns?: number };
  const stdout = {
    write: (chunk: string | Uint8Array, ...rest: unknown[]) => ((stdoutUsed = true), (given.stdout.write as (...a: unknown[]) => boolean)(chunk, ...rest)),
    // Help is wrapped to the terminal's width.
    isTTY: terminal.isTTY,
    columns: terminal.columns,
  } as unknown as Writable;
  const deps: Deps = { ...given, stdout };
  let exitCode: number = ExitCode.ok;
  const control: RunControl = { phase: "before" };
  const program = buildProgram(
    deps,
    control,
    (code) => (exitCode = code),
    () => stdoutUsed,
  );

  // Ctrl-C (or SIGTERM, SIGHUP) outside a prompt. While changes are applied, the change in progress
  // finishes and apply stops before the next one (executePlan reports what was applied); otherwise
  // the run ends here. The exit code names the signal (130, 143, 129).
  let cancel!: (error: Error) => void;
  const cancelled = new Promise<never>((_, reject) => (cancel = reject));
  const unsubscribe = (deps.onInterrupt ?? onStopSignals)((signal: StopSignal = "SIGINT") => {
    if (control.handlesInterrupt) return;
    if (control.phase === "applying" && !control.stopRequested) {
      deps.stderr.write(`\nStopping after the change in progress (${stopCause(signal)} again to stop at once)…\n`);
      control.stopRequested = signal;
    } else if (control.phase === "applying") {
      // A second Ctrl-C: the person will not wait for a slow write. Its outcome is unknown, which
      // a re-run handles like any interrupted write (it reads the tenant first).
      cancel(
        new CancelledError(
          "Cancelled during a change: it may or may not have taken effect.",
          "Re-run the same command: it reads the tenant first and completes what is missing.",
          signal,
        ),
      );
    } else {
      // The run ends now; work still under way (in-process) must not start a write after it.
      control.stopRequested = signal;
      cancel(
        control.phase === "before"
          ? new CancelledError(signal === "SIGINT" ? undefined : `Stopped (${signal}) — nothing was changed.`, undefined, signal)
          : new CancelledError("Cancelled after the changes above were applied.", "Re-running the same command converges: it changes only what is still missing.", signal),
      );
    }
  });
  try {
    await Promise.race([program.parseAsync(argv, { from: "user" }), cancelled]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      if (error.exitCode === 0) return ExitCode.ok;
      if (argv.includes("--json") && !stdoutUsed) deps.stdout.write(`${jsonText(failureDocument(ExitCode.usage, error.message.replace(/^error: /, "")))}\n`);
      return ExitCode.usage;
    }
    const { createContext } = await import("./session/context.js");
    return reportError(error, createContext(program.opts(), deps, control), error, stdoutUsed);
  } finally {
    unsubscribe();
  }
  return exitCode;
}
