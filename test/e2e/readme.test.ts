import { afterAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { codeBlockUnder, freePort, run, shellWords, start, type Running } from "../support/shell.js";

/*
 * Issue 8/8, "Done when": from a clean clone, the README's no-account path works as written. The
 * commands of its "Try it with no account" block run here as child processes, exactly as written,
 * with `npx mcp-auth0` standing for the built CLI (`npm test` builds first) and one addition: a
 * free `--port` for `dev`, so that a busy port 4000 on a CI machine cannot fail the test.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(repo, "bin", "mcp-auth0.js");
const NPX = ["npx", "mcp-auth0"];

/** The README's commands, as argument lists after `npx mcp-auth0`. */
async function readmeCommands(): Promise<string[][]> {
  const block = codeBlockUnder(await readFile(join(repo, "README.md"), "utf8"), "Try it with no account");
  const commands = block
    .split("\n")
    .map(shellWords)
    .filter((words) => words.length > 0);
  for (const words of commands) expect(words.slice(0, 2), `a README command that is not npx mcp-auth0: ${words.join(" ")}`).toEqual(NPX);
  return commands.map((words) => words.slice(2));
}

let dir: string | undefined;
let dev: Running | undefined;

afterAll(async () => {
  // Only if the test failed before stopping it.
  if (dev && dev.child.exitCode === null && dev.child.signalCode === null) {
    dev.child.kill("SIGTERM");
    await dev.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("README: Try it with no account", () => {
  it("runs as written: dev, then init --local, then doctor --local passes; Ctrl+C stops dev", async () => {
    expect(existsSync(join(repo, "dist", "cli.js")), "run `npm run build` first (npm test does)").toBe(true);
    const commands = await readmeCommands();
    const devIndex = commands.findIndex((args) => args[0] === "dev");
    expect(devIndex, "the block starts the dev tenant first").toBe(0);
    expect(commands.slice(1).map((args) => args[0])).toEqual(["init", "doctor"]);

    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-readme-"));
    // What CI has: CI set, no terminal, no Auth0 credentials in the environment.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CI: "true" };
    const options = { cwd: dir, env };

    const devArgs = commands[devIndex]!;
    const port = await freePort();
    dev = start(process.execPath, [bin, ...devArgs, ...(devArgs.includes("--port") ? [] : ["--port", String(port)])], options);
    const [, url] = await dev.waitFor(/running at (https:\/\/localhost:\d+)/, 20_000);
    expect(url).toBe(`https://localhost:${port}`);
    await dev.waitFor(/Press Ctrl\+C to stop\./, 5_000);
    // What the README's comment promises: state in .mcp-auth0/ of the directory it runs in.
    expect(existsSync(join(dir, ".mcp-auth0", "connection.json"))).toBe(true);
    expect(dev.stderr()).toContain(`NODE_EXTRA_CA_CERTS=${join(dir, ".mcp-auth0", "ca.pem")}`);

    const results = [];
    for (const args of commands.slice(1)) {
      const result = await run(process.execPath, [bin, ...args], options);
      expect({ command: `mcp-auth0 ${args.join(" ")}`, code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      results.push(result);
    }
    const [init, doctor] = results;

    // init provisioned the dev tenant and wrote the MCP server's .env where the user is.
    expect(init!.stderr).toMatch(/Ready for MCP clients/);
    const dotenv = await readFile(join(dir, ".env"), "utf8");
    expect(dotenv).toContain(`AUTH0_DOMAIN=localhost:${port}\n`);
    expect(dotenv).toContain("AUTH0_AUDIENCE=http://localhost:3000/mcp\n");
    expect(dotenv).toContain("MCP_SERVER_URL=http://localhost:3000/mcp\n");
    expect((await stat(join(dir, ".env"))).mode & 0o777).toBe(0o600);

    // doctor passes: nothing fails, and it checked the tenant that dev runs.
    expect(doctor!.stderr).toMatch(/Ready for MCP clients/);
    expect(doctor!.stderr).not.toContain("✖");
    expect(doctor!.stderr).toContain(`Issuer: https://localhost:${port}/`);
    expect(doctor!.stderr).toMatch(/✔ Domain-level connections: Username-Password-Authentication/);

    // Ctrl+C: dev stops cleanly, says so, and leaves no connection.json for --local to trip on.
    dev.child.kill("SIGINT");
    const stopped = await dev.exited;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.stderr).toContain("Local tenant stopped");
    expect(existsSync(join(dir, ".mcp-auth0", "connection.json"))).toBe(false);
  });
});
