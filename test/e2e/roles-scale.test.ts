import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { freshFixture, managementCalls, type Fixture } from "../support/tenant.js";

/**
 * SPEC §6: a converged `roles sync` costs O(roles), not O(users). On a free tenant (2 calls/s) the
 * 2000 users below would add 1000 s to every run if each email were looked up again.
 */
let fx: Fixture;
afterEach(async () => fx?.tenant.close());

const API = "https://scale.example.com/mcp";
const ROLES = 300;
const PERMISSIONS = 20;
const USERS = 2000;

/** The tenant already holds every role of the file, with its permissions and its users. */
async function convergedTenant() {
  fx = await freshFixture({ oauth: false });
  const { store } = fx.tenant;
  const scopes = Array.from({ length: PERMISSIONS }, (_, i) => ({ value: `perm:${i}`, description: `Permission ${i}` }));
  store.addResourceServer({ identifier: API, name: "Scale", scopes });
  const users = Array.from({ length: USERS }, (_, i) => store.addUser({ email: `user${i}@example.com` }));
  const lines: string[] = ["roles:"];
  for (let r = 0; r < ROLES; r++) {
    const role = store.addRole({ name: `Role ${r}`, description: `Role ${r}` });
    store.addRolePermissions(
      role.id,
      scopes.map((s) => ({ resource_server_identifier: API, permission_name: s.value })),
    );
    const members = users.filter((_, i) => i % ROLES === r);
    store.addRoleUsers(
      role.id,
      members.map((u) => u.user_id),
    );
    lines.push(
      `  - name: Role ${r}`,
      `    description: Role ${r}`,
      `    permissions: [${scopes.map((s) => s.value).join(", ")}]`,
      `    users: [${members.map((u) => u.email).join(", ")}]`,
    );
  }
  await writeFile(join(fx.dir, "roles.yaml"), `${lines.join("\n")}\n`);
  return { users };
}

const sync = () => cli(["roles", "sync", "--yes", "--file", join(fx.dir, "roles.yaml"), "--api-identifier", API], { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

describe("roles sync at scale", () => {
  it(`${ROLES} roles × ${PERMISSIONS} permissions × ${USERS} users, converged: no email is looked up, at most 610 calls`, async () => {
    await convergedTenant();
    fx.tenant.resetCalls();
    const result = await sync();
    expect(result.code, result.stderr).toBe(0);
    const calls = managementCalls(fx.tenant);
    expect(fx.tenant.writes()).toEqual([]);
    expect(calls.filter((c) => c.path.startsWith("/api/v2/users-by-email"))).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(610);
    expect(result.stderr).toContain("already up to date");
  }, 120_000);

  it("looks up only the emails a role does not have yet, and assigns their users", async () => {
    const { users } = await convergedTenant();
    // One member of Role 7 leaves it; the file still lists them.
    const { store } = fx.tenant;
    const role = store.roles.find((r) => r.name === "Role 7")!;
    const leaving = users[7]!;
    store.roleUsers[role.id] = (store.roleUsers[role.id] ?? []).filter((id) => id !== leaving.user_id);
    fx.tenant.resetCalls();
    const result = await sync();
    expect(result.code, result.stderr).toBe(0);
    const lookups = managementCalls(fx.tenant).filter((c) => c.path.startsWith("/api/v2/users-by-email"));
    expect(lookups.map((c) => decodeURIComponent(c.path.replace(/^.*email=([^&]*).*$/, "$1")))).toEqual([leaving.email]);
    expect(store.roleUsers[role.id]).toContain(leaving.user_id);
    expect(
      fx.tenant
        .writes()
        .filter((c) => c.status < 400)
        .map((c) => `${c.method} ${c.path}`),
    ).toEqual([`POST /api/v2/roles/${role.id}/users`]);
  }, 120_000);
});
