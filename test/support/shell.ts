import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";

/** The body of the first fenced code block under the heading `## <heading>` of a Markdown text. */
export function codeBlockUnder(markdown: string, heading: string): string {
  const start = markdown.search(new RegExp(`^#+ ${heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m"));
  if (start < 0) throw new Error(`No heading "${heading}"`);
  const fence = /^```[^\n]*\n([\s\S]*?)^```/m.exec(markdown.slice(start));
  if (!fence) throw new Error(`No code block under "${heading}"`);
  return fence[1]!;
}

/**
 * Splits one POSIX shell command line into words the way sh does for the simple commands a README
 * holds: single and double quotes, backslash escapes, and a `#` comment at the start of a word.
 * Anything beyond that (pipes, redirections, `$`, `;`, `&&`, line continuations) is refused, so a
 * README that grows one fails this test loudly instead of being run differently than written.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`Unterminated ' in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let text = "";
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && '"\\$`'.includes(line[i + 1] ?? "")) text += line[++i];
        else if ("$`".includes(line[i]!)) throw new Error(`Expansion in a double-quoted word is not supported: ${line}`);
        else text += line[i];
      }
      if (i >= line.length) throw new Error(`Unterminated " in: ${line}`);
      word = (word ?? "") + text;
    } else if (ch === "\\") {
      if (i + 1 >= line.length) throw new Error(`Line continuation is not supported: ${line}`);
      word = (word ?? "") + line[++i];
    } else if (ch === " " || ch === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "#" && word === undefined) {
      break;
    } else if ("|&;<>()$`*?[]{}~".includes(ch)) {
      throw new Error(`Shell syntax "${ch}" is not supported: ${line}`);
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The arguments after `npx mcp-auth0` of a printed command (each starts so, to run as printed wherever the tool is installed). */
export function cliArgs(line: string): string[] {
  const words = shellWords(line);
  if (words[0] !== "npx" || words[1] !== "mcp-auth0") throw new Error(`Not an npx mcp-auth0 command: ${line}`);
  return words.slice(2);
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process whose output is collected as it comes. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears on stdout or stderr; rejects if the process ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<Finished>;
}

export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  // No stdin, like CI: the CLI must not wait for a terminal.
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.on("data", (chunk: Buffer) => ((out += chunk.toString("utf8")), notify()));
  child.stderr!.on("data", (chunk: Buffer) => ((err += chunk.toString("utf8")), notify()));
  const exited = new Promise<Finished>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out) ?? pattern.exec(err);
          if (match) done(() => resolve(match));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`Timed out waiting for ${pattern} from ${command} ${args.join(" ")}\nstderr:\n${err}\nstdout:\n${out}`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        void exited.then((f) =>
          done(() => reject(new Error(`${command} ${args.join(" ")} ended (code ${f.code}, signal ${f.signal}) before printing ${pattern}\nstderr:\n${f.stderr}`))),
        );
        check();
      }),
  };
}

/** Runs a command to its end. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Finished> {
  return start(command, args, options).exited;
}
