import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { assertPermissionsAreScopes, loadRolesFile } from "../../src/input/roles-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-roles-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function file(name: string, text: string): Promise<string> {
  const path = join(dir, `${counter++}-${name}`);
  await writeFile(path, text);
  return path;
}

async function loadError(path: string): Promise<InputError> {
  const error = await loadRolesFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).exitCode).toBe(2);
  return error as InputError;
}

const SPEC_EXAMPLE = `roles:
  - name: Tool Administrator          # matched by name
    description: Can use every tool
    permissions: [tool:whoami, tool:greet]   # scopes of this API
    users: [admin@example.com]        # optional; assigned, never removed
  - name: Tool User
    description: Can ask who they are
    permissions: [tool:whoami]
`;

describe("loadRolesFile", () => {
  it("reads the YAML example of SPEC §4, defaulting users to none", async () => {
    expect(await loadRolesFile(await file("roles.yaml", SPEC_EXAMPLE))).toEqual([
      { name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com"] },
      { name: "Tool User", description: "Can ask who they are", permissions: ["tool:whoami"], users: [] },
    ]);
  });

  it("accepts a file with no roles yet (roles: []): nothing to converge, not an error", async () => {
    expect(await loadRolesFile(await file("empty.yaml", "roles: []\n"))).toEqual([]);
  });

  it("reads the same roles from JSON", async () => {
    const json = JSON.stringify({
      roles: [
        { name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com"] },
        { name: "Tool User", permissions: ["tool:whoami"] },
      ],
    });
    expect(await loadRolesFile(await file("roles.json", json))).toEqual([
      { name: "Tool Administrator", description: "Can use every tool", permissions: ["tool:whoami", "tool:greet"], users: ["admin@example.com"] },
      { name: "Tool User", description: undefined, permissions: ["tool:whoami"], users: [] },
    ]);
  });

  it("drops repeated permissions and users, and trims role names", async () => {
    const path = await file("dups.yaml", "roles:\n  - name: '  Reader  '\n    permissions: [a, b, a]\n    users: [x@example.com, x@example.com]\n");
    expect(await loadRolesFile(path)).toEqual([{ name: "Reader", description: undefined, permissions: ["a", "b"], users: ["x@example.com"] }]);
  });

  it("says that a missing file does not exist and names it", async () => {
    const path = join(dir, "nope.yaml");
    const error = await loadError(path);
    expect(error.message).toBe(`Cannot read the roles file ${path}: it does not exist.`);
    expect(error.hint).toContain("--roles");
  });

  it("says so when the path is a directory", async () => {
    expect((await loadError(dir)).message).toBe(`Cannot read the roles file ${dir}: it is a directory.`);
  });

  it("reports broken YAML with the file name", async () => {
    const path = await file("broken.yaml", "roles:\n  - name: [unclosed\n");
    const error = await loadError(path);
    expect(error.message).toContain(`The roles file ${path} is not valid YAML or JSON:`);
    // One line: the error sink prints a message and a hint, not a code frame.
    expect(error.message).not.toContain("\n");
  });

  it("reports broken JSON with the file name", async () => {
    const path = await file("broken.json", '{"roles": [ {"name": "A",  }');
    expect((await loadError(path)).message).toContain("is not valid YAML or JSON");
  });

  it.each([
    ["a role without a name", "roles:\n  - description: x\n", "roles.0.name"],
    ["an invalid email", "roles:\n  - name: A\n  - name: B\n    users: [not-an-email]\n", "roles.1.users.0"],
    ["permissions that are not a list", "roles:\n  - name: A\n    permissions: tool:whoami\n", "roles.0.permissions"],
    ["a name longer than 50 characters", `roles:\n  - name: ${"n".repeat(51)}\n`, "roles.0.name"],
  ])("names the path of %s", async (_what, text, where) => {
    const path = await file("invalid.yaml", text);
    const error = await loadError(path);
    expect(error.message).toMatch(new RegExp(`^The roles file ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is invalid at ${where.replace(/\./g, "\\.")}: `));
    expect(error.hint).toContain("roles:");
  });

  it("rejects an unknown key in a role, naming the key (a typo must not be ignored)", async () => {
    const error = await loadError(await file("typo.yaml", "roles:\n  - name: A\n    permisions: [tool:whoami]\n"));
    expect(error.message).toContain("invalid at roles.0:");
    expect(error.message).toContain("permisions");
  });

  it("says (top level) when the file is not an object with roles", async () => {
    expect((await loadError(await file("list.yaml", "- name: A\n"))).message).toContain("invalid at (top level)");
    expect((await loadError(await file("empty.yaml", ""))).message).toContain("invalid at (top level)");
  });

  it("rejects a role listed twice (after trimming), pointing at the second one", async () => {
    const error = await loadError(await file("twice.yaml", "roles:\n  - name: Tool User\n  - name: Admin\n  - name: ' Tool User'\n"));
    expect(error.message).toContain('invalid at roles.2.name: role "Tool User" is listed twice.');
  });
});

describe("assertPermissionsAreScopes", () => {
  const roles = [
    { name: "Admin", permissions: ["tool:whoami", "tool:delete"], users: [] },
    { name: "User", permissions: ["tool:whoami"], users: [] },
  ];

  it("accepts roles whose permissions are all scopes of the API", () => {
    expect(() => assertPermissionsAreScopes(roles, ["tool:whoami", "tool:delete"], "https://mcp.example.com/mcp", "roles.yaml")).not.toThrow();
  });

  it("names the permission, its role, the API and the file, and lists the API's scopes", () => {
    let error: unknown;
    try {
      assertPermissionsAreScopes(roles, ["tool:whoami", "tool:greet"], "https://mcp.example.com/mcp", "roles.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    expect((error as InputError).message).toBe("The roles file roles.yaml names permission that is not a scope of API https://mcp.example.com/mcp: tool:delete (role Admin).");
    expect((error as InputError).hint).toContain("Scopes of the API: tool:whoami, tool:greet.");
  });

  it("lists every unknown permission at once", () => {
    expect(() => assertPermissionsAreScopes(roles, [], "https://api", "r.json")).toThrow(
      "names permissions that are not scopes of API https://api: tool:whoami (role Admin), tool:delete (role Admin), tool:whoami (role User).",
    );
  });
});
