import { chmod, mkdir, realpath, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertEnvPathWritable, writeEnvFile } from "../../src/env/dotenv.js";
import { InputError } from "../../src/errors.js";

// Permission bits do not stop root, so the tests that rely on them run only as another user.
const isRoot = process.getuid?.() === 0;
const isWindows = process.platform === "win32";

const ENTRIES: Array<[string, string]> = [
  ["AUTH0_DOMAIN", "acme.us.auth0.com"],
  ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-env-"));
});

afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function expectInputError(promise: Promise<unknown>, message: RegExp): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).exitCode).toBe(2);
  expect((error as InputError).message).toMatch(message);
  expect((error as InputError).hint).toMatch(/--env-path/);
  return error as InputError;
}

describe("writeEnvFile", () => {
  it("creates a new file with mode 0600 and reports the added keys", async () => {
    const path = join(dir, ".env");
    const result = await writeEnvFile(path, ENTRIES);
    expect(result).toEqual({ path, created: true, changed: [], added: ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"], unchanged: false });
    expect(await readFile(path, "utf8")).toBe("AUTH0_DOMAIN=acme.us.auth0.com\nAUTH0_AUDIENCE=https://mcp.example.com/\n");
    if (!isWindows) expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("merges into an existing file and keeps its mode", async () => {
    const path = join(dir, ".env");
    await writeFile(path, "# mine\nAUTH0_DOMAIN=old.auth0.com\nOWN=1\n");
    await chmod(path, 0o640);
    const result = await writeEnvFile(path, ENTRIES);
    expect(result).toEqual({ path, created: false, changed: ["AUTH0_DOMAIN"], added: ["AUTH0_AUDIENCE"], unchanged: false });
    expect(await readFile(path, "utf8")).toBe("# mine\nAUTH0_DOMAIN=acme.us.auth0.com\nOWN=1\nAUTH0_AUDIENCE=https://mcp.example.com/\n");
    if (!isWindows) expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it("leaves no temporary file behind", async () => {
    const path = join(dir, ".env");
    await writeEnvFile(path, ENTRIES);
    await writeEnvFile(path, [["AUTH0_DOMAIN", "other.auth0.com"]]);
    expect(await readdir(dir)).toEqual([".env"]);
  });

  it("writes nothing when nothing changes", async () => {
    const path = join(dir, ".env");
    await writeFile(path, 'AUTH0_DOMAIN="acme.us.auth0.com"\nAUTH0_AUDIENCE=https://mcp.example.com/\n');
    const past = new Date("2020-01-01T00:00:00Z");
    await utimes(path, past, past);
    const before = await stat(path);

    const result = await writeEnvFile(path, ENTRIES);

    expect(result).toEqual({ path, created: false, changed: [], added: [], unchanged: true });
    const after = await stat(path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it("writes nothing with dryRun, but reports what would change", async () => {
    const path = join(dir, ".env");
    const result = await writeEnvFile(path, ENTRIES, { dryRun: true });
    expect(result).toEqual({ path, created: true, changed: [], added: ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"], unchanged: false });
    expect(await readdir(dir)).toEqual([]);
  });

  it("writes through a symlink to its target with followSymlinks, and says which file", async () => {
    await mkdir(join(dir, "secrets"));
    const target = join(dir, "secrets", "mcp.env");
    await writeFile(target, "OWN=1\n");
    const link = join(dir, ".env");
    await symlink(target, link);

    const result = await writeEnvFile(link, ENTRIES, { followSymlinks: true });

    expect(result.symlinkTarget).toBe(await realpath(target));
    expect((await stat(link)).ino).toBe((await stat(target)).ino);
    expect(await readFile(target, "utf8")).toMatch(/^OWN=1\nAUTH0_DOMAIN=/);
  });

  it("refuses a file that is not UTF-8 rather than corrupting it", async () => {
    const path = join(dir, ".env");
    await writeFile(path, Buffer.from("# caf\xe9\nA=1\n", "latin1"));
    await expectInputError(writeEnvFile(path, ENTRIES), /not UTF-8/);
  });

  it("names the missing directory", async () => {
    const path = join(dir, "missing", ".env");
    await expectInputError(writeEnvFile(path, ENTRIES), /missing does not exist/);
  });

  it("refuses a directory", async () => {
    await expectInputError(writeEnvFile(dir, ENTRIES), /is a directory/);
  });

  it.skipIf(isRoot || isWindows)("names a directory it cannot write, and changes nothing", async () => {
    const path = join(dir, ".env");
    await writeFile(path, "AUTH0_DOMAIN=old.auth0.com\n");
    await chmod(dir, 0o500);
    await expectInputError(writeEnvFile(path, ENTRIES), /is not writable/);
    await chmod(dir, 0o700);
    expect(await readFile(path, "utf8")).toBe("AUTH0_DOMAIN=old.auth0.com\n");
    expect(await readdir(dir)).toEqual([".env"]);
  });
});

describe("assertEnvPathWritable", () => {
  it("accepts a new file in a writable directory, and an existing writable file", async () => {
    await expect(assertEnvPathWritable(join(dir, ".env"))).resolves.toBeUndefined();
    await writeFile(join(dir, ".env"), "A=1\n");
    await expect(assertEnvPathWritable(join(dir, ".env"))).resolves.toBeUndefined();
  });

  it("rejects a missing parent directory, naming it", async () => {
    const path = join(dir, "nope", ".env");
    const error = await expectInputError(assertEnvPathWritable(path), /does not exist/);
    expect(error.message).toContain(path);
    expect(error.hint).toContain(`mkdir -p ${join(dir, "nope")}`);
  });

  it("rejects a path that is a directory", async () => {
    await expectInputError(assertEnvPathWritable(dir), /is a directory/);
  });

  it("rejects a path under a regular file", async () => {
    await writeFile(join(dir, "file"), "");
    await expectInputError(assertEnvPathWritable(join(dir, "file", ".env")), /is not a directory/);
  });

  it.skipIf(isRoot || isWindows)("rejects a file it cannot write", async () => {
    const path = join(dir, ".env");
    await writeFile(path, "A=1\n");
    await chmod(path, 0o400);
    await expectInputError(assertEnvPathWritable(path), /permission denied/);
  });

  it.skipIf(isRoot || isWindows)("rejects a directory it cannot write", async () => {
    await chmod(dir, 0o500);
    await expectInputError(assertEnvPathWritable(join(dir, ".env")), /directory .* is not writable/);
  });
});

/** What `node --env-file=<path>` (Node 20's parser, the one MCP servers started that way use) puts in process.env. */
function readByNode(path: string, keys: string[]): Record<string, string | undefined> {
  const script = `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(keys)}.map((k) => [k, process.env[k]]))))`;
  return JSON.parse(execFileSync(process.execPath, [`--env-file=${path}`, "-e", script], { encoding: "utf8", env: {} })) as Record<string, string | undefined>;
}

describe("issue 21, item 8: every appended key is readable by Node's --env-file", () => {
  // Node 20 reads a key as everything up to the next "=", across lines: a line without one swallows the next key.
  it.each([
    ["a file holding only a byte order mark", "\uFEFF"],
    ["a last line without '='", "OWN=1\nstray words\n"],
    ["a last line without '=' or a newline", "OWN=1\nstray"],
    ["a line holding a tab, then blank lines and a comment", "OWN=1\n\t\n\n# note\n"],
  ])("%s", async (_, existing) => {
    const path = join(dir, ".env");
    await writeFile(path, existing);
    await writeEnvFile(path, ENTRIES);
    expect(readByNode(path, ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"])).toEqual(Object.fromEntries(ENTRIES));
    const text = await readFile(path, "utf8");
    // The user's lines are kept as they were, and a second run changes nothing.
    expect(text.startsWith(existing)).toBe(true);
    expect((await writeEnvFile(path, ENTRIES)).unchanged).toBe(true);
  });

  it("a managed key already below such a line becomes readable too", async () => {
    const path = join(dir, ".env");
    await writeFile(path, "stray\nAUTH0_DOMAIN=acme.us.auth0.com\nOWN=1\n");
    await writeEnvFile(path, ENTRIES);
    expect(readByNode(path, ["AUTH0_DOMAIN", "AUTH0_AUDIENCE", "OWN"])).toEqual({ ...Object.fromEntries(ENTRIES), OWN: "1" });
  });

  // Not a timing assertion: the merge once rescanned the rest of the file from every line after an
  // unclosed quote (65 s for 20,000 lines). The test's timeout is far above
  // what a linear merge needs even on a loaded machine, and far below what the rescan took.
  it("a stray quote followed by 20,000 lines is merged in one pass, every later key found", async () => {
    const path = join(dir, ".env");
    const lines = Array.from({ length: 20_000 }, (_, i) => `KEY_${i}=value ${i}`);
    await writeFile(path, ['STRAY="never closed', ...lines, "AUTH0_DOMAIN=old.auth0.com", ""].join("\n"));
    const result = await writeEnvFile(path, ENTRIES);
    expect(result.changed).toEqual(["AUTH0_DOMAIN"]);
    expect(result.added).toEqual(["AUTH0_AUDIENCE"]);
    const text = await readFile(path, "utf8");
    expect(text).toContain("\nKEY_19999=value 19999\nAUTH0_DOMAIN=acme.us.auth0.com\nAUTH0_AUDIENCE=https://mcp.example.com/\n");
  }, 20_000);
});
