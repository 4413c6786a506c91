import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

let fx: Fixture;
afterEach(async () => fx?.tenant.close());
const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const OTHER = "https://billing.example.com";

/** A tenant with the MCP API, another API, a listed role holding an extra permission of each, and a role not in the file. */
async function tenantWithDrift() {
  fx = await freshFixture();
  const { store } = fx.tenant;
  store.addResourceServer({ identifier: IDENTIFIER, name: "MCP", scopes: [{ value: "tool:whoami" }, { value: "tool:greet" }, { value: "tool:admin" }] });
  store.addResourceServer({ identifier: OTHER, name: "Billing", scopes: [{ value: "invoices:read" }] });
  const admin = store.addRole({ name: "Tool Administrator", description: "old" });
  store.addRolePermissions(admin.id, [
    { resource_server_identifier: IDENTIFIER, permission_name: "tool:whoami" },
    { resource_server_identifier: IDENTIFIER, permission_name: "tool:admin" },
    { resource_server_identifier: OTHER, permission_name: "invoices:read" },
  ]);
  const outsider = store.addRole({ name: "Outsider" });
  store.addRolePermissions(outsider.id, [{ resource_server_identifier: IDENTIFIER, permission_name: "tool:admin" }]);
  await writeFile(
    join(fx.dir, "roles.yaml"),
    `roles:
  - name: Tool Administrator
    description: Can use every tool
    permissions: [tool:whoami, tool:greet]
    users: [admin@example.com]
  - name: Tool User
    description: Can ask who they are
    permissions: [tool:whoami]
    users: [user@example.com, nobody@example.com]
`,
  );
  return { admin, outsider };
}

const perms = (roleId: string) =>
  (fx.tenant.store.rolePermissions[roleId] ?? []).map((p) => `${p.resource_server_identifier === IDENTIFIER ? "mcp" : "other"}:${p.permission_name}`).sort();
const sync = (...extra: string[]) => run(["roles", "sync", "--yes", "--file", join(fx.dir, "roles.yaml"), "--api-identifier", IDENTIFIER, ...extra]);

describe("roles sync", () => {
  it("without --prune keeps extra permissions; creates the new role with its permissions and users; warns about unknown emails", async () => {
    const { admin, outsider } = await tenantWithDrift();
    const result = await sync();
    expect(result.code).toBe(0);
    expect(perms(admin.id)).toEqual(["mcp:tool:admin", "mcp:tool:greet", "mcp:tool:whoami", "other:invoices:read"]);
    expect(admin.description).toBe("Can use every tool");
    const toolUser = fx.tenant.store.roles.find((r) => r.name === "Tool User")!;
    expect(perms(toolUser.id)).toEqual(["mcp:tool:whoami"]);
    const user = fx.tenant.store.users.find((u) => u.email === "user@example.com")!;
    expect(fx.tenant.store.roleUsers[toolUser.id]).toEqual([user.user_id]);
    expect(perms(outsider.id)).toEqual(["mcp:tool:admin"]);
    expect(result.stderr).toContain("nobody@example.com");
    // One permissions call per role, never one per permission.
    expect(fx.tenant.writes().filter((w) => w.path.endsWith("/permissions")).length).toBe(2);
  });

  it("--prune removes only this API's extra permission from listed roles; a third run makes zero writes", async () => {
    const { admin, outsider } = await tenantWithDrift();
    expect((await sync()).code).toBe(0);
    expect((await sync("--prune")).code).toBe(0);
    expect(perms(admin.id)).toEqual(["mcp:tool:greet", "mcp:tool:whoami", "other:invoices:read"]);
    expect(perms(outsider.id)).toEqual(["mcp:tool:admin"]);
    expect(fx.tenant.store.roles.map((r) => r.name).sort()).toEqual(["Outsider", "Tool Administrator", "Tool User"]);

    fx.tenant.resetCalls();
    const third = await sync("--prune");
    expect(third.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("a permission that is not a scope of the API: exit 2 naming it, zero writes", async () => {
    await tenantWithDrift();
    await writeFile(join(fx.dir, "bad.yaml"), "roles:\n  - name: Tool User\n    permissions: [tool:whoami, tool:delete-everything]\n");
    const result = await run(["roles", "sync", "--yes", "--file", join(fx.dir, "bad.yaml"), "--api-identifier", IDENTIFIER]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("tool:delete-everything");
    expect(fx.tenant.writes()).toEqual([]);
  });

  it("handles a tenant with 250 roles (paged)", async () => {
    await tenantWithDrift();
    for (let i = 0; i < 250; i++) fx.tenant.store.addRole({ name: `filler-${String(i).padStart(3, "0")}` });
    const last = fx.tenant.store.addRole({ name: "zz-last" });
    await writeFile(join(fx.dir, "late.yaml"), "roles:\n  - name: zz-last\n    permissions: [tool:greet]\n");
    const result = await run(["roles", "sync", "--yes", "--file", join(fx.dir, "late.yaml"), "--api-identifier", IDENTIFIER]);
    expect(result.code).toBe(0);
    expect(fx.tenant.store.roles.filter((r) => r.name === "zz-last")).toHaveLength(1);
    expect(fx.tenant.writes().filter((w) => w.method === "POST" && w.path === "/api/v2/roles")).toEqual([]);
    expect(perms(last.id)).toEqual(["mcp:tool:greet"]);
    expect(fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/roles?")).length).toBeGreaterThanOrEqual(3);
  });
});
