import { afterEach, describe, expect, it } from "vitest";
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/** Issue 16, defects 6, 7 and 9: the .env as a trap (symlinks, a BOM), its mode, and kill litter. */
let fx: Fixture;
afterEach(async () => fx?.tenant.close());
const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const envPath = () => join(fx.dir, ".env");
const proxyArgs = () => [...exampleArgs(fx.dir), "--mode", "proxy", "--template", "mcp-use-proxy", "--callback-url", "http://localhost:3000/oauth/callback"];

describe(".env symlinks", () => {
  it("a .env that is a link into another file is refused before any request, and that file is untouched", async () => {
    fx = await freshFixture();
    const other = join(fx.dir, "profile.sh");
    await writeFile(other, "export PATH=/usr/bin\n");
    await symlink(other, envPath());
    fx.tenant.resetCalls();
    const result = await run(exampleArgs(fx.dir));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is a symbolic link to");
    expect(result.stderr).toContain("profile.sh");
    expect(result.stderr).toContain("--follow-symlinks");
    expect(await readFile(other, "utf8")).toBe("export PATH=/usr/bin\n");
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("with --follow-symlinks, the target is written, the path printed, and the link stays a link", async () => {
    fx = await freshFixture();
    await mkdir(join(fx.dir, "config"));
    const target = join(fx.dir, "config", "mcp.env");
    await writeFile(target, "OWN=1\n");
    await symlink(target, envPath());
    const result = await run([...exampleArgs(fx.dir), "--follow-symlinks"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`its target ${target} is written`);
    expect((await lstat(envPath())).isSymbolicLink()).toBe(true);
    expect(await readFile(target, "utf8")).toMatch(/^OWN=1\nAUTH0_DOMAIN=/);
  });

  it.each([[[]], [["--follow-symlinks"]]])("a dangling link is never replaced (flags: %j)", async (extra) => {
    fx = await freshFixture();
    const missing = join(fx.dir, "gone", "secrets.env");
    await symlink(missing, envPath());
    const result = await run([...exampleArgs(fx.dir), ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("which does not exist");
    expect((await lstat(envPath())).isSymbolicLink()).toBe(true);
    expect(await readlink(envPath())).toBe(missing);
    expect(existsSync(missing)).toBe(false);
  });
});

describe("a UTF-8 byte order mark before a managed key on line 1", () => {
  it("is kept, and Node's --env-file, util.parseEnv and python-dotenv all see every managed key", async () => {
    fx = await freshFixture();
    await writeFile(envPath(), "\uFEFFAUTH0_DOMAIN=old.example.com\nOWN=1\n");
    const result = await run(exampleArgs(fx.dir));
    expect(result.code).toBe(0);
    const bytes = await readFile(envPath());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8");
    expect(text).toContain("OWN=1\n");

    const parsed = parseEnv(text);
    expect(parsed.AUTH0_DOMAIN).toBe(fx.tenant.domain);
    expect(parsed.AUTH0_AUDIENCE).toBe(IDENTIFIER);

    const fromEnvFile = execFileSync(
      process.execPath,
      [`--env-file=${envPath()}`, "-e", "console.log(JSON.stringify([process.env.AUTH0_DOMAIN, process.env.AUTH0_AUDIENCE, process.env.OWN]))"],
      { encoding: "utf8", env: {} },
    );
    expect(JSON.parse(fromEnvFile)).toEqual([fx.tenant.domain, IDENTIFIER, "1"]);

    // python-dotenv, where this machine has it (CI does not install it; Node's two parsers are checked above).
    const python = spawnSync("python3", ["-c", "import json,sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))", envPath()], {
      encoding: "utf8",
    });
    if (python.status === 0) {
      const values = JSON.parse(python.stdout) as Record<string, string | null>;
      expect(values.AUTH0_DOMAIN).toBe(fx.tenant.domain);
      expect(values.AUTH0_AUDIENCE).toBe(IDENTIFIER);
    }

    // Stable: a second run leaves the file as it is.
    expect((await run(exampleArgs(fx.dir))).code).toBe(0);
    expect(await readFile(envPath(), "utf8")).toBe(text);
  });
});

describe("the mode of a .env that receives a secret", () => {
  it("an existing 0644 .env that receives proxy mode's client secret is made 0600, and the output says so", async () => {
    fx = await freshFixture();
    await writeFile(envPath(), "OWN=1\n");
    await chmod(envPath(), 0o644);
    const result = await run(proxyArgs());
    expect(result.code).toBe(0);
    expect((await stat(envPath())).mode & 0o777).toBe(0o600);
    expect(result.stderr).toContain("readable by others (mode 0644)");
    expect(result.stderr).toContain("made 0600");
    expect(await readFile(envPath(), "utf8")).toMatch(/AUTH0_CLIENT_SECRET=/);
  });

  it("a DCR .env (no secret) keeps the mode the user gave it", async () => {
    fx = await freshFixture();
    await writeFile(envPath(), "OWN=1\n");
    await chmod(envPath(), 0o644);
    const result = await run(exampleArgs(fx.dir));
    expect(result.code).toBe(0);
    expect((await stat(envPath())).mode & 0o777).toBe(0o644);
    expect(result.stderr).not.toContain("made 0600");
  });
});

describe("temporary files of an interrupted .env write", () => {
  it("are removed on the next run, except one whose writer is still running", async () => {
    fx = await freshFixture();
    // A run killed between creating its temporary file and the rename left these (a full copy of the .env).
    const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout.trim());
    const stale = [`..env.0123456789ab.tmp`, `..env.${deadPid}.abcdefabcdef.tmp`];
    const live = `..env.${process.ppid}.fedcbafedcba.tmp`;
    for (const name of [...stale, live]) await writeFile(join(fx.dir, name), "AUTH0_CLIENT_SECRET=leaked\n", { mode: 0o600 });
    await writeFile(join(fx.dir, "..env.notours.tmp"), "x");

    const result = await run(exampleArgs(fx.dir));
    expect(result.code).toBe(0);
    const left = await readdir(fx.dir);
    for (const name of stale) expect(left).not.toContain(name);
    expect(left).toContain(live);
    expect(left).toContain("..env.notours.tmp");
    expect(result.stderr).toMatch(/Removed 2 temporary files that an interrupted write left/);
  });

  it("are removed even when the .env itself needs no change", async () => {
    fx = await freshFixture();
    expect((await run(exampleArgs(fx.dir))).code).toBe(0);
    await writeFile(join(fx.dir, "..env.0123456789ab.tmp"), "copy\n");
    const again = await run(exampleArgs(fx.dir));
    expect(again.code).toBe(0);
    expect(await readdir(fx.dir)).not.toContain("..env.0123456789ab.tmp");
  });

  it("are left alone by --dry-run, which writes and removes nothing", async () => {
    fx = await freshFixture();
    await writeFile(join(fx.dir, "..env.0123456789ab.tmp"), "copy\n");
    expect((await run([...exampleArgs(fx.dir), "--dry-run"])).code).toBe(0);
    expect(await readdir(fx.dir)).toContain("..env.0123456789ab.tmp");
  });
});
