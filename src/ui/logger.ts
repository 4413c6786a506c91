import type { Writable } from "node:stream";
import { Chalk, type ChalkInstance } from "chalk";

/**
 * The one place output goes through. Human text, warnings and spinners go to stderr; stdout is
 * reserved for the `--json` document so that `mcp-auth0 … --json | jq` always parses.
 */
export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Only with --verbose. */
  debug(message: string): void;
  /** A step that takes time: a spinner on a TTY, one line otherwise. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** The single JSON document of --json. */
  json(value: unknown): void;
  readonly color: boolean;
  readonly verbose: boolean;
  /** The terminal's width, when stderr is one that reports it: long texts (the plan) are wrapped to it. */
  readonly width?: number;
}

export interface LoggerOptions {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  color: boolean;
  verbose: boolean;
  /** Spinners need a TTY and are noise in CI logs. */
  spinners: boolean;
}

export type Paint = Pick<ChalkInstance, "green" | "yellow" | "red" | "dim" | "bold" | "cyan">;

export function paint(color: boolean): Paint {
  return new Chalk({ level: color ? 1 : 0 });
}

export function createLogger(options: LoggerOptions): Logger {
  const p = paint(options.color);
  const line = (text: string) => options.stderr.write(`${text}\n`);
  let spinning = false;
  const columns = options.stderr.isTTY ? options.stderr.columns : undefined;
  return {
    color: options.color,
    verbose: options.verbose,
    width: typeof columns === "number" && columns > 0 ? columns : undefined,
    info: (m) => line(m),
    success: (m) => line(`${p.green("✔")} ${m}`),
    warn: (m) => line(`${p.yellow("⚠")} ${m}`),
    error: (m) => line(`${p.red("✖")} ${m}`),
    debug: (m) => {
      if (options.verbose) line(p.dim(m));
    },
    json: (value) => options.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    async step(label, work) {
      // Apply's steps may overlap: one spinner at a time, the others as lines. A spinner redraws its
      // line by the terminal's width: with a width of 0 or none (docker run -t before a resize, some
      // CI ptys) ora writes "\x1b[0K" without end. Plain lines then.
      const width = options.stderr.columns;
      if (!options.spinners || spinning || !(typeof width === "number" && width > 0)) {
        try {
          const result = await work();
          line(`${p.green("✔")} ${label}`);
          return result;
        } catch (error) {
          line(`${p.red("✖")} ${label}`);
          throw error;
        }
      }
      spinning = true;
      const { default: ora } = await import("ora");
      const spinner = ora({ text: label, stream: options.stderr, color: "cyan" }).start();
      try {
        const result = await work();
        spinner.succeed(label);
        return result;
      } catch (error) {
        spinner.fail(label);
        throw error;
      } finally {
        spinning = false;
      }
    },
  };
}
