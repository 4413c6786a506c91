import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from "jose";

/*
 * An MCP server whose authorization server is Auth0 (set up by `mcp-auth0 init`): it verifies
 * RFC 9068 access tokens against the tenant's JWKS (issuer, audience, signature), publishes its
 * protected-resource metadata (RFC 9728) so that MCP clients find the tenant, and asks for a scope
 * per tool: `whoami` needs tool:whoami, `greet` needs tool:greet (403 insufficient_scope otherwise,
 * as the MCP authorization spec describes for step-up).
 */

export interface ServerOptions {
  /** The tenant's domain (AUTH0_DOMAIN), e.g. acme.us.auth0.com. */
  domain: string;
  /** The API identifier (AUTH0_AUDIENCE): the `aud` every token must have. */
  audience: string;
  /** Port to listen on (0: a free one). */
  port?: number;
  /** How the JWKS is fetched; in tests, one that trusts the dev tenant's CA. */
  fetch?: typeof fetch;
  /** Where refused tokens and a failing JWKS fetch are logged; default stderr. */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** http://localhost:<port>/mcp */
  url: string;
  close(): Promise<void>;
}

const TOOL_SCOPES: Record<string, string> = { whoami: "tool:whoami", greet: "tool:greet" };

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** The tools a JSON-RPC message (or batch) calls. */
function calledTools(message: unknown): string[] {
  return [message]
    .flat()
    .filter((m): m is { method: string; params?: { name?: unknown } } => typeof m === "object" && m !== null && (m as { method?: unknown }).method === "tools/call")
    .map((m) => String(m.params?.name ?? ""));
}

function mcpServer(): McpServer {
  const mcp = new McpServer({ name: "example-mcp-server", version: "1.0.0" });
  mcp.registerTool("whoami", { description: "Who the token says you are" }, (extra) => {
    const result = { sub: String(extra.authInfo?.extra?.["sub"] ?? ""), scopes: extra.authInfo?.scopes ?? [] };
    return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
  });
  mcp.registerTool("greet", { description: "Say hello" }, (extra) => ({
    content: [{ type: "text", text: `Hello, ${String(extra.authInfo?.extra?.["sub"] ?? "stranger")}!` }],
  }));
  return mcp;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const issuer = `https://${options.domain}/`;
  const jwksUrl = `${issuer}.well-known/jwks.json`;
  const jwks = createRemoteJWKSet(new URL(jwksUrl), options.fetch ? { [customFetch]: options.fetch } : {});
  const log = options.log ?? ((line: string) => console.error(line));
  let url = "";
  const challenge = (extra = "") => `Bearer resource_metadata="${new URL(url).origin}/.well-known/oauth-protected-resource/mcp"${extra}`;

  async function verify(token: string): Promise<AuthInfo | undefined> {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: options.audience, typ: "at+jwt", algorithms: ["RS256"] });
      return {
        token,
        clientId: String(payload["client_id"] ?? ""),
        scopes: String(payload["scope"] ?? "")
          .split(" ")
          .filter(Boolean),
        ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
        extra: { sub: payload.sub },
      };
    } catch (error) {
      // A token that fails its checks is the client's problem; keys that cannot be fetched are the
      // server's, and refuse every token until fixed: say which, never a silent 401.
      const keysUnavailable = !(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid;
      if (keysUnavailable) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        log(
          `Cannot fetch the tenant's keys from ${jwksUrl} (${cause?.code ?? cause?.message ?? String(error)}): every token is refused until this works. ` +
            "For mcp-auth0's dev tenant, start the server with NODE_EXTRA_CA_CERTS=.mcp-auth0/ca.pem (Node reads it only at start, never from .env).",
        );
      } else log(`401: token refused (${error.code}: ${error.message})`);
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", url).pathname;
    if (path === "/.well-known/oauth-protected-resource/mcp") {
      return json(res, 200, { resource: options.audience, authorization_servers: [issuer], scopes_supported: Object.values(TOOL_SCOPES), bearer_methods_supported: ["header"] });
    }
    if (path !== "/mcp") return json(res, 404, { error: "not_found" });

    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const auth = token === undefined ? undefined : await verify(token);
    if (!auth) {
      return json(res, 401, { error: token ? "invalid_token" : "unauthorized" }, { "www-authenticate": challenge(token ? ', error="invalid_token"' : "") });
    }
    const body = req.method === "POST" ? await readJson(req) : undefined;
    const missing = calledTools(body)
      .map((tool) => TOOL_SCOPES[tool])
      .find((scope) => scope !== undefined && !auth.scopes.includes(scope));
    if (missing) return json(res, 403, { error: "insufficient_scope" }, { "www-authenticate": challenge(`, error="insufficient_scope", scope="${missing}"`) });

    // Stateless Streamable HTTP: a server and a transport per request.
    const mcp = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(Object.assign(req, { auth }), res, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  url = `http://localhost:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
