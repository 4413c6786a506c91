import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";

/*
 * Issue 20, "Ready is earned": init's closing verdict and doctor run one set of checks and say the
 * same of one tenant. A tenant where no user can obtain any of the API's permissions (no role
 * grants them, or nobody holds the roles that do) is "Ready" only with that warning on screen.
 */

let dir: string;
let dev: DevTenant;
const local = (args: string[]) => cli([...args, "--local", "--json"], { cwd: dir });
const SCOPES = "tool:whoami=Read your identity,tool:greet=Greet someone";

/** group / title / status of each check, the way a reader compares two verdicts. */
const statuses = (checks: Array<{ group: string; title: string; status: string }>) => checks.map((c) => `${c.group} / ${c.title}: ${c.status}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-verdict-"));
  dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0") });
});

afterAll(async () => {
  await dev?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("init's verdict and doctor's agree", () => {
  it("the README's quick start without roles: both warn that no role grants the API's permissions, check for check", async () => {
    const api = "http://localhost:3000/mcp";
    const init = await local(["init", "--yes", "--server-url", api, "--scopes", "tool:whoami=Read your identity", "--connections", "Username-Password-Authentication"]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/⚠ Roles granting this API's permissions: none: tokens carry no permissions\n\s+fix: npx mcp-auth0 roles sync/);
    expect(init.stderr).toMatch(/Ready for MCP clients \(1 warning\)\./);
    const doctor = await local(["doctor", "--api-identifier", api]);
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(statuses(JSON.parse(init.stdout).doctor.checks)).toEqual(statuses(JSON.parse(doctor.stdout).checks));
  });

  it("roles that grant the permissions but that nobody holds: both warn that no user can obtain them", async () => {
    const api = "http://localhost:3001/mcp";
    await writeFile(join(dir, "nobody.yaml"), "roles:\n  - name: Unheld\n    permissions: [tool:whoami, tool:greet]\n");
    const init = await local(["init", "--yes", "--server-url", api, "--scopes", SCOPES, "--connections", "Username-Password-Authentication", "--roles", "nobody.yaml"]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/⚠ Users holding them: none: no user can obtain any of this API's permissions/);
    const doctor = await local(["doctor", "--api-identifier", api]);
    expect(doctor.stderr).toMatch(/⚠ Users holding them: none: no user can obtain any of this API's permissions/);
    expect(statuses(JSON.parse(init.stdout).doctor.checks)).toEqual(statuses(JSON.parse(doctor.stdout).checks));

    // Once a user holds the role, both stop warning.
    await writeFile(join(dir, "nobody.yaml"), "roles:\n  - name: Unheld\n    permissions: [tool:whoami, tool:greet]\n    users: [admin@example.com]\n");
    const again = await local(["init", "--yes", "--server-url", api, "--scopes", SCOPES, "--connections", "Username-Password-Authentication", "--roles", "nobody.yaml"]);
    expect(again.stderr).not.toContain("Users holding them");
    expect((await local(["doctor", "--api-identifier", api])).stderr).not.toContain("Users holding them");
  });
});
