import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { freshFixture, type Fixture } from "../support/tenant.js";
import { cli } from "../support/cli.js";

const exec = promisify(execFile);
const bin = resolve(import.meta.dirname, "../../bin/mcp-auth0.js");
const hasFish = spawnSync("fish", ["--version"]).status === 0;

/**
 * The completion script as a user loads it: `source <(mcp-auth0 completion bash)` in a real bash,
 * then the completion function called the way bash calls it on Tab (COMP_WORDS, COMP_CWORD), with
 * the built bin on PATH under its installed name. Needs `npm run build` (npm test does it).
 */
let dir: string;
let fx: Fixture;
let tenantEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-completion-"));
  await symlink(bin, join(dir, "mcp-auth0"));
  fx = await freshFixture();
  await writeFile(join(dir, "ca.pem"), fx.tenant.caCertPem);
  tenantEnv = { ...fx.env, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") };
});
afterAll(async () => fx?.tenant.close());

async function complete(line: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const words = line.split(" ");
  const script = [
    "source <(mcp-auth0 completion bash)",
    'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()',
    "_mcp_auth0",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const { stdout } = await exec("bash", ["-c", script, "bash", ...words], { env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, ...env }, cwd: dir });
  return stdout.split("\n").filter(Boolean);
}

describe("mcp-auth0 completion bash", () => {
  it("completes commands, subcommands and flags", async () => {
    expect(await complete("mcp-auth0 ini")).toEqual(["init"]);
    expect(await complete("mcp-auth0 roles s")).toEqual(["sync"]);
    expect(await complete("mcp-auth0 credentials create --scopes")).toEqual(["--scopes-for"]);
    expect(await complete("mcp-auth0 init --temp")).toEqual(["--template"]);
    // Global flags after a command, as commander accepts them there.
    expect(await complete("mcp-auth0 doctor --dry")).toEqual(["--dry-run"]);
    // A flag's value is not a command: in `--domain init`, init is the domain.
    expect(await complete("mcp-auth0 --domain init ro")).toEqual(["roles"]);
  });

  it("completes preset names, modes and command lists from the package", async () => {
    expect(await complete("mcp-auth0 init --template mcp")).toEqual(["mcp-use", "mcp-use-1", "mcp-use-proxy"]);
    expect(await complete("mcp-auth0 init --mode p")).toEqual(["proxy"]);
    expect(await complete("mcp-auth0 credentials create --scopes-for te")).toEqual(["teardown"]);
  });

  it("completes connection names from a reachable tenant, and nothing (quickly) without one", async () => {
    expect(await complete("mcp-auth0 promote-connection Us", tenantEnv)).toEqual(["Username-Password-Authentication"]);
    expect(await complete("mcp-auth0 init --connections goo", tenantEnv)).toEqual(["google-oauth2"]);
    const started = Date.now();
    expect(await complete("mcp-auth0 promote-connection Us")).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("npx mcp-auth0, as the README runs it after npm i -D", () => {
  /** Tab after `npx …` in a project with mcp-auth0 installed locally and not on PATH. */
  async function completeNpx(line: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
    const project = await mkdtemp(join(tmpdir(), "mcp-auth0-npx-"));
    await mkdir(join(project, "node_modules", ".bin"), { recursive: true });
    await symlink(resolve(import.meta.dirname, "../.."), join(project, "node_modules", "mcp-auth0"));
    await symlink(join("..", "mcp-auth0", "bin", "mcp-auth0.js"), join(project, "node_modules", ".bin", "mcp-auth0"));
    const script = [
      `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} completion bash)`,
      'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()',
      "_mcp_auth0_npx",
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const { stdout } = await exec("bash", ["-c", script, "bash", ...line.split(" ")], { env: { PATH: process.env.PATH, HOME: project, ...env }, cwd: project });
    return stdout.split("\n").filter(Boolean);
  }

  it("completes the package name, then commands and flags after npx's own options", async () => {
    expect(await completeNpx("npx mcp-")).toEqual(["mcp-auth0"]);
    expect(await completeNpx("npx mcp-auth0 ini")).toEqual(["init"]);
    expect(await completeNpx("npx -y mcp-auth0 roles s")).toEqual(["sync"]);
    expect(await completeNpx("npx mcp-auth0 init --temp")).toEqual(["--template"]);
    // Another package after npx is not ours to complete.
    expect(await completeNpx("npx cowsay ini")).toEqual([]);
  });

  it.skipIf(!hasFish)("fish completes `npx mcp-auth0 …` as it completes mcp-auth0 (skipped where fish is not installed)", async () => {
    const script = (await cli(["completion", "fish"])).stdout;
    const fish = (line: string) =>
      exec("fish", ["-c", `${script}\ncomplete -C ${JSON.stringify(line)}`], { env: { PATH: process.env.PATH, HOME: dir } }).then(({ stdout }) =>
        stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split("\t")[0]),
      );
    expect(await fish("npx mcp-auth0 ini")).toEqual(["init"]);
    expect(await fish("npx -y mcp-auth0 roles s")).toEqual(["sync"]);
    expect(await fish("npx mcp-auth0 init --template mcp-use-p")).toEqual(["mcp-use-proxy"]);
  });

  it("asks the installed copy for connection names through npx", async () => {
    expect(await completeNpx("npx mcp-auth0 promote-connection Us", tenantEnv)).toEqual(["Username-Password-Authentication"]);
  }, 20_000);
});

describe("mcp-auth0 completion", () => {
  it("prints zsh and fish scripts that name every command", async () => {
    for (const shell of ["zsh", "fish"]) {
      const result = await cli(["completion", shell]);
      expect(result.code).toBe(0);
      for (const command of ["init", "doctor", "credentials", "completion"]) expect(result.stdout).toContain(command);
    }
    expect((await cli(["completion", "zsh"])).stdout).toContain("bashcompinit");
    expect((await cli(["completion", "fish"])).stdout).toContain("complete -c mcp-auth0 -n __fish_use_subcommand -a init");
  });

  it("rejects an unknown shell as a usage error", async () => {
    const result = await cli(["completion", "powershell"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bash, zsh or fish");
  });
});
