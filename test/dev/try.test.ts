import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli, scriptedPrompter } from "../support/cli.js";
import { ROLES_YAML } from "../support/tenant.js";
import { cliArgs, freePort } from "../support/shell.js";
import { trustingFetch } from "./support/mcp-client.js";
import { startServer, type RunningServer } from "../../examples/mcp-server/src/server.js";

/*
 * `mcp-auth0 try --local`: an MCP client's whole way to a tool against the dev tenant (its pages,
 * without --auto-login, answered for the dev user), and the examples' MCP server, which verifies
 * tokens and asks a scope per tool. A good setup passes; each misconfiguration of issue 20 fails
 * at the step where an MCP client would, with its cause named and what fixes it.
 */

let dir: string;
let dev: DevTenant;
let trusted: ReturnType<typeof trustingFetch>;
const servers: RunningServer[] = [];

const SCOPES = "tool:whoami=Read your identity,tool:greet=Greet someone";
const local = (args: string[], options: Parameters<typeof cli>[1] = {}) => cli([...args, "--local"], { cwd: dir, ...options });

/** An MCP server (the example's) for a new API, provisioned by init --local: `roles` gives admin@example.com every scope. */
async function provisioned(options: {
  roles: boolean | "role-users";
  trustsTenant?: boolean;
  audience?: (url: string) => string;
}): Promise<RunningServer & { init: string; log: string[] }> {
  // Its audience (the API) is its URL, as init's --server-url makes it, unless the case says otherwise.
  const port = await freePort();
  const url = `http://localhost:${port}/mcp`;
  const log: string[] = [];
  const server = await startServer({
    domain: dev.domain,
    audience: options.audience?.(url) ?? url,
    port,
    log: (line) => log.push(line),
    ...(options.trustsTenant === false ? {} : { fetch: trusted.fetch }),
  });
  servers.push(server);
  const init = await local([
    "init",
    "--server-url",
    server.url,
    "--scopes",
    SCOPES,
    "--connections",
    "Username-Password-Authentication",
    ...(options.roles === "role-users" ? ["--role-users", "admin@example.com"] : options.roles ? ["--roles", "roles.yaml"] : []),
    "--env-path",
    `${new URL(server.url).port}.env`,
  ]);
  expect(init.code, init.stderr).toBe(0);
  return Object.assign(server, { init: init.stderr, log });
}

const tryIt = (server: RunningServer, ...extra: string[]) => local(["try", "--server-url", server.url, "--env-path", `${new URL(server.url).port}.env`, ...extra]);
const thirdPartyClients = () => dev.store.clients.filter((c) => c.is_first_party === false).length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-try-"));
  await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
  // No --auto-login: try --local answers the login page and the consent screen itself.
  dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0") });
  trusted = trustingFetch(dev.caCertPem);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dev?.close();
  await trusted?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("mcp-auth0 try --local", () => {
  it("init --local's next steps: the server's start line with the dev tenant's CA, and the connection check, which runs as printed", async () => {
    const server = await provisioned({ roles: true });
    const env = `${new URL(server.url).port}.env`;
    expect(server.init).toContain("NODE_EXTRA_CA_CERTS=.mcp-auth0/ca.pem npm start");
    const printed = new RegExp(`npx mcp-auth0 try --server-url ${server.url} --env-path ${env} --local$`, "m").exec(server.init)?.[0];
    expect(printed, server.init).toBeDefined();
    const result = await cli(cliArgs(printed!), { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
  });

  it("a good setup: every step passes, the token and the tool's answer are shown; a second run reuses its client", async () => {
    const server = await provisioned({ roles: true });
    const before = thirdPartyClients();
    const first = await tryIt(server, "--tool", "whoami", "--json");
    expect(first.code, first.stderr).toBe(0);
    for (const step of ["401 challenge", "Protected-resource metadata", "Metadata", "Client", "Login", "Token", "tools/list", "tools/call whoami"]) {
      expect(first.stderr).toMatch(new RegExp(`✔ ${step.replace("/", "\\/")}: `));
    }
    expect(first.stderr).toContain(`aud ${server.url}`);
    expect(first.stderr).toMatch(/permissions \[tool:whoami, tool:greet\]|permissions \[tool:greet, tool:whoami\]/);
    expect(first.stderr).toContain("admin@example.com logged in and consented");
    expect(first.stderr).toMatch(/Connected: an MCP client logged in and called a tool\./);
    const doc = JSON.parse(first.stdout);
    expect(doc).toMatchObject({ ok: true, client: { how: "registered" }, token: { aud: [server.url], iss: dev.issuer }, tool: { name: "whoami" } });
    expect(doc.tool.result.structuredContent.scopes.sort()).toEqual(["tool:greet", "tool:whoami"]);
    expect(thirdPartyClients()).toBe(before + 1);

    const second = await tryIt(server);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`reused ${doc.client.id}`);
    expect(thirdPartyClients()).toBe(before + 1);
    const kept = JSON.parse(await readFile(join(dir, ".mcp-auth0", "try-clients.json"), "utf8"));
    expect(kept.registrations).toContainEqual(expect.objectContaining({ issuer: dev.issuer, resource: server.url, clientId: doc.client.id }));

    // The kept client deleted on the tenant (as in the Dashboard): the tenant's "Unknown client" makes the run register once more.
    dev.store.deleteClient(dev.store.findClient(doc.client.id)!);
    const third = await tryIt(server, "--json");
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/✔ Client: the kept client is unknown to the tenant: registered tpc_\w+ by DCR/);
    expect(JSON.parse(third.stdout).client).toMatchObject({ how: "registered", id: expect.not.stringMatching(doc.client.id) });
  });

  it("init --role-users (the quick start's role, no roles file): the user holds every scope, and the tool answers", async () => {
    const server = await provisioned({ roles: "role-users" });
    expect(server.init).not.toContain("⚠ Roles granting");
    const result = await tryIt(server, "--tool", "greet");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/✔ tools\/call greet: answered: Hello, auth0\|/);
    expect(dev.store.roles.map((r) => r.name)).toContain("MCP Server User");
    expect((await local(["init", "--server-url", server.url, "--scopes", SCOPES, "--roles", "roles.yaml", "--role-users", "admin@example.com"])).stderr).toContain(
      "--role-users and --roles both give the roles: choose one.",
    );
  });

  it("no role grants the user the tool's permission: tools/call fails, naming the permission and the roles fix", async () => {
    const server = await provisioned({ roles: false });
    const result = await tryIt(server, "--tool", "greet");
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/⚠ Permissions: no role grants admin@example\.com any permission of/);
    expect(result.stderr).toMatch(
      /✖ tools\/call greet: the server answered 403 insufficient_scope to greet: it needs tool:greet, and no role grants admin@example\.com that permission/,
    );
    expect(result.stderr).toContain(`fix: npx mcp-auth0 roles sync --file roles.yaml --api-identifier ${server.url} --local`);
    expect(result.stderr).toMatch(/Not connected: 1 failed/);
  });

  it("a server started without the dev tenant's CA: the 401 to a valid token is its JWKS fetch, with the NODE_EXTRA_CA_CERTS line", async () => {
    const server = await provisioned({ roles: true, trustsTenant: false });
    const result = await tryIt(server);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/✔ Token: /);
    expect(result.stderr).toMatch(
      /✖ tools\/list: the server answered 401 to a token the tenant issued \(its audience and issuer in \d+\.env match the token\): it cannot fetch the tenant's keys/,
    );
    expect(result.stderr).toContain("fix: Restart it: NODE_EXTRA_CA_CERTS=.mcp-auth0/ca.pem npm start");
    // The example server says so too, instead of a silent 401.
    expect(server.log.join("\n")).toMatch(/^Cannot fetch the tenant's keys from https:\/\/localhost:\d+\/\.well-known\/jwks\.json \(\w+\): every token is refused/m);
  });

  it("a server whose .env names another audience: the fix rewrites that .env (--env-path), and runs as printed", async () => {
    const server = await provisioned({ roles: true, trustsTenant: false });
    const envFile = join(dir, `${new URL(server.url).port}.env`);
    const written = await readFile(envFile, "utf8");
    await writeFile(envFile, written.replace(/^AUTH0_AUDIENCE=.*$/m, "AUTH0_AUDIENCE=https://old.example.com/mcp"));
    const result = await tryIt(server);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/✖ tools\/list: the server answered 401 to a token the tenant issued: it checks the audience https:\/\/old\.example\.com\/mcp \(\d+\.env\)/);
    const fix = new RegExp(`fix: (npx mcp-auth0 env --template auth0 --api-identifier ${server.url} --env-path \\d+\\.env --local)   # then restart the server`).exec(
      result.stderr,
    )?.[1];
    expect(fix, result.stderr).toBeDefined();
    expect((await cli(cliArgs(fix!), { cwd: dir })).code).toBe(0);
    expect(await readFile(envFile, "utf8")).toContain(`AUTH0_AUDIENCE=${server.url}`);
  });

  it("consent declined at the terminal: the login fails, and says nothing is missing in the setup", async () => {
    const server = await provisioned({ roles: true });
    const prompter = scriptedPrompter([[/^Consent screen: mcp-auth0 try asks admin@example\.com for Read your identity, Greet someone\. Accept\?/, false]]);
    const result = await local(["try", "--server-url", server.url], { prompter });
    expect(prompter.remaining()).toBe(0);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/✖ Login: consent declined: the user answered Decline on the consent screen/);
  });

  it("no domain-level connection: the login stops on the tenant's error page, and the fix is doctor's", async () => {
    const server = await provisioned({ roles: true });
    expect((await local(["promote-connection", "--demote", "Username-Password-Authentication"])).code).toBe(0);
    try {
      const result = await tryIt(server);
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/✖ Login: no domain-level connection: third-party \(DCR\) clients log in only through domain-level connections; Auth0 shows its error page/);
      expect(result.stderr).toContain(`fix: npx mcp-auth0 doctor --api-identifier ${server.url} --local`);
    } finally {
      expect((await local(["promote-connection", "Username-Password-Authentication"])).code).toBe(0);
    }
  });

  it("a resource that matches no API: the login stops on Service not found, and the fix creates that API", async () => {
    const server = await provisioned({ roles: true, audience: (url) => `${url}/v2` });
    const result = await tryIt(server);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(new RegExp(`✖ Login: the resource ${server.url}/v2 matches no API of the tenant`));
    expect(result.stderr).toContain(`fix: npx mcp-auth0 init --api-identifier ${server.url}/v2 --scopes tool:whoami,tool:greet --env-path ${new URL(server.url).port}.env --local`);
  });
});
