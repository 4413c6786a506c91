import { afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/*
 * Issue 20, "The quick start reaches a tool call" and "The example is a project of its own": the
 * README's "Try it with no account" block, run as written by scripts/ci/readme-quickstart.mjs
 * (ports aside) from a folder that holds what Install's clone leaves — the README, the examples and
 * the packed tarball: it copies examples/mcp-server alone into a new folder, installs the tarball
 * there, starts the dev tenant, applies the example's config with init --local, starts the server
 * with NODE_EXTRA_CA_CERTS, and `try --local` logs a dev user in and calls a tool. Then the
 * example's own README line that the block has not run, `npm test`, in that copy. On Node 22 (the
 * example server runs its TypeScript directly). The MCP Inspector's line runs in CI
 * (scripts/ci/quickstart.sh, from a clean clone).
 */

const repo = resolve(import.meta.dirname, "../..");
let work: string | undefined;

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("README: Try it with no account", () => {
  it("runs as written up to try's tool call, and the copied example's own tests pass", async () => {
    expect(existsSync(join(repo, "dist", "cli.js")), "run `npm run build` first (npm test does)").toBe(true);
    work = await mkdtemp(join(tmpdir(), "mcp-auth0-readme-"));
    const clone = join(work, "mcp-auth0");
    await mkdir(clone);
    await exec("npm", ["pack", "--pack-destination", clone, "--ignore-scripts", "--loglevel=error"], { cwd: repo });
    expect((await readdir(clone)).filter((f) => f.endsWith(".tgz"))).toEqual(["mcp-auth0-0.1.0.tgz"]);
    await cp(join(repo, "README.md"), join(clone, "README.md"));
    await cp(join(repo, "examples"), join(clone, "examples"), { recursive: true, filter: (src) => !/node_modules|\.mcp-auth0/.test(src) });

    const { stdout: node } = await exec(join(repo, "scripts", "ci", "node.sh"), ["22"]);
    // npm's cache answers what it holds without asking the registry again (the command is as written).
    const env = { ...process.env, PATH: `${dirname(node.trim())}:${process.env.PATH}`, npm_config_prefer_offline: "true" };
    const run = await exec(process.execPath, [join(repo, "scripts", "ci", "readme-quickstart.mjs"), work, "--skip-inspector"], { env, maxBuffer: 1 << 24 }).catch(
      (error: { stdout: string; stderr: string }) => ({ stdout: `${error.stdout}\n${error.stderr}`, stderr: "" }),
    );
    if (process.env.SHOW_QUICKSTART) console.log(run.stdout);
    expect(run.stdout).toMatch(/README quick start: passed/);
    // Each line of the block ran, in order; try's report is among the output.
    expect(run.stdout).toMatch(/^ok .*: cp -r mcp-auth0\/examples\/mcp-server my-mcp-server && cd my-mcp-server/m);
    expect(run.stdout).toMatch(/^ok .*: npx mcp-auth0 init --local --yes/m);
    expect(run.stdout).toMatch(/^started .*: NODE_EXTRA_CA_CERTS=\.mcp-auth0\/ca\.pem npm start/m);
    expect(run.stdout).toMatch(/✔ tools\/call whoami: answered: \{"sub":"auth0\|/);
    expect(run.stdout).toMatch(/Connected: an MCP client logged in and called a tool\./);

    // The copy is a project of its own: its suite runs against its own dev tenant, from node_modules.
    const project = join(work, "my-mcp-server");
    expect(JSON.parse(await readFile(join(project, "package.json"), "utf8")).devDependencies["mcp-auth0"]).toMatch(/mcp-auth0-0\.1\.0\.tgz$/);
    const tests = await exec("npm", ["test"], { cwd: project, env: { ...env, CI: "true" } }).catch((error: { stdout: string; stderr: string }) => ({
      stdout: `${error.stdout}\n${error.stderr}`,
      stderr: "",
    }));
    expect(tests.stdout.replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/Tests\s+4 passed/);
  }, 300_000);
});
