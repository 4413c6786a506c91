import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { once } from "node:events";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, type Fixture } from "../support/tenant.js";

/**
 * Every bad input fails before the first write, with the exit code of SPEC §3, a message that
 * names the culprit, and no stack trace.
 */
let fx: Fixture;
let closedPort: number;
beforeAll(async () => {
  fx = await freshFixture();
  // A port nothing listens on (fetch refuses "bad ports" such as 9 before connecting).
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  closedPort = (probe.address() as AddressInfo).port;
  probe.close();
  await writeFile(join(fx.dir, "broken.yaml"), "roles:\n  - name: [unclosed\n");
  await writeFile(join(fx.dir, "not-a-scope.yaml"), "roles:\n  - name: Tool User\n    permissions: [tool:whoami, tool:launch-missiles]\n");
});
afterAll(async () => fx?.tenant.close());

function withFlag(flag: string, value: string): string[] {
  const args = exampleArgs(fx.dir);
  args[args.indexOf(flag) + 1] = value;
  return args;
}

const cases: Array<{ name: string; args: () => string[]; env?: () => NodeJS.ProcessEnv; code: number; mentions: () => string[] }> = [
  {
    name: "a malformed domain",
    args: () => exampleArgs(fx.dir),
    env: () => ({ ...fx.env, AUTH0_DOMAIN: "acme auth0 com/x" }),
    code: 2,
    mentions: () => ["acme auth0 com/x", "--domain"],
  },
  {
    name: "an unreachable tenant",
    args: () => exampleArgs(fx.dir),
    env: () => ({ ...fx.env, AUTH0_DOMAIN: `127.0.0.1:${closedPort}` }),
    code: 4,
    mentions: () => [`127.0.0.1:${closedPort}`, "ECONNREFUSED"],
  },
  { name: "a non-URL identifier", args: () => withFlag("--api-identifier", "mcp-server"), code: 2, mentions: () => ["mcp-server", "--api-identifier"] },
  { name: "a scope with a space", args: () => withFlag("--scopes", "tool:who ami=Who"), code: 2, mentions: () => ['"tool:who ami"', "--scopes"] },
  { name: "an unknown connection", args: () => withFlag("--connections", "google-oauth2,myspace"), code: 2, mentions: () => ["myspace", "Username-Password-Authentication"] },
  { name: "a missing roles file", args: () => withFlag("--roles", join(fx.dir, "nope.yaml")), code: 2, mentions: () => ["nope.yaml", "does not exist"] },
  { name: "a roles file with broken YAML", args: () => withFlag("--roles", join(fx.dir, "broken.yaml")), code: 2, mentions: () => ["broken.yaml", "not valid YAML"] },
  {
    name: "a roles file with a permission that is not a scope",
    args: () => withFlag("--roles", join(fx.dir, "not-a-scope.yaml")),
    code: 2,
    mentions: () => ["tool:launch-missiles", "Tool User"],
  },
  { name: "an .env path in a missing directory", args: () => withFlag("--env-path", join(fx.dir, "missing", ".env")), code: 2, mentions: () => [join(fx.dir, "missing")] },
  {
    name: "a wrong client secret",
    args: () => exampleArgs(fx.dir),
    env: () => ({ ...fx.env, AUTH0_CLIENT_SECRET: "wrong-secret-value-123" }),
    code: 3,
    mentions: () => [fx.env.AUTH0_CLIENT_ID!, "AUTH0_CLIENT_SECRET"],
  },
  {
    name: "no credentials at all",
    args: () => exampleArgs(fx.dir),
    env: () => ({ AUTH0_DOMAIN: fx.tenant.domain }),
    code: 2,
    mentions: () => ["--client-id", "AUTH0_CLIENT_ID", "--token"],
  },
];

describe("bad input fails before any write", () => {
  for (const c of cases) {
    it(c.name, async () => {
      fx.tenant.resetCalls();
      const result = await cli(c.args(), { env: c.env?.() ?? fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
      expect(result.code).toBe(c.code);
      for (const m of c.mentions()) expect(result.stderr).toContain(m);
      expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(result.stderr.trim().split("\n").length).toBeLessThanOrEqual(3);
      expect(fx.tenant.writes()).toEqual([]);
      expect(result.stderr + result.stdout).not.toContain("wrong-secret-value-123");
    });
  }
});

describe("a value outside a flag's choices is a usage error before any request", () => {
  const choices: Array<[string, () => string[]]> = [
    ["doctor --mode bogus", () => ["doctor", "--mode", "bogus", "--api-identifier", "https://mcp.example.com/mcp"]],
    ["credentials create --mode bogus", () => ["credentials", "create", "--mode", "bogus"]],
    ["init --mode bogus", () => [...exampleArgs(fx.dir), "--mode", "bogus"]],
  ];
  for (const [name, args] of choices) {
    it(name, async () => {
      fx.tenant.resetCalls();
      const result = await cli(args(), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("option '--mode <mode>' argument 'bogus' is invalid. Allowed choices are dcr, proxy.");
      expect(fx.tenant.calls).toEqual([]);
    });
  }
});
