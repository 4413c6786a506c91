import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { METADATA_SNAPSHOT } from "../../src/clients/metadata-snapshot.js";
import { connectDevTenant, startDevTenant, type DevTenant } from "../../src/dev/index.js";

/*
 * mcp-auth0/dev, the programmatic API for MCP servers' own test suites: a dev tenant provisioned
 * from the project's config file by the real init, and headless logins of its dev users.
 */

const CONFIG = fileURLToPath(new URL("../../examples/mcp-auth0.config.yaml", import.meta.url));
const SERVER_URL = "http://localhost:3999/mcp";

let dev: DevTenant;
beforeAll(async () => {
  dev = await startDevTenant({ config: CONFIG, env: { MCP_SERVER_URL: SERVER_URL } });
});
afterAll(async () => {
  await dev?.stop();
});

describe("startDevTenant()", () => {
  it("starts on a free port and provisions the config's API as init does, .env included", () => {
    expect(dev.domain).toMatch(/^localhost:\d+$/);
    expect(dev.domain).not.toBe("localhost:4000");
    expect(dev.issuer).toBe(`https://${dev.domain}/`);
    expect(dev.audience).toBe(SERVER_URL);
    expect(dev.env).toMatchObject({ AUTH0_DOMAIN: dev.domain, AUTH0_AUDIENCE: SERVER_URL, MCP_SERVER_URL: SERVER_URL });
    expect(dev.caCertPem).toContain("BEGIN CERTIFICATE");
    expect(existsSync(dev.caCertPath)).toBe(true);
    // What it imports without going online: the catalogued clients' documents, and when they were copied.
    expect(dev.info.cimdSnapshot).toEqual({ takenOn: METADATA_SNAPSHOT.takenOn, urls: Object.keys(METADATA_SNAPSHOT.documents) });
  });

  it("loginUser: a real code flow whose token carries the user's role permissions, verifiable with the JWKS", async () => {
    const jwks = createRemoteJWKSet(new URL(`${dev.issuer}.well-known/jwks.json`), { [customFetch]: dev.fetch });
    const admin = await dev.loginUser("admin@example.com");
    const { payload } = await jwtVerify(admin.accessToken, jwks, { issuer: dev.issuer, audience: SERVER_URL, typ: "at+jwt" });
    expect([...(payload["permissions"] as string[])].sort()).toEqual(["tool:greet", "tool:whoami"]);
    expect(admin.clientId).toMatch(/^tpc_/);

    // No role for this user in the example config: a token, but no permission.
    const user = await dev.loginUser("user@example.com", { scopes: ["tool:whoami"] });
    expect((await jwtVerify(user.accessToken, jwks, { issuer: dev.issuer, audience: SERVER_URL })).payload["permissions"]).toEqual([]);
  });

  it("connectDevTenant: from its info alone (what a globalSetup provides), another file logs users in", async () => {
    const info = JSON.parse(JSON.stringify(dev.info)) as typeof dev.info;
    expect(info.scopes).toEqual(["tool:whoami", "tool:greet"]);
    const client = connectDevTenant(info);
    try {
      const tokens = await client.loginUser("admin@example.com", { scopes: ["tool:whoami"] });
      expect(tokens.scope).toBe("tool:whoami");
      const discovery = await client.fetch(`${info.issuer}.well-known/openid-configuration`);
      // The global Response: the MCP SDK's OAuth code checks `instanceof Response` on what a given fetch answers.
      expect(discovery).toBeInstanceOf(Response);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(info.issuer);
    } finally {
      await client.close();
    }
  });

  it("says why a login cannot happen", async () => {
    await expect(dev.loginUser("nobody@example.com")).rejects.toThrow(/loginUser\(nobody@example.com\): the login stopped at \/u\/login/);
    await expect(dev.loginUser("admin@example.com", { audience: "https://not-an-api.example.com" })).rejects.toThrow(/Service not found/);
  });

  it("stop() removes its temporary data directory", async () => {
    const other = await startDevTenant();
    expect(other.audience).toBeUndefined();
    const dir = other.caCertPath;
    await other.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
