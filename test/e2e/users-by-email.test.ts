import { afterEach, describe, expect, it } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, type Fixture } from "../support/tenant.js";

/*
 * Issue 2/6 (13): Auth0 stores database emails lower-cased and looks them up case-sensitively, and
 * one email can belong to several users (one per connection). A roles file written with capitals
 * still finds its user; an email with several users assigns the role to each, and says so.
 */

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.tenant.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
  fx = undefined;
});

const ROLES = `roles:
  - name: Tool Administrator
    description: Can use every tool
    permissions: [tool:whoami, tool:greet]
    users: [Admin@Example.COM, twin@example.com]
  - name: Tool User
    description: Can ask who they are
    permissions: [tool:whoami]
`;

describe("users by email", () => {
  it("looks up the lower-cased address, and assigns every user of an email, saying so", async () => {
    fx = await freshFixture();
    const store = fx.tenant.store;
    const admin = store.users.find((u) => u.email === "admin@example.com")!;
    const db = store.addUser({ email: "twin@example.com" });
    const google = store.addUser({ email: "twin@example.com", connection: "google-oauth2" });
    await writeFile(join(fx.dir, "roles.yaml"), ROLES);

    const result = await cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(result.code).toBe(0);
    const role = store.roles.find((r) => r.name === "Tool Administrator")!;
    expect([...(store.roleUsers[role.id] ?? [])].sort()).toEqual([admin.user_id, db.user_id, google.user_id].sort());
    expect(result.stderr).toMatch(
      new RegExp(
        `⚠[^\\n]*twin@example\\.com matches 2 users \\(${db.user_id.replace("|", "\\|")}, ${google.user_id.replace("|", "\\|")}, one per connection\\): each is assigned the role`,
      ),
    );
    // The capitals were not a missing user.
    expect(result.stderr).not.toMatch(/No user has the email/);
    // Lower-cased first: one lookup for the admin's address, not a miss and a retry.
    const lookups = fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/users-by-email")).map((c) => new URL(c.path, "https://x").searchParams.get("email"));
    expect(lookups.sort()).toEqual(["admin@example.com", "twin@example.com"]);
  });
});
