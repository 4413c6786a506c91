import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Messages, hints and fixes send people to sections of the README by name (`the README's
 * "The roles file"`). Each name must be a heading the README has: a fix that points at a
 * section that does not exist leaves the person with nothing to read.
 */
const root = resolve(import.meta.dirname, "../..");
const headings = new Set([...readFileSync(join(root, "README.md"), "utf8").matchAll(/^#+ (.+?)\s*$/gm)].map((m) => m[1]!));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("the README sections the program names", () => {
  const references = sourceFiles(join(root, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/README's "([^"]+)"/g)].map((m) => ({ file: file.slice(root.length + 1), section: m[1]! })),
  );

  it("are found in the source (the way messages name them)", () => {
    expect(references.map((r) => r.section)).toContain("The roles file");
  });

  it("each exist as a heading of the README", () => {
    const missing = references.filter((r) => !headings.has(r.section)).map((r) => `${r.file}: "${r.section}"`);
    expect(missing).toEqual([]);
  });
});
