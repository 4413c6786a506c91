import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { connectDevTenant, type DevTenantClient } from "mcp-auth0/dev";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { startServer, type RunningServer } from "../src/server.ts";

/*
 * The server's authorization, tested against a local Auth0-compatible tenant (mcp-auth0/dev):
 * real tokens of dev users, issued through a real OAuth code flow, verified against the tenant's JWKS.
 */

const tenant = inject("devTenant");
let dev: DevTenantClient;
let server: RunningServer;

beforeAll(async () => {
  dev = connectDevTenant(tenant);
  server = await startServer({ domain: tenant.domain, audience: tenant.audience!, fetch: dev.fetch });
});
afterAll(async () => {
  await server?.close();
  await dev?.close();
});

/** An MCP client session with a user's access token. */
async function session(accessToken: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } });
  const client = new Client({ name: "example-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const listTools = (headers: Record<string, string> = {}) =>
  fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });

describe("the MCP server's authorization", () => {
  it("without a token: 401 with the protected-resource metadata, which names the tenant", async () => {
    const answer = await listTools();
    expect(answer.status).toBe(401);
    const challenge = answer.headers.get("www-authenticate") ?? "";
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    const metadata = (await (await fetch(metadataUrl!)).json()) as { authorization_servers: string[]; resource: string };
    expect(metadata).toMatchObject({ authorization_servers: [tenant.issuer], resource: tenant.audience });
  });

  it("a token that is not the tenant's is refused: 401 invalid_token", async () => {
    const { accessToken } = await dev.loginUser("admin@example.com");
    const [header, payload] = accessToken.split(".");
    const answer = await listTools({ authorization: `Bearer ${header}.${payload}.forged-signature` });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("a dev user's token: the MCP client connects and calls whoami", async () => {
    const { accessToken, scope } = await dev.loginUser("user@example.com");
    // The Tool User role grants tool:whoami only.
    expect(scope).toBe("tool:whoami");
    const client = await session(accessToken);
    try {
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.structuredContent).toMatchObject({ sub: expect.stringMatching(/^auth0\|/), scopes: ["tool:whoami"] });
    } finally {
      await client.close();
    }
  });

  it("without the tool's scope: 403 insufficient_scope; with it (Tool Administrator): the tool answers", async () => {
    const user = await dev.loginUser("user@example.com");
    const forbidden = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "greet", arguments: {} } }),
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="tool:greet"');

    const admin = await dev.loginUser("admin@example.com");
    const client = await session(admin.accessToken);
    try {
      const result = await client.callTool({ name: "greet", arguments: {} });
      expect(result.content).toEqual([{ type: "text", text: expect.stringMatching(/^Hello, auth0\|/) }]);
    } finally {
      await client.close();
    }
  });
});
