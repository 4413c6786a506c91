import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { endState, exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { cli } from "../support/cli.js";

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");

/**
 * The package as a user gets it: `npm pack`, installed into an empty folder, its bin run as a
 * child process that trusts the local tenant's CA the standard way (NODE_EXTRA_CA_CERTS).
 * Catches a file missing from "files", a broken shebang, a dependency declared only for dev.
 */
let app: string;
let bin: string;
let fx: Fixture;

beforeAll(async () => {
  const work = await mkdtemp(join(tmpdir(), "mcp-auth0-packed-"));
  await exec("npm", ["pack", "--pack-destination", work, "--ignore-scripts", "--loglevel=error"], { cwd: root });
  const tarball = (await readdir(work)).find((f) => f.endsWith(".tgz"))!;
  app = join(work, "app");
  await exec("mkdir", ["-p", app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", join(work, tarball)], { cwd: app });
  bin = join(app, "node_modules", ".bin", "mcp-auth0");
  fx = await freshFixture();
}, 240_000);

afterAll(async () => fx?.tenant.close());

async function runBin(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(bin, args, { cwd: fx.dir, env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the packed package", () => {
  it("runs --help and --version", async () => {
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["init", "promote-connection", "roles", "doctor"]) expect(help.stdout).toContain(command);
    const version = await runBin(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("provisions the local tenant with the example of issue 1/8, then changes nothing on a second run", async () => {
    const caPath = join(fx.dir, "ca.pem");
    await writeFile(caPath, fx.tenant.caCertPem);
    const env = { ...fx.env, NODE_EXTRA_CA_CERTS: caPath, CI: "true" };
    const first = await runBin(exampleArgs(fx.dir), env);
    expect(first.stderr).toContain("Create API");
    expect(first.code).toBe(0);
    // Every row of SPEC §2, exactly as the in-process run (whose rows test/e2e/init.test.ts spells out) leaves them.
    const reference = await freshFixture();
    try {
      expect((await cli(exampleArgs(reference.dir), { env: reference.env, ca: reference.tenant.caCertPem, cwd: reference.dir })).code).toBe(0);
      expect(endState(fx.tenant)).toEqual(endState(reference.tenant));
    } finally {
      await reference.tenant.close();
    }
    expect(fx.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(true);
    const dotenv = await readFile(join(fx.dir, ".env"), "utf8");
    for (const key of ["AUTH0_DOMAIN", "AUTH0_AUDIENCE", "MCP_SERVER_URL"]) expect(dotenv).toMatch(new RegExp(`^${key}=`, "m"));
    expect((await stat(join(fx.dir, ".env"))).mode & 0o777).toBe(0o600);

    fx.tenant.resetCalls();
    const second = await runBin([...exampleArgs(fx.dir), "--json"], env);
    expect(fx.tenant.writes()).toEqual([]);
    const doc = JSON.parse(second.stdout);
    expect(doc.plan.converged).toBe(true);
    expect(second.stderr).not.toContain(fx.tenant.m2m.clientSecret);
  });
});

/** Runs `npx mcp-auth0 …` in the user's project, as its README tells them to. */
async function npx(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec("npx", ["--no-install", "mcp-auth0", ...args], { cwd: app, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true", ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npx mcp-auth0 in a project that installed the tarball", () => {
  let dev: ChildProcess | undefined;

  afterAll(async () => {
    // The dev tenant runs in its own process group (npx, then node): stop exactly that group.
    if (dev?.pid !== undefined && dev.exitCode === null && dev.signalCode === null) {
      const exited = new Promise((r) => dev!.once("exit", r));
      process.kill(-dev.pid, "SIGTERM");
      await exited;
    }
  });

  it("prints the package's version", async () => {
    const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
    const result = await npx(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it("exports runCli with its types, and package.json, through the exports map", async () => {
    const script =
      'const m = await import("mcp-auth0"); const { createRequire } = await import("node:module"); console.log(typeof m.runCli, createRequire(import.meta.url)("mcp-auth0/package.json").name)';
    const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], { cwd: app });
    expect(stdout.trim()).toBe("function mcp-auth0");
    const installed = JSON.parse(await readFile(join(app, "node_modules", "mcp-auth0", "package.json"), "utf8")) as { types: string };
    expect(await readFile(join(app, "node_modules", "mcp-auth0", installed.types), "utf8")).toMatch(/export declare function runCli\(/);
    // Only what runs ships: no sources, tests or scripts.
    const shipped = await readdir(join(app, "node_modules", "mcp-auth0"));
    expect(shipped.sort()).toEqual(["LICENSE", "README.md", "bin", "dist", "package.json", "schema", "templates"]);
  });

  it("provisions a dev tenant that `npx mcp-auth0 dev --port 0` started in the project, with init --local", async () => {
    dev = spawn("npx", ["--no-install", "mcp-auth0", "dev", "--port", "0"], {
      cwd: app,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true" },
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    // The dev tenant says where it listens once it answers; --port 0 makes it pick a free port.
    const url = await new Promise<string>((resolve, reject) => {
      dev!.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString("utf8");
        const match = /running at (https:\/\/localhost:\d+)/.exec(log);
        if (match) resolve(match[1]!);
      });
      dev!.once("exit", (code) => reject(new Error(`mcp-auth0 dev exited with ${code}: ${log}`)));
    });
    expect(url).not.toBe("https://localhost:0");
    expect(existsSync(join(app, ".mcp-auth0", "connection.json"))).toBe(true);

    const args = [
      "init",
      "--local",
      "--yes",
      "--server-url",
      "http://localhost:3000/mcp",
      "--scopes",
      "tool:whoami=Read your identity",
      "--connections",
      "Username-Password-Authentication",
    ];
    const first = await npx(args);
    expect(first.stderr).toContain("Create API");
    expect(first.code).toBe(0);
    const dotenv = await readFile(join(app, ".env"), "utf8");
    expect(dotenv).toContain(`AUTH0_DOMAIN=${url.replace("https://", "")}`);
    expect(dotenv).toContain("AUTH0_AUDIENCE=http://localhost:3000/mcp");

    const second = await npx([...args, "--json"]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).result.writes).toBe(0);
  });
});
