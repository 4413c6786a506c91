import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "node:util";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";

/*
 * A small MCP server as a developer would write it after `mcp-auth0 init`: it reads the `.env` init
 * wrote (AUTH0_DOMAIN, AUTH0_AUDIENCE, MCP_SERVER_URL), verifies bearer tokens with jose against
 * the tenant's JWKS (issuer and audience checked, RFC 9068 `at+jwt`), serves its protected-resource
 * metadata (RFC 9728), and has one tool, `whoami`, that returns the token's `permissions`.
 */

export interface McpTestServer {
  /** http://localhost:<port>/mcp — known before the `.env` exists, so init can be given it. */
  url: string;
  /** Reads the `.env` and starts answering (until then every request gets 503). */
  start(envPath: string): Promise<void>;
  close(): Promise<void>;
}

const SCOPES = ["tool:whoami", "tool:greet"];

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

export interface McpTestServerOptions {
  /** Reaches the tenant's JWKS (the test passes one that trusts the tenant's CA). */
  fetch: typeof fetch;
  /** More tools, registered beside `whoami` on every request's server (a tool reads the bearer token in `extra.authInfo.token`). */
  registerTools?: (mcp: McpServer) => void;
}

export async function createMcpTestServer(options: McpTestServerOptions): Promise<McpTestServer> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server: Server = createServer((req, res) => {
    if (!handler) return json(res, 503, { error: "not started" });
    handler(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}/mcp`;

  return {
    url,
    async start(envPath) {
      const env = parseEnv(await readFile(envPath, "utf8"));
      const domain = env["AUTH0_DOMAIN"];
      const audience = env["AUTH0_AUDIENCE"];
      const serverUrl = new URL(env["MCP_SERVER_URL"] ?? url);
      if (!domain || !audience) throw new Error(`${envPath} lacks AUTH0_DOMAIN or AUTH0_AUDIENCE`);
      const issuer = `https://${domain}/`;
      const jwks = createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`), { [customFetch]: options.fetch });
      const metadataUrl = `${serverUrl.origin}/.well-known/oauth-protected-resource${serverUrl.pathname}`;
      const challenge = (error?: string) => `Bearer ${error ? `error="${error}", ` : ""}resource_metadata="${metadataUrl}", scope="${SCOPES.join(" ")}"`;

      async function verify(req: IncomingMessage): Promise<AuthInfo | undefined> {
        const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
        if (!token) return undefined;
        const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: "at+jwt", algorithms: ["RS256"] });
        return {
          token,
          clientId: String(payload["client_id"] ?? payload["azp"] ?? ""),
          scopes: String(payload["scope"] ?? "")
            .split(" ")
            .filter(Boolean),
          ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
          extra: { sub: payload.sub, permissions: payload["permissions"] ?? [] },
        };
      }

      handler = async (req, res) => {
        const path = new URL(req.url ?? "/", serverUrl).pathname;
        if (path === new URL(metadataUrl).pathname) {
          json(res, 200, { resource: audience, authorization_servers: [issuer], scopes_supported: SCOPES, bearer_methods_supported: ["header"] });
          return;
        }
        if (path !== serverUrl.pathname) return json(res, 404, { error: "not found" });

        let auth: AuthInfo | undefined;
        try {
          auth = await verify(req);
        } catch {
          // Opaque tokens, wrong audience or issuer, bad signature: all the same to a client.
          json(res, 401, { error: "invalid_token" }, { "www-authenticate": challenge("invalid_token") });
          return;
        }
        if (!auth) return json(res, 401, { error: "unauthorized" }, { "www-authenticate": challenge() });

        const mcp = new McpServer({ name: "mcp-auth0 test server", version: "1.0.0" });
        mcp.registerTool("whoami", { description: "Who the token says you are, and its permissions" }, (extra) => {
          const claims = extra.authInfo?.extra as { sub?: string; permissions?: string[] } | undefined;
          const result = { sub: claims?.sub, permissions: claims?.permissions ?? [], scopes: extra.authInfo?.scopes ?? [] };
          return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
        });
        options.registerTools?.(mcp);
        // Stateless Streamable HTTP: a server and a transport per request.
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on("close", () => {
          void transport.close();
          void mcp.close();
        });
        await mcp.connect(transport);
        Object.assign(req, { auth });
        await transport.handleRequest(req as IncomingMessage & { auth?: AuthInfo }, res, req.method === "POST" ? await readBody(req) : undefined);
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
