import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The architecture as the imports of src/ draw it. Each layer may import only itself and the
 * layers before it, so that reading the tree bottom-up never meets a forward reference:
 * a resource handler does not know the plan, the plan does not know the commands.
 */
const LAYERS: string[][] = [
  // What every layer needs: the typed errors, and what is unsafe in text from outside (how it is shown).
  ["errors.ts", "untrusted.ts"],
  // The catalogue of MCP clients and their bundled metadata documents: data that the dev tenant,
  // the resources, doctor and init read.
  ["clients"],
  ["ui", "input", "completion"],
  // The flags of each command, declared once with commander; they may name input's choices (the modes).
  ["flags"],
  ["tenant"],
  ["env", "local-tenant"],
  ["resources"],
  ["doctor"],
  // What an MCP client does to reach a tool (mcp-auth0 try): its steps, its user agents, their causes.
  ["connection"],
  ["plan"],
  ["config"],
  // What several commands share: the run's context and target tenant, the .env, printed commands.
  ["session"],
  // init's wizard, config file and proxy mode: init's parts that are not a command.
  ["init"],
  ["commands"],
  ["cli.ts"],
  // mcp-auth0/dev: a library export that provisions a dev tenant through the real CLI.
  ["dev"],
];

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a file: static, type-only, re-exports and dynamic `import()`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["'](\.[^"']+)["']/gm),
    ...text.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((spec) => relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, ".ts"))));
}

const graph = new Map(sourceFiles().map((file) => [relative(SRC, file), importsOf(file)]));
const area = (path: string) => path.split("/")[0]!;
const layerOf = (path: string) => LAYERS.findIndex((layer) => layer.includes(area(path)));

describe("the imports of src/", () => {
  it("resolve to files of src/, each in a known layer", () => {
    for (const [file, imports] of graph) {
      expect(layerOf(file), `${file} is in no layer`).toBeGreaterThanOrEqual(0);
      for (const target of imports) expect(graph.has(target), `${file} imports ${target}, which does not exist`).toBe(true);
    }
  });

  it("never point up a layer, nor sideways into another area of the same layer", () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const sameArea = area(file) === area(target);
        if (!sameArea && layerOf(target) >= layerOf(file)) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("have no cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "visiting");
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("commands/ holds the commands cli.ts runs, and nothing else", () => {
    const cli = readFileSync(join(SRC, "cli.ts"), "utf8");
    const run = new Set([...cli.matchAll(/import\(\s*"\.\/commands\/([\w-]+)\.js"\s*\)/g)].map((m) => `commands/${m[1]}.ts`));
    const files = [...graph.keys()].filter((file) => area(file) === "commands");
    expect(files.filter((file) => !run.has(file))).toEqual([]);
    // A command does not build on another command: what they share lives below them.
    const sideways = files.flatMap((file) =>
      graph
        .get(file)!
        .filter((target) => area(target) === "commands")
        .map((target) => `${file} → ${target}`),
    );
    expect(sideways).toEqual([]);
  });

  it("every Management API listing is walked by tenant/paging.ts's eachItem, which bounds it", () => {
    // The SDK's own `for await` follows a listing for as long as the answers say more follows.
    const unbounded = [...graph.keys()].flatMap((file) =>
      readFileSync(join(SRC, file), "utf8")
        .split("\n")
        .filter((line) => /for await \(.* of (?!eachItem[<(])/.test(line) && /\.client\.|listing|page/.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(unbounded).toEqual([]);
  });

  it("no plan/ module switches on change kinds: the handlers in resources/ own that", () => {
    for (const [file] of graph) {
      if (area(file) !== "plan") continue;
      expect(readFileSync(join(SRC, file), "utf8"), file).not.toMatch(/switch\s*\(\s*\w+\.kind\s*\)|\.kind\s*===?\s*["']/);
    }
  });

  it("only ui/ writes to the terminal, so that text from outside cannot skip the escaping (issue 21)", () => {
    // cli.ts escapes commander's usage errors and writes the usage failure's JSON; completion writes its script (the program's own text).
    const allowed = new Set(["ui/logger.ts", "ui/prompts.ts", "cli.ts", "commands/completion.ts"]);
    const writers = [...graph.keys()].filter((file) =>
      /\b(stdout|stderr)\.write\(|console\.\w+\(|process\.std(out|err)\b|from "(chalk|ora)"|import\("(ora|@inquirer\/prompts)"\)/.test(readFileSync(join(SRC, file), "utf8")),
    );
    expect(writers.filter((file) => !allowed.has(file))).toEqual([]);
  });
});
