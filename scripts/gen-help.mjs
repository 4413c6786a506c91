#!/usr/bin/env node
// Writes dist/help.json: what `--help`, `-h`, `--version` and `<command> --help` print, generated
// from the commander program itself, so that bin/mcp-auth0.js answers them without loading the
// command framework (SPEC §6) and the texts always match src/cli.ts. Run by `npm run build`.
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";

// Commander wraps help to the terminal's width when stdout is a terminal: generate what it prints
// to a pipe (80 columns), whatever terminal the build runs in.
Object.defineProperty(process.stdout, "isTTY", { value: false, configurable: true });
const { runCli } = await import("../dist/cli.js");
const root = resolve(import.meta.dirname, "..");

async function run(argv) {
  const capture = () => {
    const stream = new PassThrough();
    stream.text = "";
    stream.on("data", (chunk) => (stream.text += chunk));
    return stream;
  };
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr, env: {}, stdinIsTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The commands a help text lists (its "Commands:" section), without commander's own `help`. */
function commandsOf(help) {
  const section = help.split(/^Commands:\n/m)[1] ?? "";
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((name) => name !== "help");
}

const answers = {};
async function add(path) {
  for (const flag of ["--help", "-h"]) answers[[...path, flag].join(" ")] = await run([...path, flag]);
  for (const name of commandsOf(answers[[...path, "--help"].join(" ")].stdout)) await add([...path, name]);
}
await add([]);
for (const flag of ["--version", "-V"]) answers[flag] = await run([flag]);
await writeFile(join(root, "dist", "help.json"), `${JSON.stringify(answers)}\n`);
