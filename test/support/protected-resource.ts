import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";

/*
 * A small MCP-like server over HTTPS, just enough for `doctor --server-url`: an MCP endpoint that
 * answers unauthenticated requests, and RFC 9728 protected-resource metadata. What it answers is
 * set per test, so one server can be correct and then wrong in each of the ways users get wrong.
 */

export interface ProtectedResourceBehaviour {
  /** Status of an unauthenticated request to the MCP endpoint: 401 when protected. */
  status: number;
  /** Its WWW-Authenticate header; undefined sends none. */
  challenge?: string;
  /** The metadata served at /.well-known/oauth-protected-resource<path>; undefined answers 404. */
  metadata?: Record<string, unknown>;
}

export interface ProtectedResourceServer {
  /** https://localhost:<port>/mcp */
  url: string;
  /** https://localhost:<port>/.well-known/oauth-protected-resource/mcp (RFC 9728 §3.1 path insertion). */
  metadataUrl: string;
  /** What a correct server answers for an API `identifier` on a tenant whose issuer is `issuer`. */
  correct(identifier: string, issuer: string): ProtectedResourceBehaviour;
  behave(behaviour: ProtectedResourceBehaviour): void;
  /** Requests received, as "METHOD path", in order. */
  requests: string[];
  close(): Promise<void>;
}

/** `tls` is a key and certificate the client trusts (the local tenant's, signed by its CA, for localhost). */
export async function startProtectedResource(tls: { keyPem: string; certPem: string }): Promise<ProtectedResourceServer> {
  let behaviour: ProtectedResourceBehaviour = { status: 503 };
  const requests: string[] = [];
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "https://localhost").pathname;
      requests.push(`${req.method ?? "GET"} ${path}`);
      if (path === "/.well-known/oauth-protected-resource/mcp") {
        if (behaviour.metadata) send(res, 200, behaviour.metadata);
        else send(res, 404, { error: "not_found" });
      } else if (path === "/mcp") {
        const headers: Record<string, string> = behaviour.challenge === undefined ? {} : { "www-authenticate": behaviour.challenge };
        if (behaviour.status === 401) send(res, 401, { error: "unauthorized" }, headers);
        else
          send(res, behaviour.status, { jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "open", version: "1" } } }, headers);
      } else {
        send(res, 404, { error: "not_found" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;

  return {
    url: `${origin}/mcp`,
    metadataUrl,
    requests,
    correct: (identifier, issuer) => ({
      status: 401,
      challenge: `Bearer resource_metadata="${metadataUrl}", scope="tool:whoami tool:greet"`,
      metadata: { resource: identifier, authorization_servers: [issuer], scopes_supported: ["tool:whoami", "tool:greet"], bearer_methods_supported: ["header"] },
    }),
    behave: (next) => {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
