#!/usr/bin/env node
import { readFileSync } from "node:fs";

/**
 * `--help`, `-h`, `--version` and `<command> --help` are answered from the texts the build
 * generated from the commander program (scripts/gen-help.mjs), so they start as fast as a bare
 * `node`: no command framework is loaded. A terminal narrower than those texts gets commander's
 * own, wrapped to its width.
 */
function prebuiltAnswer(argv) {
  if (!argv.length || !/^(-h|--help|-V|--version)$/.test(argv.at(-1))) return undefined;
  if (process.stdout.isTTY && process.stdout.columns < 80) return undefined;
  try {
    const answers = JSON.parse(readFileSync(new URL("../dist/help.json", import.meta.url), "utf8"));
    return Object.hasOwn(answers, argv.join(" ")) ? answers[argv.join(" ")] : undefined;
  } catch {
    return undefined;
  }
}

const argv = process.argv.slice(2);
const answer = prebuiltAnswer(argv);
const code = answer ? (process.stdout.write(answer.stdout), process.stderr.write(answer.stderr), answer.code) : await (await import("../dist/cli.js")).runCli(argv);
// The auth0 SDK leaves its per-request timer running when a request fails, which would keep the
// process alive for minutes after the work is done: exit once stdout and stderr are flushed.
process.exitCode = code;
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
