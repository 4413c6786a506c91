import { spawn } from "node:child_process";

/*
 * A real pseudo-terminal for tests, from script(1) (util-linux, in every Debian base system): the
 * child sees a TTY on stdin, stdout and stderr, raw mode and Ctrl-C behave as in a terminal — a
 * prompt reads ^C as a key, and outside raw mode the terminal turns it into SIGINT. What the
 * program draws is replayed on a small screen model, so a test reads the screen a person sees.
 */

export const KEY = { enter: "\r", ctrlC: "\x03", down: "\x1b[B", space: " ", backspace: "\x7f" } as const;

/** The screen a terminal shows after `output`: cursor moves and erasures applied, colours dropped. */
export function renderScreen(output: string, columns = 100): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  let saved = { row: 0, col: 0 };
  const line = () => (lines[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === "\x1b") {
      const csi = /^\x1b\[([?\d;]*)([A-Za-z])/.exec(output.slice(i, i + 16));
      if (csi) {
        i += csi[0].length - 1;
        const n = Number(csi[1]!.replace("?", "").split(";")[0] || "0");
        switch (csi[2]) {
          case "A":
            row = Math.max(0, row - (n || 1));
            break;
          case "B":
            row += n || 1;
            break;
          case "C":
            col += n || 1;
            break;
          case "D":
            col = Math.max(0, col - (n || 1));
            break;
          case "G":
            col = Math.max(0, (n || 1) - 1);
            break;
          case "K":
            if (n === 2) lines[row] = [];
            else if (n === 1) line().fill(" ", 0, col);
            else line().length = Math.min(line().length, col);
            break;
          case "J":
            line().length = Math.min(line().length, col);
            lines.length = Math.min(lines.length, row + 1);
            break;
        }
      } else if (output[i + 1] === "7") {
        saved = { row, col };
        i++;
      } else if (output[i + 1] === "8") {
        ({ row, col } = saved);
        i++;
      } else i++;
      continue;
    }
    if (ch === "\r") col = 0;
    else if (ch === "\n") row++;
    else if (ch === "\b") col = Math.max(0, col - 1);
    else if (ch >= " ") {
      if (col >= columns) {
        row++;
        col = 0;
      }
      const l = line();
      while (l.length < col) l.push(" ");
      l[col++] = ch;
    }
  }
  const text = Array.from(lines, (l) => (l ?? []).join("").trimEnd());
  while (text.length && !text[text.length - 1]) text.pop();
  return text.join("\n");
}

/** Text without escape sequences: for waiting on what was printed since the last key. */
const plain = (s: string) => s.replace(/\x1b\[[?\d;]*[A-Za-z]|\x1b[78]/g, "").replace(/\r/g, "");

export interface Terminal {
  /** Sends keys; output from then on is what `waitFor` searches. */
  type(keys: string): void;
  /** Resolves when `pattern` shows up in what was printed since the last keys. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  screen(): string;
  exited: Promise<number | null>;
  pid: number | undefined;
}

export function startInTerminal(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv; columns?: number }): Terminal {
  const columns = options.columns ?? 100;
  const command = [`stty cols ${columns} rows 50`, `exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ")}`].join("; ");
  // -q: no "Script started" lines; -e: script exits with the child's code; /dev/null: no typescript file.
  const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let sinceKeys = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    sinceKeys += text;
    listeners.forEach((l) => l());
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  return {
    pid: child.pid,
    type(keys) {
      sinceKeys = "";
      child.stdin.write(keys);
    },
    screen: () => renderScreen(output, columns),
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(plain(sinceKeys))) done(resolve);
        };
        const timer = setTimeout(() => done(() => reject(new Error(`Timed out waiting for ${pattern}. Screen:\n${renderScreen(output, columns)}`))), timeoutMs);
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        void exited.then((code) =>
          done(() => (pattern.test(plain(sinceKeys)) ? resolve() : reject(new Error(`Exited (${code}) before ${pattern}. Screen:\n${renderScreen(output, columns)}`)))),
        );
        check();
      });
    },
  };
}
