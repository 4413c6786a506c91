import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";

import { runDev } from "../../src/commands/dev.js";
import { createContext } from "../../src/session/context.js";
import type { DevTenant } from "../../src/local-tenant/dev.js";
import { Capture, cli } from "../support/cli.js";
import { METADATA_SNAPSHOT } from "../../src/clients/metadata-snapshot.js";
import { trustingFetch } from "./support/mcp-client.js";

const CLAUDE = "https://claude.ai/oauth/mcp-oauth-client-metadata";

describe("mcp-auth0 dev", () => {
  it("says where everything is (never the secret), serves --local, and stops cleanly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-devcmd-"));
    const stdout = new Capture();
    const stderr = new Capture();
    const ctx = createContext({ json: true, color: false, timeout: 30 }, { env: { PATH: process.env.PATH }, cwd: dir, stdout, stderr, stdinIsTTY: false });
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let ready!: (tenant: DevTenant) => void;
    const up = new Promise<DevTenant>((resolve) => (ready = resolve));

    const running = runDev({ port: 0 }, ctx, [], { until, onReady: ready });
    const tenant = await up;
    try {
      const caPath = join(dir, ".mcp-auth0", "ca.pem");
      expect(stderr.text).toContain(`https://${tenant.domain}`);
      expect(stderr.text).toContain(join(".mcp-auth0", "connection.json"));
      expect(stderr.text).toContain(caPath);
      for (const email of ["admin@example.com", "user@example.com", "google.user@example.com"]) expect(stderr.text).toContain(email);
      expect(stderr.text).toContain("npx mcp-auth0 init --local ");
      expect(stderr.text).toContain(`NODE_EXTRA_CA_CERTS=${caPath} npm start`);
      expect(stderr.text + stdout.text).not.toContain(tenant.m2m.clientSecret);
      // The CLI's tenant has none of the test-only controls (fault injection, call records, minted tokens).
      for (const control of ["calls", "writes", "resetCalls", "setFaults", "createM2MApplication", "issueManagementToken"]) expect(tenant).not.toHaveProperty(control);
      expect(JSON.parse(stdout.text)).toMatchObject({ domain: tenant.domain, issuer: `https://${tenant.domain}/`, caCertPath: caPath });

      // The catalogued clients' metadata documents come with it: importing one needs no network.
      expect(stderr.text).toContain(`CIMD documents: Claude, Claude Code, Visual Studio Code, ChatGPT, Codex from a snapshot taken on ${METADATA_SNAPSHOT.takenOn}`);
      // ChatGPT's import needs its key set from chatgpt.com: offline it fails, and the banner says so beforehand.
      expect(stderr.text).toContain("(imported offline; ChatGPT's keys are fetched from https://chatgpt.com/oauth/jwks.json)");
      expect(JSON.parse(stdout.text)).toMatchObject({ cimdSnapshot: { takenOn: METADATA_SNAPSHOT.takenOn, urls: expect.arrayContaining([CLAUDE]) } });
      const trusted = trustingFetch(tenant.caCertPem);
      try {
        const call = async (method: string, path: string, body: unknown) => {
          const token = await trusted.fetch(`${tenant.url}/oauth/token`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ grant_type: "client_credentials", client_id: tenant.m2m.clientId, client_secret: tenant.m2m.clientSecret, audience: `${tenant.url}/api/v2/` }),
          });
          const { access_token } = (await token.json()) as { access_token: string };
          const answer = await trusted.fetch(`${tenant.url}/api/v2${path}`, {
            method,
            headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
        };
        expect((await call("PATCH", "/tenants/settings", { client_id_metadata_document_supported: true })).status).toBe(200);
        expect(await call("POST", "/clients/cimd/register", { external_client_id: CLAUDE })).toMatchObject({
          status: 201,
          body: { mapped_fields: { name: "Claude", callbacks: ["https://claude.ai/api/mcp/auth_callback"], grant_types: ["authorization_code", "refresh_token"] } },
        });
      } finally {
        await trusted.close();
      }

      // Any command finds it with --local, from the same directory.
      const dryRun = await cli(["promote-connection", "google-oauth2", "--local", "--dry-run"], { cwd: dir });
      expect(dryRun.stderr).toContain("google-oauth2");
      expect(dryRun.code).toBe(0);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    // Stopped: --local now says to start one instead of failing to connect.
    await expect(stat(join(dir, ".mcp-auth0", "connection.json"))).rejects.toThrow();
    const after = await cli(["doctor", "--local", "--api-identifier", "https://mcp.example.com/mcp"], { cwd: dir });
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("npx mcp-auth0 dev");
    expect(JSON.parse(await readFile(join(dir, ".mcp-auth0", "state.json"), "utf8"))).toMatchObject({ version: 1 });
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses an --auto-login that is no dev user and a bad --port (usage errors), and a port in use", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-devcmd-"));
    // Not an address at all: refused before the tenant starts, so nothing is written to its data directory.
    const notEmail = await cli(["dev", "--port", "0", "--auto-login", "nobody"], { cwd: dir });
    expect(notEmail.code).toBe(2);
    expect(notEmail.stderr).toContain('--auto-login "nobody" is not an email address.');
    await expect(stat(join(dir, ".mcp-auth0"))).rejects.toThrow();

    const unknown = await cli(["dev", "--port", "0", "--auto-login", "nobody@example.com"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("nobody@example.com: no such dev user");
    await expect(stat(join(dir, ".mcp-auth0", "connection.json"))).rejects.toThrow();

    const port = await cli(["dev", "--port", "http"], { cwd: dir });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port");
    const customPort = await cli(["dev", "--port", "0", "--custom-domain", "http"], { cwd: dir });
    expect(customPort.code).toBe(2);
    expect(customPort.stderr).toContain("option '--custom-domain [port]' argument 'http' is invalid. Not a port (0-65535).");
    const plan = await cli(["dev", "--port", "0", "--plan", "paid"], { cwd: dir });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("Allowed choices are free.");

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const busy = (taken.address() as AddressInfo).port;
    try {
      const inUse = await cli(["dev", "--port", String(busy)], { cwd: dir });
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toContain(`Port ${busy} is already in use.`);
    } finally {
      taken.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("--custom-domain serves a second host with its own issuer, --plan free limits the Management API; both are said", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-devcmd-"));
    const stdout = new Capture();
    const stderr = new Capture();
    const ctx = createContext({ json: true, color: false, timeout: 30 }, { env: { PATH: process.env.PATH }, cwd: dir, stdout, stderr, stdinIsTTY: false });
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let ready!: (tenant: DevTenant) => void;
    const up = new Promise<DevTenant>((resolve) => (ready = resolve));
    const running = runDev({ port: 0, customDomain: true, plan: "free" }, ctx, [], { until, onReady: ready });
    const tenant = await up;
    try {
      const custom = tenant.customDomain!;
      expect(custom.domain).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(stderr.text).toContain(`Custom domain: ${custom.domain} (issuer ${custom.issuer}`);
      expect(JSON.parse(stdout.text)).toMatchObject({ customDomain: { domain: custom.domain, issuer: custom.issuer } });
      expect(JSON.parse(await readFile(join(dir, ".mcp-auth0", "connection.json"), "utf8"))).toMatchObject({ domain: tenant.domain, customDomain: custom.domain });
      expect(stderr.text).toContain("Plan:          free");
      const trusted = trustingFetch(tenant.caCertPem);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await trusted.fetch(`${tenant.url}/api/v2/clients`)).status);
      await trusted.close();
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it("is listed by --help", async () => {
    const help = await cli(["--help"]);
    expect(help.stdout).toMatch(/\n\s+dev \[options\]\s+run a local Auth0-compatible tenant/);
  });
});
