import type http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

import type { RequestHandler } from "./router.js";

/**
 * An HTTPS server on 127.0.0.1 that holds every request until `ready` hands it a handler. The port
 * has to be open before the tenant is built (its domain, issuer and system API name the port), and
 * a request that arrives in between — a harness polling the port, a client that connects early —
 * must be answered once the tenant is up, not accepted and left hanging (issue 15).
 */
export interface HeldServer {
  server: https.Server;
  port: number;
  /** Starts answering, held requests first. */
  ready(handler: RequestHandler): void;
  close(): Promise<void>;
}

export async function listenHeld(port: number, tls: { keyPem: string; certPem: string }): Promise<HeldServer> {
  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem });
  let handler: RequestHandler | undefined;
  const held: Array<[http.IncomingMessage, http.ServerResponse]> = [];
  // Attached before listen: no request can reach a server without a listener.
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (handler) handler(req, res);
    else held.push([req, res]);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    ready: (h) => {
      handler = h;
      for (const [req, res] of held.splice(0)) h(req, res);
    },
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        server.close((error) => (error ? reject(error) : resolveClose()));
        // Keep-alive connections would otherwise hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
