import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { cli } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";
import { authorize, connect, HeadlessOAuthProvider, trustingFetch, whoami } from "../dev/support/mcp-client.js";
import { createMcpTestServer, type McpTestServer } from "../dev/support/mcp-server.js";

/*
 * Issue 2/6 (13), custom domains end to end: a local tenant with a custom domain in front (its own
 * host and issuer; the Management API only on the canonical domain, for the canonical audience).
 * `init --domain <custom>` and `init --domain <canonical>` both write the custom domain into the
 * .env, doctor checks it against the issuer, and an MCP SDK client logs in through it.
 */

let fx: Fixture;
let trusted: ReturnType<typeof trustingFetch>;
let mcp: McpTestServer | undefined;

beforeAll(async () => {
  fx = await freshFixture({ customDomain: true, oauth: { autoLogin: "admin@example.com" } });
  trusted = trustingFetch(fx.tenant.caCertPem);
});
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  await rm(join(fx.dir, ".env"), { force: true });
  // Each case makes its own MCP server's API the default audience, as on a tenant without one.
  fx.tenant.store.settings.default_audience = "";
});
afterAll(async () => {
  await fx?.tenant.close();
  await trusted?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

const custom = () => fx.tenant.customDomain!.domain;
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { env: { ...fx.env, ...env }, ca: fx.tenant.caCertPem, cwd: fx.dir });
const dotenv = async () => parseEnv(await readFile(join(fx.dir, ".env"), "utf8"));
/** The example of issue 1/8 with the MCP test server's URL as the API. */
const initArgs = (serverUrl: string) => exampleArgs(fx.dir).map((arg) => (arg === IDENTIFIER ? serverUrl : arg));

describe("a tenant with a custom domain in front", () => {
  it("--domain <custom> with only client credentials: a clear error that asks for --canonical-domain, nothing written", async () => {
    fx.tenant.resetCalls();
    const result = await run(initArgs("https://mcp.example.com/mcp"), { AUTH0_DOMAIN: custom() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${custom()} looks like a custom domain`);
    expect(result.stderr).toContain("--canonical-domain (or AUTH0_CANONICAL_DOMAIN)");
    expect(result.stderr).not.toMatch(/Unauthorized|Invalid token/);
    expect(fx.tenant.writes()).toEqual([]);
  });

  it.each([
    ["--domain <custom> --canonical-domain <canonical>", () => ({ AUTH0_DOMAIN: custom(), AUTH0_CANONICAL_DOMAIN: fx.tenant.domain }), [] as string[]],
    ["--domain <canonical> (GET /custom-domains finds it)", () => ({}), [] as string[]],
    ["--domain <custom> --token <canonical token>", () => ({ AUTH0_DOMAIN: custom(), AUTH0_CLIENT_ID: "", AUTH0_CLIENT_SECRET: "" }), ["--token"]],
  ])("init %s writes the custom domain into the .env; doctor passes; an MCP SDK client logs in through it", async (_how, env, extra) => {
    mcp = await createMcpTestServer({ fetch: trusted.fetch });
    const tokenArgs = extra.length ? ["--token", fx.tenant.issueManagementToken([...(await import("../../src/local-tenant/scopes.js")).MANAGEMENT_SCOPES])] : [];
    const init = await run([...initArgs(mcp.url), ...tokenArgs], env());
    expect(init.stderr).toMatch(/Ready for MCP clients/);
    expect(init.code).toBe(0);
    const written = await dotenv();
    expect(written.AUTH0_DOMAIN).toBe(custom());
    expect(written.AUTH0_AUDIENCE).toBe(mcp.url);
    // Every Management API call went to the canonical host (the custom one answers 401 there).
    expect(fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/") && c.status === 401)).toEqual([]);

    const doctor = await run(["doctor", "--server-url", mcp.url, "--json", ...tokenArgs], env());
    await mcp.start(join(fx.dir, ".env"));
    const report = await run(["doctor", "--server-url", mcp.url, "--json", ...tokenArgs], env());
    const checks = JSON.parse(report.stdout).checks as Array<{ group: string; title: string; status: string; detail: string }>;
    expect(doctor.code).toBe(6); // the server was not started yet
    expect(checks.filter((c) => c.status === "fail" || c.status === "warn")).toEqual([]);
    expect(checks.find((c) => c.group === ".env .env" && c.title === "Domain")?.detail).toBe(`${custom()}, the issuer MCP clients see`);
    expect(checks.find((c) => c.title === "Issuer")?.detail).toBe(`https://${custom()}/`);
    expect(report.code).toBe(0);

    const user = new HeadlessOAuthProvider(trusted.fetch, { loginHint: "admin@example.com" });
    const tokens = await authorize(mcp.url, user, trusted.fetch);
    expect(user.visited[0]!.origin).toBe(`https://${custom()}`);
    expect(user.callback!.searchParams.get("iss")).toBe(`https://${custom()}/`);
    expect(tokens.access_token).toBeTruthy();
    const connected = await connect(mcp.url, user, trusted.fetch);
    expect((await whoami(connected)).permissions.sort()).toEqual(["tool:greet", "tool:whoami"]);
    await connected.close?.();
  });

  it("doctor flags a .env that names the canonical domain, and its fix writes the custom one", async () => {
    expect((await run([...initArgs(IDENTIFIER), "--issuer-domain", fx.tenant.domain])).code).toBe(0);
    expect((await dotenv()).AUTH0_DOMAIN).toBe(fx.tenant.domain);
    const before = JSON.parse((await run(["doctor", "--json"])).stdout).checks.find((c: { title: string }) => c.title === "Domain");
    expect(before).toMatchObject({ status: "fail", fix: `npx mcp-auth0 env --template auth0 --api-identifier ${IDENTIFIER}` });
    expect(before.detail).toBe(
      `${fx.tenant.domain}, but MCP clients see the issuer https://${custom()}/: the server rejects their tokens (iss) or points them at the wrong domain`,
    );
    expect((await run(before.fix.split(" ").slice(2))).code).toBe(0);
    expect((await dotenv()).AUTH0_DOMAIN).toBe(custom());
  });
});
