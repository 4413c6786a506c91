import { PassThrough } from "node:stream";
import { runCli } from "../../src/cli.js";
import type { Prompter } from "../../src/ui/prompts.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A writable stream that keeps what was written, as a terminal would show it. */
export class Capture extends PassThrough {
  text = "";
  isTTY = false;
  constructor() {
    super();
    this.on("data", (chunk: Buffer) => (this.text += chunk.toString("utf8")));
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The local tenant's CA, trusted in-process (what --local does for real users). */
  ca?: string;
  /** Scripted answers; any prompt not scripted fails the run. Implies an interactive terminal. */
  prompter?: Prompter;
  /** Receives the run's Ctrl-C listener (instead of SIGINT), for the test to press Ctrl-C. */
  onInterrupt?: (listener: () => void) => () => void;
}

/** Runs the CLI in-process, as the binary would, with captured output and exit code. */
export async function cli(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr,
    stdinIsTTY: options.prompter !== undefined,
    prompter: options.prompter,
    ca: options.ca,
    ...(options.onInterrupt ? { onInterrupt: options.onInterrupt } : {}),
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: stdout.text, stderr: stderr.text };
}

type Answer = string | boolean | unknown[];

/**
 * A prompter that answers from a script, in order, matching each question's text. A question that
 * is not next in the script fails the test, so the interactive path can never hang or drift.
 * An answer the question's validator rejects is asked again, as the terminal does: the next step
 * of the script answers the same question, and `rejected` keeps the messages shown.
 */
export function scriptedPrompter(
  script: Array<[RegExp, Answer]>,
): Prompter & { remaining(): number; asked: string[]; rejected: string[]; ticked: Array<{ message: string; values: unknown[] }> } {
  const queue = [...script];
  const asked: string[] = [];
  /** What each checkbox offered ticked, in order. */
  const ticked: Array<{ message: string; values: unknown[] }> = [];
  const rejected: string[] = [];
  const next = (message: string): Answer => {
    asked.push(message);
    const step = queue.shift();
    if (!step) throw new Error(`Unexpected prompt: "${message}"`);
    if (!step[0].test(message)) throw new Error(`Unexpected prompt: "${message}" (expected ${step[0]})`);
    return step[1];
  };
  return {
    interactive: true,
    asked,
    rejected,
    ticked,
    remaining: () => queue.length,
    input: async (p) => {
      for (;;) {
        const answer = next(p.message) as string;
        const value = answer === "" && p.default !== undefined ? p.default : answer;
        const valid = await p.validate?.(value);
        if (typeof valid !== "string") return value;
        rejected.push(valid);
      }
    },
    password: async (p) => next(p.message) as string,
    confirm: async (p) => next(p.message) as boolean,
    checkbox: async <T>(p: { message: string; choices: Array<{ value: T; checked?: boolean }> }) => {
      ticked.push({ message: p.message, values: p.choices.filter((c) => c.checked).map((c) => c.value) });
      return next(p.message) as T[];
    },
    select: async <T>(p: { message: string }) => next(p.message) as T,
  };
}
