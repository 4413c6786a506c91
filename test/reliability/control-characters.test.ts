import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/**
 * Issue 16, defect 5: a newline or tab inside --api-identifier / --server-url, an API name, a scope
 * description or a role name was accepted and sent to Auth0. Every text input now refuses control
 * characters (C0, DEL, C1) before the first write, naming the field.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await freshFixture();
  await writeFile(join(fx.dir, "role-newline.yaml"), 'roles:\n  - name: "Tool\\nAdmin"\n    permissions: [tool:whoami]\n');
  await writeFile(join(fx.dir, "role-description-tab.yaml"), 'roles:\n  - name: Tool Admin\n    description: "Can\\tuse"\n    permissions: [tool:whoami]\n');
  await writeFile(join(fx.dir, "config-del.yaml"), `api:\n  identifier: ${IDENTIFIER}\n  name: "Bad\\x7fName"\n  scopes: [{ value: "tool:whoami" }]\n`);
  await writeFile(join(fx.dir, "config-c1.yaml"), `api:\n  identifier: ${IDENTIFIER}\n  scopes: [{ value: "tool:whoami", description: "Read\\x85it" }]\n`);
});
afterAll(async () => fx?.tenant.close());

function withFlag(flag: string, value: string, args = exampleArgs(fx.dir)): string[] {
  args[args.indexOf(flag) + 1] = value;
  return args;
}

const proxyArgs = () => [...exampleArgs(fx.dir), "--mode", "proxy", "--template", "mcp-use-proxy", "--callback-url", "http://localhost:3000/oauth/callback"];
const configArgs = (file: string) => ["init", "--yes", "--config", join(fx.dir, file), "--env-path", join(fx.dir, ".env")];

const cases: Array<{ name: string; args: () => string[]; field: string; what: string }> = [
  { name: "a newline inside --api-identifier", args: () => withFlag("--api-identifier", "https://mcp.example.com/m\ncp"), field: "--api-identifier", what: "a line break" },
  { name: "a tab inside --server-url", args: () => withFlag("--server-url", "https://mcp.example.com/\tmcp"), field: "--server-url", what: "a tab" },
  { name: "a trailing newline on --api-identifier", args: () => withFlag("--api-identifier", `${IDENTIFIER}\n`), field: "--api-identifier", what: "a line break" },
  { name: "a newline in the API name", args: () => withFlag("--api-name", "Acceptance\nMCP"), field: "--api-name", what: "a line break" },
  { name: "a tab in a scope description", args: () => withFlag("--scopes", "tool:whoami=Read\tyour identity,tool:greet=Greet someone"), field: "--scopes", what: "a tab" },
  { name: "an escape character in a connection name", args: () => withFlag("--connections", "google-oauth2,\u001b[31mx"), field: "--connections", what: "U+001B" },
  { name: "a newline in a role name", args: () => withFlag("--roles", join(fx.dir, "role-newline.yaml")), field: "roles.0.name in the roles file", what: "a line break" },
  {
    name: "a tab in a role description",
    args: () => withFlag("--roles", join(fx.dir, "role-description-tab.yaml")),
    field: "roles.0.description in the roles file",
    what: "a tab",
  },
  { name: "a newline in the proxy application's name", args: () => [...proxyArgs(), "--app-name", "Proxy\nApp"], field: "--app-name", what: "a line break" },
  {
    name: "a newline in a callback URL",
    args: () => withFlag("--callback-url", "http://localhost:3000/oauth/\ncallback", proxyArgs()),
    field: "--callback-url",
    what: "a line break",
  },
  { name: "a tab in credentials create's application name", args: () => ["credentials", "create", "--yes", "--name", "mcp\tauth0"], field: "--name", what: "a tab" },
  { name: "DEL in a config file value", args: () => configArgs("config-del.yaml"), field: "api.name in", what: "U+007F" },
  { name: "a C1 control (NEL) in a config file value", args: () => configArgs("config-c1.yaml"), field: "api.scopes.0.description in", what: "U+0085" },
];

describe("control characters in text inputs are refused before any write, naming the field", () => {
  for (const c of cases) {
    it(c.name, async () => {
      fx.tenant.resetCalls();
      const result = await cli(c.args(), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(c.field);
      expect(result.stderr).toContain(c.what);
      expect(result.stderr).toMatch(/control characters are not allowed/);
      expect(fx.tenant.writes()).toEqual([]);
      expect(fx.tenant.store.resourceServers.some((r) => r.identifier.includes("\n"))).toBe(false);
    });
  }
});

describe("URLs are parsed strictly: what Auth0 stores is what was typed", () => {
  it.each([
    ["a backslash (the URL parser turns it into /)", "https://mcp.example.com\\mcp", '"\\"'],
    ["a space", "https://mcp.example.com/my mcp", "a space"],
    ["no // after the scheme (the URL parser accepts https:host)", "https:mcp.example.com/mcp", "must start with https://"],
    ["a user name and password", "https://user:pw@mcp.example.com/mcp", "user name or password"],
    ["a bare %", "https://mcp.example.com/100%", "percent-encoding"],
    ["a non-ASCII letter", "https://mcp.example.com/café", '"é"'],
  ])("refuses %s", async (_what, url, mention) => {
    fx.tenant.resetCalls();
    const result = await cli(withFlag("--api-identifier", url), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--api-identifier");
    expect(result.stderr).toContain(mention);
    expect(fx.tenant.writes()).toEqual([]);
  });
});
