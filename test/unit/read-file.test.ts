import { describe, expect, it } from "vitest";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readInputText } from "../../src/input/read-file.js";

describe("readInputText: the one reader of the files a user names", () => {
  it("reads a regular file whole, and refuses one above the limit with a message naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-read-"));
    const path = join(dir, "roles.yaml");
    await writeFile(path, "roles: []\n");
    expect(await readInputText(path, { what: "the roles file", flag: "--roles" })).toBe("roles: []\n");
    await writeFile(path, "x".repeat(600 * 1024));
    await expect(readInputText(path, { what: "the roles file", flag: "--roles", maxBytes: 512 * 1024 })).rejects.toThrow(
      `The roles file ${path} is larger than 0.5 MB: mcp-auth0 does not read it.`,
    );
  });
});
