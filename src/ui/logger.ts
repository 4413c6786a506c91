import type { Writable } from "node:stream";
import { Chalk } from "chalk";
import { jsonText, visible } from "../untrusted.js";
import { wrapToWidth } from "./wrap.js";

/** The program's own styles: the logger applies them, after escaping the text they style. */
export type Style = "green" | "yellow" | "red" | "dim" | "bold" | "cyan";

/** A part of a line shown in one of the program's styles. */
export interface Styled {
  readonly style: Style;
  readonly text: string;
}

export const styled = (style: Style, text: string): Styled => ({ style, text });

/**
 * One line of human output: text, or spans of which some are styled. There is no way to hand the
 * logger a terminal escape or a line break: every span is made visible (src/untrusted.ts) before its
 * style is applied, so a name from a tenant can neither colour, clear nor forge a line. Text of
 * several lines is given as several lines.
 */
export type Line = string | Styled | ReadonlyArray<string | Styled>;

/**
 * The one place output goes through. Human text, warnings and spinners go to stderr; stdout is
 * reserved for the `--json` document so that `mcp-auth0 … --json | jq` always parses.
 */
export interface Logger {
  /** Each argument is one line. */
  info(...lines: Line[]): void;
  success(line: Line): void;
  warn(line: Line): void;
  error(line: Line): void;
  /** Only with --verbose. */
  debug(message: string): void;
  /** A step that takes time: a spinner on a TTY, one line otherwise. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** The single JSON document of --json: exact once parsed, and safe on a terminal. */
  json(value: unknown): void;
  /** Lines for programs on stdout (shell completion candidates, --show-secret), made visible like every other line. */
  print(...lines: string[]): void;
  /**
   * Lines to read, not to copy (the plan, the presets): wrapped at word boundaries to the width of
   * the terminal, so that it never breaks a word in two. Never a command a person pastes: a
   * wrapped command pastes as two.
   */
  prose(...lines: Line[]): void;
  readonly verbose: boolean;
}

export interface LoggerOptions {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  color: boolean;
  verbose: boolean;
  /** Spinners need a TTY and are noise in CI logs. */
  spinners: boolean;
}

const spansOf = (line: Line): ReadonlyArray<string | Styled> => (typeof line === "string" || "style" in line ? [line] : line);

const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });

/** A line as the terminal receives it: each span made visible, then styled (colour only when `color`). */
export function formatLine(line: Line, color: boolean): string {
  const chalk = color ? coloured : plain;
  return spansOf(line)
    .map((span) => (typeof span === "string" ? visible(span) : chalk[span.style](visible(span.text))))
    .join("");
}

export function createLogger(options: LoggerOptions): Logger {
  const { color } = options;
  const write = (stream: Writable, lines: Line[]) => {
    if (lines.length) stream.write(lines.map((l) => `${formatLine(l, color)}\n`).join(""));
  };
  const line = (l: Line) => write(options.stderr, [l]);
  const marked = (mark: Styled, l: Line): Line => [mark, " ", ...spansOf(l)];
  const ok = styled("green", "✔");
  const failed = styled("red", "✖");
  let spinning = false;
  const columns = options.stderr.isTTY ? options.stderr.columns : undefined;
  const wrapWidth = typeof columns === "number" && columns > 0 ? columns : undefined;
  return {
    verbose: options.verbose,
    info: (...lines) => write(options.stderr, lines),
    prose: (...lines) => {
      if (lines.length) options.stderr.write(`${wrapToWidth(lines.map((l) => formatLine(l, color)).join("\n"), wrapWidth)}\n`);
    },
    success: (l) => line(marked(ok, l)),
    warn: (l) => line(marked(styled("yellow", "⚠"), l)),
    error: (l) => line(marked(failed, l)),
    debug: (m) => {
      if (options.verbose) line(styled("dim", m));
    },
    json: (value) => options.stdout.write(`${jsonText(value)}\n`),
    print: (...lines) => write(options.stdout, lines),
    async step(label, work) {
      // Apply's steps may overlap: one spinner at a time, the others as lines. A spinner redraws its
      // line by the terminal's width: with a width of 0 or none (docker run -t before a resize, some
      // CI ptys) ora writes "\x1b[0K" without end. Plain lines then.
      const width = options.stderr.columns;
      if (!options.spinners || spinning || !(typeof width === "number" && width > 0)) {
        try {
          const result = await work();
          line(marked(ok, label));
          return result;
        } catch (error) {
          line(marked(failed, label));
          throw error;
        }
      }
      spinning = true;
      const { default: ora } = await import("ora");
      // ora prints its text as it is: the label is made visible first, like every line.
      const text = visible(label);
      const spinner = ora({ text, stream: options.stderr, color: "cyan" }).start();
      try {
        const result = await work();
        spinner.succeed(text);
        return result;
      } catch (error) {
        spinner.fail(text);
        throw error;
      } finally {
        spinning = false;
      }
    },
  };
}
