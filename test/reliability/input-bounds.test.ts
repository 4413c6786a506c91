import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, PROXY_CALLBACK, proxyExampleArgs, type Fixture } from "../support/tenant.js";

/*
 * Issue 21, item 9: inputs that were accepted silently and failed later — invisible format
 * characters in names, URLs that clients normalise into another one, plain-http and wildcard
 * callbacks, timeouts that crashed the timers, and a system API (the Management API) as the API
 * whose permissions roles grant. Each is refused before the first write, with exit 2 and a message
 * that names the value.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await freshFixture();
  await writeFile(join(fx.dir, "role-rlo.yaml"), 'roles:\n  - name: "Tool \\u202eAdmin"\n    permissions: [tool:whoami]\n');
  await writeFile(join(fx.dir, "client-keys.yaml"), "roles:\n  - name: Key Reader\n    permissions: [read:client_keys]\n");
});
afterAll(async () => fx?.tenant.close());

const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

function withFlag(flag: string, value: string, args = exampleArgs(fx.dir)): string[] {
  args[args.indexOf(flag) + 1] = value;
  return args;
}

/** Exit 2, every mention in the message, and nothing written to the tenant. */
async function refused(args: string[], mentions: string[]) {
  fx.tenant.resetCalls();
  const result = await run(args);
  expect(result.code, result.stderr).toBe(2);
  for (const m of mentions) expect(result.stderr).toContain(m);
  expect(fx.tenant.writes()).toEqual([]);
  return result;
}

describe("invisible format characters in names are refused like control characters", () => {
  it.each([
    ["a line separator (U+2028) in the API name", () => withFlag("--api-name", "Acceptance\u2028MCP"), ["--api-name", "a line separator (U+2028)"]],
    ["a right-to-left override (U+202E) in a role name", () => withFlag("--roles", join(fx.dir, "role-rlo.yaml")), ["roles.0.name in the roles file", "U+202E"]],
    ["a zero-width space (U+200B) in the proxy application's name", () => [...proxyExampleArgs(fx.dir), "--app-name", "Proxy\u200bApp"], ["--app-name", "U+200B"]],
    ["a bidi isolate (U+2066) in a scope description", () => withFlag("--scopes", "tool:whoami=Read \u2066your identity"), ["--scopes", "U+2066"]],
  ])("%s", async (_what, args, mentions) => {
    const result = await refused(args(), mentions);
    expect(result.stderr).toContain("invisible format characters (bidi overrides, zero-width characters, line separators) are not allowed");
  });
});

describe("a URL that clients would send in another form is refused, naming that form", () => {
  it.each([
    ["a .. segment", "https://mcp.example.com/api/../mcp"],
    ["a . segment", "https://mcp.example.com/./mcp"],
    ["an encoded .. segment", "https://mcp.example.com/x/%2e%2e/mcp"],
    ["an upper-case host", "https://MCP.Example.com/mcp"],
    ["the default port", "https://mcp.example.com:443/mcp"],
  ])("%s in --api-identifier", async (_what, url) => {
    await refused(withFlag("--api-identifier", url), ["--api-identifier", `Give it as ${IDENTIFIER}.`]);
  });

  it("in a proxy's callback URL too", async () => {
    await refused(withFlag("--callback-url", "http://LOCALHOST:3000/oauth/callback", proxyExampleArgs(fx.dir)), [
      "--callback-url",
      "Give it as http://localhost:3000/oauth/callback.",
    ]);
  });
});

describe("callback URLs that would hand the authorization code to others", () => {
  it("plain http on another host than this machine", async () => {
    await refused(withFlag("--callback-url", "http://mcp.example.com/oauth/callback", proxyExampleArgs(fx.dir)), ["--callback-url", "http:// only for localhost"]);
  });

  it("a wildcard", async () => {
    await refused(withFlag("--callback-url", `${PROXY_CALLBACK},https://*.example.com/oauth/callback`, proxyExampleArgs(fx.dir)), ["--callback-url", "wildcard"]);
  });
});

describe("--timeout", () => {
  it.each(["0.0001", "99999999999"])("%s is a usage error before any request", async (seconds) => {
    fx.tenant.resetCalls();
    const result = await run(["doctor", "--api-identifier", IDENTIFIER, "--timeout", seconds]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("from 0.1 to 3600");
    expect(fx.tenant.calls).toEqual([]);
  });

  it("a fraction of a millisecond is rounded, not a crash of the timers", async () => {
    const result = await run(["doctor", "--api-identifier", IDENTIFIER, "--timeout", "2.0005"]);
    expect(result.stderr).not.toContain("out of range");
    expect(result.code).toBe(6);
  });
});

describe("a system API is never the API of a command", () => {
  const managementApi = () => `https://${fx.tenant.domain}/api/v2/`;

  it("roles sync does not grant the Management API's read:client_keys to users through a role", async () => {
    await refused(["roles", "sync", "--file", "client-keys.yaml", "--api-identifier", managementApi()], [managementApi(), "system API"]);
    expect(fx.tenant.store.roles.map((r) => r.name)).not.toContain("Key Reader");
  });

  it("roles sync: a roles file's apiPermissions naming it is refused, naming the file, not --api-identifier", async () => {
    await writeFile(join(fx.dir, "downstream-keys.yaml"), `roles:\n  - name: Key Reader\n    permissions: []\n    apiPermissions:\n      ${managementApi()}: [read:client_keys]\n`);
    const result = await refused(
      ["roles", "sync", "--file", "downstream-keys.yaml", "--api-identifier", IDENTIFIER],
      [`apiPermissions in downstream-keys.yaml ${managementApi()}`, "system API"],
    );
    expect(result.stderr).not.toContain("--api-identifier");
  });

  it.each([
    ["init", () => withFlag("--api-identifier", managementApi())],
    ["doctor", () => ["doctor", "--api-identifier", managementApi()]],
  ])("%s", async (_command, args) => {
    await refused(args(), [managementApi(), "system API"]);
  });

  it("init --downstream-api: the message names the flag that gave it, not --api-identifier", async () => {
    const result = await refused(
      [...exampleArgs(fx.dir), "--downstream-api", `${managementApi()}=read:users`, "--api-base-url", "http://localhost:8787"],
      [`--downstream-api ${managementApi()}`, "system API"],
    );
    expect(result.stderr).not.toContain("--api-identifier");
  });

  it("env writes no .env naming it as the audience", async () => {
    const envPath = join(fx.dir, "system.env");
    await refused(["env", "--template", "auth0", "--api-identifier", managementApi(), "--env-path", envPath], ["system API"]);
    expect(existsSync(envPath)).toBe(false);
  });
});
