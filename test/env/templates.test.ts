import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { envEntries, listTemplates, loadTemplate, TEMPLATES_DIR } from "../../src/env/templates.js";
import type { EnvValues } from "../../src/env/templates.js";
import { InputError } from "../../src/errors.js";

const VALUES: EnvValues = {
  domain: "acme.us.auth0.com",
  audience: "https://mcp.example.com/mcp",
  serverUrl: "https://mcp.example.com",
};

describe("shipped presets", () => {
  it("live in <package root>/templates, which package.json ships", async () => {
    const root = resolve(import.meta.dirname, "../..");
    expect(resolve(TEMPLATES_DIR)).toBe(join(root, "templates"));
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("templates");
  });

  it("are all valid, and include auth0 and mcp-use", async () => {
    const templates = await listTemplates();
    expect(templates.map((template) => template.name)).toEqual(expect.arrayContaining(["auth0", "mcp-use"]));
  });

  it("auth0 writes exactly what Auth0's MCP samples read", async () => {
    const entries = envEntries(await loadTemplate("auth0"), VALUES);
    expect(entries).toEqual([
      ["AUTH0_DOMAIN", "acme.us.auth0.com"],
      ["AUTH0_AUDIENCE", "https://mcp.example.com/mcp"],
      ["MCP_SERVER_URL", "https://mcp.example.com"],
    ]);
  });

  it("mcp-use writes exactly what oauthAuth0Provider() reads, with a bare domain", async () => {
    const entries = envEntries(await loadTemplate("mcp-use"), { ...VALUES, domain: "https://acme.us.auth0.com/" });
    expect(entries).toEqual([
      ["MCP_USE_OAUTH_AUTH0_DOMAIN", "acme.us.auth0.com"],
      ["MCP_USE_OAUTH_AUTH0_AUDIENCE", "https://mcp.example.com/mcp"],
    ]);
  });

  it("leaves out a variable whose value is unknown", async () => {
    const entries = envEntries(await loadTemplate("auth0"), { domain: "localhost:8443", audience: "https://mcp.local/" });
    expect(entries.map(([key]) => key)).toEqual(["AUTH0_DOMAIN", "AUTH0_AUDIENCE"]);
    expect(entries[0]).toEqual(["AUTH0_DOMAIN", "localhost:8443"]);
  });

  it("rejects an unknown name, listing the available ones", async () => {
    const error = await loadTemplate("fastmcp").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    expect((error as InputError).message).toMatch(/Unknown \.env template "fastmcp"\. Available templates: .*auth0, .*mcp-use/);
    expect((error as InputError).hint).toMatch(/--template/);
  });

  it("does not read files outside the templates directory", async () => {
    await expect(loadTemplate("../package")).rejects.toBeInstanceOf(InputError);
  });
});

describe("template files", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-templates-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("can name derived values and proxy credentials (the format later presets need)", async () => {
    await writeFile(
      join(dir, "fastmcp-python.json"),
      JSON.stringify({
        name: "fastmcp-python",
        description: "FastMCP Python Auth0Provider",
        mode: "proxy",
        variables: {
          FASTMCP_SERVER_AUTH_AUTH0_CONFIG_URL: "configUrl",
          FASTMCP_SERVER_AUTH_AUTH0_CLIENT_ID: "clientId",
          FASTMCP_SERVER_AUTH_AUTH0_CLIENT_SECRET: "clientSecret",
          FASTMCP_SERVER_AUTH_AUTH0_AUDIENCE: "audience",
          FASTMCP_SERVER_AUTH_AUTH0_BASE_URL: "serverUrl",
          ISSUER: "issuer",
          AUTH0_SCOPE: "scope",
        },
      }),
    );
    const template = await loadTemplate("fastmcp-python", dir);
    expect(template.mode).toBe("proxy");
    expect(envEntries(template, { ...VALUES, clientId: "abc", clientSecret: "s3cret", scope: "openid tool:whoami" })).toEqual([
      ["FASTMCP_SERVER_AUTH_AUTH0_CONFIG_URL", "https://acme.us.auth0.com/.well-known/openid-configuration"],
      ["FASTMCP_SERVER_AUTH_AUTH0_CLIENT_ID", "abc"],
      ["FASTMCP_SERVER_AUTH_AUTH0_CLIENT_SECRET", "s3cret"],
      ["FASTMCP_SERVER_AUTH_AUTH0_AUDIENCE", "https://mcp.example.com/mcp"],
      ["FASTMCP_SERVER_AUTH_AUTH0_BASE_URL", "https://mcp.example.com"],
      ["ISSUER", "https://acme.us.auth0.com/"],
      ["AUTH0_SCOPE", "openid tool:whoami"],
    ]);
  });

  it("rejects a template that names an unknown value, saying which file", async () => {
    await writeFile(join(dir, "broken.json"), JSON.stringify({ name: "broken", description: "x", mode: "dcr", variables: { AUTH0_DOMAIN: "tenant" } }));
    await expect(loadTemplate("broken", dir)).rejects.toThrow(/broken\.json is invalid[\s\S]*variables/);
  });

  it("rejects a template whose name differs from its file name", async () => {
    await writeFile(join(dir, "one.json"), JSON.stringify({ name: "two", description: "x", mode: "dcr", variables: { AUTH0_DOMAIN: "domain" } }));
    await expect(loadTemplate("one", dir)).rejects.toThrow(/must match its file name/);
  });
});
