#!/usr/bin/env node
"use strict";
// CommonJS (bin/package.json): a CommonJS entry starts faster than an ES module one, and this file
// only reads a JSON file or hands over to the ES modules of dist/.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

/**
 * `--help`, `-h`, `--version` and `<command> --help` are answered from the texts the build
 * generated from the commander program (scripts/gen-help.mjs), so they start as fast as a bare
 * `node`: no command framework is loaded. A terminal narrower than those texts (80 columns) gets
 * commander's own, wrapped to its width.
 */
function prebuiltAnswer(argv) {
  if (!argv.length || !/^(-h|--help|-V|--version)$/.test(argv[argv.length - 1])) return undefined;
  if (process.stdout.isTTY && process.stdout.columns < 80) return undefined;
  try {
    const answers = JSON.parse(readFileSync(join(__dirname, "..", "dist", "help.json"), "utf8"));
    return Object.hasOwn(answers, argv.join(" ")) ? answers[argv.join(" ")] : undefined;
  } catch {
    return undefined;
  }
}

function exit(code) {
  // The auth0 SDK leaves its per-request timer running when a request fails, which would keep the
  // process alive for minutes after the work is done: exit once stdout and stderr are flushed.
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

const argv = process.argv.slice(2);
const answer = prebuiltAnswer(argv);
if (answer) {
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  exit(answer.code);
} else {
  import("../dist/cli.js").then(({ runCli }) => runCli(argv)).then(exit);
}
