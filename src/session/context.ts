import type { Writable } from "node:stream";
import { createLogger, type Logger } from "../ui/logger.js";
import { nonInteractivePrompter, terminalPrompter, type Prompter } from "../ui/prompts.js";
import type { GlobalOptions } from "../flags/program.js";
import type { StopSignal } from "../errors.js";

/** What the outside world gives a command: injected in tests, real in the binary. */
export interface Deps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  stdinIsTTY: boolean;
  /** Replaces the terminal prompter (tests script the answers). */
  prompter?: Prompter;
  /** The fetch under the HTTP layer (nock's global fetch when absent). */
  fetch?: typeof fetch;
  /** An extra CA to trust in-process (the local tenant's), besides --local. */
  ca?: string;
  /**
   * Subscribes to Ctrl-C outside prompts and to the other stop signals (SIGINT, SIGTERM, SIGHUP);
   * returns the unsubscribe. Tests trigger it directly (no signal given: Ctrl-C).
   */
  onInterrupt?: (listener: (signal?: StopSignal) => void) => () => void;
}

/**
 * Where a run is, for Ctrl-C (and SIGTERM, SIGHUP): before the first write (nothing changed),
 * applying (finish the change in progress, then stop), or after (already applied). Shared by
 * runCli's signal listener and executePlan.
 */
export interface RunControl {
  phase: "before" | "applying" | "after";
  /** The signal that asked the run to stop. */
  stopRequested?: StopSignal;
  /** A command that stops on Ctrl-C by itself (dev): the run's listener leaves the signal to it. */
  handlesInterrupt?: boolean;
  /** The tenant the run talks to, once known (session/target.ts): error messages and printed commands name it. */
  domain?: string;
}

/** The global flags, declared (and their type inferred) in src/flags/program.ts. */

/** What a command is given; it never changes it (the run's changing state is in `control`). */
export interface Context {
  readonly options: Readonly<GlobalOptions>;
  readonly deps: Deps;
  readonly logger: Logger;
  readonly prompter: Prompter;
  readonly interactive: boolean;
  readonly control: RunControl;
}

export function createContext(options: GlobalOptions, deps: Deps, control: RunControl = { phase: "before" }): Context {
  // SPEC §3: --yes, CI or a stdin that is not a terminal all mean: never prompt.
  const interactive = !options.yes && !deps.env.CI && deps.stdinIsTTY && !options.json;
  const color = options.color !== false && !deps.env.NO_COLOR && !options.json && deps.stderr.isTTY === true;
  const logger = createLogger({ stdout: deps.stdout, stderr: deps.stderr, color, verbose: options.verbose === true, spinners: color && interactive });
  const prompter = interactive ? (deps.prompter ?? terminalPrompter(deps.stderr)) : nonInteractivePrompter;
  return { options, deps, logger, prompter, interactive, control };
}
