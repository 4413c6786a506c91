import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { endState, exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { cli } from "../support/cli.js";
import { trustingFetch } from "../../src/tenant/trust.js";
import { startServer } from "../../examples/mcp-server/src/server.js";

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

/** Every `npx mcp-auth0 …` command an output prints for the user to run, in order, without repeats. */
function printed(output: string): string[] {
  return [...new Set([...output.matchAll(/(?:^|\s)(npx mcp-auth0 [a-z][^\n]*)$/gm)].map((m) => m[1]!))];
}

/** A printed command line, run by a shell in the user's project, as they would paste it. */
async function sh(line: string) {
  try {
    const { stdout, stderr } = await exec("sh", ["-c", line], { cwd: app, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npx mcp-auth0 in a project that installed the tarball", () => {
  let dev: ChildProcess | undefined;
  let devLog = "";
  let initLog = "";
  const devDomain = () => /running at https:\/\/(localhost:\d+)/.exec(devLog)![1]!;

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

  it("provisions a dev tenant that `npx mcp-auth0 dev --port 0` started in the project, with the init it prints", async () => {
    dev = spawn("npx", ["--no-install", "mcp-auth0", "dev", "--port", "0"], {
      cwd: app,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "true" },
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    // The dev tenant says where it listens once it answers; --port 0 makes it pick a free port.
    const url = await new Promise<string>((resolve, reject) => {
      dev!.stderr!.on("data", (chunk: Buffer) => {
        devLog += chunk.toString("utf8");
        const match = /running at (https:\/\/localhost:\d+)/.exec(devLog);
        if (match && devLog.includes("Press Ctrl+C")) resolve(match[1]!);
      });
      dev!.once("exit", (code) => reject(new Error(`mcp-auth0 dev exited with ${code}: ${devLog}`)));
    });
    expect(url).not.toBe("https://localhost:0");
    expect(existsSync(join(app, ".mcp-auth0", "connection.json"))).toBe(true);

    // dev's next step, exactly as printed: a complete init with a role for the dev user.
    const [init] = printed(devLog);
    expect(init).toBe(
      "npx mcp-auth0 init --local --yes --server-url http://localhost:3000/mcp --scopes 'tool:whoami=Read your identity' --connections Username-Password-Authentication --role-users admin@example.com",
    );
    const first = await sh(init!);
    expect(first.stderr).toContain("Create API");
    expect(first.code, first.stderr).toBe(0);
    initLog = first.stderr;
    const dotenv = await readFile(join(app, ".env"), "utf8");
    expect(dotenv).toContain(`AUTH0_DOMAIN=${url.replace("https://", "")}`);
    expect(dotenv).toContain("AUTH0_AUDIENCE=http://localhost:3000/mcp");

    const second = await sh(`${init} --json`);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).result.writes).toBe(0);
  });

  /*
   * Issue 20, "Printed commands run as printed": what dev, init, doctor, plan and roles sync print
   * for the user to run, run by a shell in the project exactly as printed, after the README's
   * install (no mcp-auth0 on PATH: each starts with npx). init's next steps include try, which
   * needs the MCP server the init was for: the example's, trusting the dev tenant's CA.
   */
  it("every command dev, init, doctor, plan and roles sync print runs as printed", async () => {
    const ran: string[] = [];
    const runAll = async (output: string) => {
      for (const command of printed(output)) {
        const result = await sh(command);
        expect(result.code, `${command}\n${result.stderr}`).toBe(0);
        ran.push(command.replace(/ {2}#.*$/, ""));
      }
    };
    const trusted = trustingFetch(await readFile(join(app, ".mcp-auth0", "ca.pem"), "utf8"));
    const server = await startServer({ domain: devDomain(), audience: "http://localhost:3000/mcp", port: 3000, fetch: trusted.fetch, log: () => undefined });
    try {
      await runAll(initLog);
      // A connection demoted in the Dashboard: doctor fails, prints the fix and the check again.
      expect((await sh("npx mcp-auth0 promote-connection --demote Username-Password-Authentication --local")).code).toBe(0);
      const doctor = await sh("npx mcp-auth0 doctor --local");
      expect(doctor.code).toBe(6);
      await runAll(doctor.stderr);
      // A config file (with a second scope) the tenant has drifted from: plan --check prints how to apply it.
      await writeFile(
        join(app, "mcp-auth0.config.yaml"),
        "api:\n  identifier: http://localhost:3000/mcp\n  scopes: [{ value: tool:whoami, description: Read your identity }, { value: tool:greet }]\nconnections: [Username-Password-Authentication]\n",
      );
      const plan = await sh("npx mcp-auth0 plan --check --local");
      expect(plan.code).toBe(5);
      await runAll(plan.stderr);
      expect((await sh("npx mcp-auth0 plan --check --local")).code).toBe(0);
      // roles sync of the example's roles file, whose permissions are the API's scopes now (its API from the .env).
      await writeFile(join(app, "roles.yaml"), await readFile(join(root, "examples", "roles.yaml"), "utf8"));
      const roles = await sh("npx mcp-auth0 roles sync --file roles.yaml --local");
      expect(roles.code, roles.stderr).toBe(0);
      await runAll(roles.stderr);
    } finally {
      await server.close();
      await trusted.close();
    }
    expect(ran).toEqual([
      "npx mcp-auth0 try --server-url http://localhost:3000/mcp --local",
      "npx mcp-auth0 doctor --api-identifier http://localhost:3000/mcp --local",
      "npx mcp-auth0 promote-connection Username-Password-Authentication --local",
      "npx mcp-auth0 doctor --api-identifier http://localhost:3000/mcp --local",
      "npx mcp-auth0 init --local",
    ]);
  });
});
