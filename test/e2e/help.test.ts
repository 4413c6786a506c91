import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { cli } from "../support/cli.js";

/**
 * The bin answers --help, -h, --version and `<command> --help` from texts the build generated
 * (dist/help.json), without loading commander. They must be exactly what commander prints for
 * the program in src/cli.ts, for every command, whatever src/cli.ts declares today.
 */
const exec = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const bin = resolve(root, "bin/mcp-auth0.js");
const prebuilt = JSON.parse(readFileSync(resolve(root, "dist/help.json"), "utf8")) as Record<string, { code: number; stdout: string; stderr: string }>;

async function runBin(args: string[]) {
  const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH } });
  return { code: 0, stdout, stderr };
}

/** Every command path of the program, read from commander's own help (its "Commands:" sections). */
async function commandPaths(path: string[] = []): Promise<string[][]> {
  const { stdout } = await cli([...path, "--help"]);
  const names = [...(stdout.split(/^Commands:\n/m)[1] ?? "").matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  const nested = await Promise.all(names.map((n) => commandPaths([...path, n])));
  return [path, ...nested.flat()];
}

describe("--help and --version from the build", () => {
  it("cover every command of the program", async () => {
    const paths = await commandPaths();
    expect(paths.length).toBeGreaterThan(8);
    for (const path of paths) expect(Object.keys(prebuilt)).toContain([...path, "--help"].join(" "));
  });

  it("print exactly what commander prints, for every command", async () => {
    const answers = Object.keys(prebuilt);
    expect(answers).toEqual(expect.arrayContaining(["--help", "-h", "--version", "-V", "init --help", "roles sync --help"]));
    for (const key of answers) {
      const args = key.split(" ");
      const [fast, commander] = await Promise.all([runBin(args), cli(args)]);
      expect(fast, key).toEqual(commander);
    }
  }, 60_000);

  it("anything else still goes to commander", async () => {
    const result = await exec(process.execPath, [bin, "init", "--api-name", "x", "--help"], { env: { PATH: process.env.PATH } });
    expect(result.stdout).toContain("Usage: mcp-auth0 init [options]");
  });
});
