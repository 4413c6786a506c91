import { afterEach, describe, expect, it } from "vitest";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli } from "../support/cli.js";
import { shellWords } from "../support/shell.js";
import { freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { listTemplates } from "../../src/env/templates.js";

let fx: Fixture;
afterEach(async () => {
  await fx?.tenant.close();
  fx = undefined!;
});

const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });

const SERVER_URL = "http://localhost:3000/mcp";
const CALLBACK = "http://localhost:3000/oauth/callback";
const API_BASE_URL = "http://localhost:8789";
const SCOPES = "tool:whoami=Read your identity,tool:greet=Greet someone";

/** The .env text as a map (every value here is written bare or double-quoted without escapes). */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => {
        const eq = line.indexOf("=");
        return [line.slice(0, eq), line.slice(eq + 1).replace(/^"(.*)"$/, "$1")];
      }),
  );
}

interface Row {
  template: string;
  mode: "dcr" | "proxy";
  /** The API identifier, when the framework needs another than the example's (mcp-use 1.x: the origin). */
  identifier?: string;
  /** AUTH0-FACTS, "What MCP servers read from .env", in the framework's own order. */
  variables: string[];
  extra?: string[];
  /** The client whose id and secret the preset writes: the proxy application, or the Custom API client of the On-Behalf-Of exchange. */
  app?: "regular_web" | "resource_server";
  /** Each variable's value, given the tenant's domain and the proxy application (when there is one). */
  expected: (domain: string, app?: { id: string; secret: string }) => Record<string, string>;
}

const TABLE: Row[] = [
  {
    template: "auth0",
    mode: "dcr",
    // AUTH0-FACTS also lists PORT, which the server chooses itself; SPEC §5 has the preset write the other three.
    variables: ["AUTH0_DOMAIN", "AUTH0_AUDIENCE", "MCP_SERVER_URL"],
    expected: (domain) => ({ AUTH0_DOMAIN: domain, AUTH0_AUDIENCE: IDENTIFIER, MCP_SERVER_URL: SERVER_URL }),
  },
  {
    template: "mcp-use",
    mode: "dcr",
    variables: ["MCP_USE_OAUTH_AUTH0_DOMAIN", "MCP_USE_OAUTH_AUTH0_AUDIENCE"],
    expected: (domain) => ({ MCP_USE_OAUTH_AUTH0_DOMAIN: domain, MCP_USE_OAUTH_AUTH0_AUDIENCE: IDENTIFIER }),
  },
  {
    // mcp-use 1.x advertises its bare origin as the resource, and reads its base URL from MCP_URL.
    template: "mcp-use-1",
    mode: "dcr",
    identifier: "http://localhost:3000",
    variables: ["MCP_USE_OAUTH_AUTH0_DOMAIN", "MCP_USE_OAUTH_AUTH0_AUDIENCE", "MCP_URL"],
    expected: (domain) => ({ MCP_USE_OAUTH_AUTH0_DOMAIN: domain, MCP_USE_OAUTH_AUTH0_AUDIENCE: "http://localhost:3000", MCP_URL: "http://localhost:3000" }),
  },
  {
    // mcp-use 1.30–1.34 (2.x has no oauthProxy): the library reads MCP_URL, never BASE_URL; the rest is what its example passes in.
    template: "mcp-use-proxy",
    mode: "proxy",
    app: "regular_web",
    variables: ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_AUDIENCE", "MCP_URL"],
    expected: (domain, app) => ({
      AUTH0_DOMAIN: domain,
      AUTH0_CLIENT_ID: app!.id,
      AUTH0_CLIENT_SECRET: app!.secret,
      AUTH0_AUDIENCE: IDENTIFIER,
      MCP_URL: "http://localhost:3000",
    }),
  },
  {
    template: "fastmcp-python",
    mode: "proxy",
    app: "regular_web",
    variables: [
      "FASTMCP_SERVER_AUTH_AUTH0_CONFIG_URL",
      "FASTMCP_SERVER_AUTH_AUTH0_CLIENT_ID",
      "FASTMCP_SERVER_AUTH_AUTH0_CLIENT_SECRET",
      "FASTMCP_SERVER_AUTH_AUTH0_AUDIENCE",
      "FASTMCP_SERVER_AUTH_AUTH0_BASE_URL",
    ],
    expected: (domain, app) => ({
      FASTMCP_SERVER_AUTH_AUTH0_CONFIG_URL: `https://${domain}/.well-known/openid-configuration`,
      FASTMCP_SERVER_AUTH_AUTH0_CLIENT_ID: app!.id,
      FASTMCP_SERVER_AUTH_AUTH0_CLIENT_SECRET: app!.secret,
      FASTMCP_SERVER_AUTH_AUTH0_AUDIENCE: IDENTIFIER,
      FASTMCP_SERVER_AUTH_AUTH0_BASE_URL: "http://localhost:3000",
    }),
  },
  {
    template: "cloudflare",
    mode: "proxy",
    app: "regular_web",
    variables: ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_AUDIENCE", "AUTH0_SCOPE", "API_BASE_URL"],
    extra: ["--api-base-url", API_BASE_URL],
    expected: (domain, app) => ({
      AUTH0_DOMAIN: domain,
      AUTH0_CLIENT_ID: app!.id,
      AUTH0_CLIENT_SECRET: app!.secret,
      AUTH0_AUDIENCE: IDENTIFIER,
      AUTH0_SCOPE: "openid profile email offline_access tool:whoami tool:greet",
      API_BASE_URL,
    }),
  },
  {
    template: "auth0-obo",
    mode: "dcr",
    app: "resource_server",
    // auth0-ai-samples auth-for-mcp/fastmcp-mcp-on-behalf-of-tokenexchange-js, src/auth0.ts and src/tools.ts (PORT has a default).
    variables: [
      "AUTH0_DOMAIN",
      "AUTH0_AUDIENCE",
      "MCP_SERVER_URL",
      "MCP_AUTH0_CLIENT_ID",
      "MCP_AUTH0_CLIENT_SECRET",
      "MCP_AUTH0_EXCHANGE_SCOPE",
      "API_AUTH0_AUDIENCE",
      "API_BASE_URL",
    ],
    extra: ["--downstream-api", "http://localhost:8787/=read:private=Read private data,read:calendar", "--api-base-url", API_BASE_URL],
    expected: (domain, app) => ({
      AUTH0_DOMAIN: domain,
      AUTH0_AUDIENCE: IDENTIFIER,
      MCP_SERVER_URL: SERVER_URL,
      MCP_AUTH0_CLIENT_ID: app!.id,
      MCP_AUTH0_CLIENT_SECRET: app!.secret,
      MCP_AUTH0_EXCHANGE_SCOPE: "read:private read:calendar",
      API_AUTH0_AUDIENCE: "http://localhost:8787/",
      API_BASE_URL,
    }),
  },
];

it("the table covers every shipped preset, with its mode", async () => {
  const shipped = await listTemplates();
  expect(shipped.map((t) => [t.name, t.mode]).sort()).toEqual(TABLE.map((r) => [r.template, r.mode]).sort());
  for (const t of shipped) expect(t.framework, t.name).toBeTruthy();
});

describe.each(TABLE)("preset $template ($mode)", (row) => {
  it("init writes exactly the variables its framework reads, and env writes the same file without a tenant write", async () => {
    fx = await freshFixture();
    const envPath = join(fx.dir, ".env");
    const init = await run([
      "init",
      "--yes",
      "--template",
      row.template,
      "--api-identifier",
      row.identifier ?? IDENTIFIER,
      "--server-url",
      SERVER_URL,
      "--scopes",
      SCOPES,
      "--connections",
      "Username-Password-Authentication",
      "--env-path",
      envPath,
      ...(row.mode === "proxy" ? ["--mode", "proxy", "--callback-url", CALLBACK] : []),
      ...(row.extra ?? []),
    ]);
    expect(init.stderr).not.toContain("✖");
    expect(init.code).toBe(0);

    const apps = fx.tenant.store.clients.filter((c) => c.app_type === (row.app ?? "regular_web"));
    expect(apps).toHaveLength(row.app ? 1 : 0);
    const app = apps[0] ? { id: apps[0].client_id, secret: apps[0].client_secret! } : undefined;

    const text = await readFile(envPath, "utf8");
    const written = parseEnv(text);
    expect(Object.keys(written)).toEqual(row.variables);
    expect(written).toEqual(row.expected(fx.tenant.domain, app));
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);
    if (app) expect(init.stdout + init.stderr).not.toContain(app.secret);

    fx.tenant.resetCalls();
    const envOnly = join(fx.dir, "from-env-command.env");
    const env = await run([
      "env",
      "--template",
      row.template,
      "--api-identifier",
      row.identifier ?? IDENTIFIER,
      "--server-url",
      SERVER_URL,
      "--env-path",
      envOnly,
      ...(row.extra ?? []),
    ]);
    expect(env.stderr).not.toContain("✖");
    expect(env.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(await readFile(envOnly, "utf8")).toBe(text);
    if (app) expect(env.stdout + env.stderr).not.toContain(app.secret);
  });
});

describe("presets say which framework versions they serve (checked against mcp-use's source)", () => {
  /** A project with mcp-use at `version` installed, as npm leaves it. */
  async function withMcpUse(version: string) {
    const dir = join(fx.dir, "node_modules", "mcp-use");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "mcp-use", version }));
  }
  const doctorChecks = async () =>
    (JSON.parse((await run(["doctor", "--json"])).stdout) as { checks: Array<{ group: string; title: string; status: string; detail: string; fix?: string }> }).checks;

  it("templates lists each mcp-use preset with its versions", async () => {
    const { stdout } = await cli(["templates", "--json"]);
    const serves = Object.fromEntries((JSON.parse(stdout).templates as Array<{ name: string; serves?: unknown }>).map((t) => [t.name, t.serves]));
    expect(serves).toMatchObject({
      "mcp-use": { package: "mcp-use", from: "2.2.0" },
      "mcp-use-1": { package: "mcp-use", from: "1.10.0", below: "2.0.0" },
      "mcp-use-proxy": { package: "mcp-use", from: "1.30.0", below: "2.0.0" },
    });
  });

  it("init with mcp-use 1.x installed and the 2.x preset says which preset fits; doctor fails it, and its fix (another API: 1.x advertises its origin) passes", async () => {
    fx = await freshFixture();
    await withMcpUse("1.34.6");
    const init = await run(["init", "--yes", "--template", "mcp-use", "--api-identifier", IDENTIFIER, "--scopes", SCOPES, "--connections", "Username-Password-Authentication"]);
    expect(init.code).toBe(0);
    expect(init.stderr).toContain("mcp-use 1.34.6 is installed here, but the mcp-use preset is for mcp-use >=2.2.0: that version reads what the mcp-use-1 preset writes");

    const framework = (await doctorChecks()).find((c) => c.title === "Framework")!;
    expect(framework).toMatchObject({ status: "fail" });
    expect(framework.fix).toContain("init --api-identifier https://mcp.example.com --scopes");
    expect(framework.fix).toContain("--template mcp-use-1");
    // The fix as printed: npx mcp-auth0 …
    expect(framework.fix!.startsWith("npx mcp-auth0 ")).toBe(true);
    const fixed = await run(shellWords(framework.fix!).slice(2));
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(parseEnv(await readFile(join(fx.dir, ".env"), "utf8"))).toMatchObject({ MCP_USE_OAUTH_AUTH0_AUDIENCE: "https://mcp.example.com", MCP_URL: "https://mcp.example.com" });
    const after = await doctorChecks();
    expect(after.find((c) => c.title === "Framework")).toMatchObject({
      status: "pass",
      detail: "mcp-use 1.34.6 is installed here; the mcp-use-1 preset is for mcp-use >=1.10.0 <2.0.0",
    });
    expect(after.some((c) => c.title === "Resource")).toBe(false);
  });

  it("the mcp-use 1.x preset refuses an API identifier that is not the server's origin, before any write", async () => {
    fx = await freshFixture();
    fx.tenant.resetCalls();
    const result = await run(["init", "--yes", "--template", "mcp-use-1", "--api-identifier", IDENTIFIER, "--scopes", SCOPES]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MCP clients would ask Auth0 for https://mcp.example.com and meet "Service not found"');
    expect(result.stderr).toContain("--api-identifier https://mcp.example.com");
    expect(fx.tenant.writes()).toEqual([]);
  });
});
