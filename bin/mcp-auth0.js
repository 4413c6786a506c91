#!/usr/bin/env node
import { runCli } from "../dist/cli.js";

const code = await runCli(process.argv.slice(2));
// The auth0 SDK leaves its per-request timer running when a request fails, which would keep the
// process alive for minutes after the work is done: exit once stdout and stderr are flushed.
process.exitCode = code;
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
