import type http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";

import { FaultInjector, type FaultDecision, type FaultOptions } from "./faults.js";
import type { OAuthSide, OAuthSideOptions } from "./oauth/index.js";
import { ApiError, readBody, send, serialize, sleep, type ApiResponse } from "./http.js";
import { MANAGEMENT_API_PREFIX, ManagementApi } from "./management-api.js";
import { ensureDir, loadState, saveState, StateWriter } from "./persistence.js";
import { MANAGEMENT_SCOPES } from "./scopes.js";
import { addM2MApplication, initTenant, seedSampleData } from "./seed.js";
import { TenantStore } from "./store.js";
import { loadOrCreateTls } from "./tls.js";
import { ManagementTokenEndpoint, parseTokenParams } from "./token-endpoint.js";
import { TenantSigningKey } from "./tokens.js";

export type { FaultOptions } from "./faults.js";
export type { OAuthSide, OAuthSideOptions } from "./oauth/index.js";
export { MANAGEMENT_SCOPES };
export { TenantStore } from "./store.js";

export interface CallRecord {
  method: string;
  path: string /* path + query, e.g. /api/v2/roles?per_page=100 */;
  /**
   * The status of the answer. 0 when the socket was destroyed before any answer was computed
   * (`resetEvery` on a GET) or a fallback request ended without one; for a write whose socket was
   * destroyed after it was applied, the status the tenant computed (the client never saw it).
   */
  status: number;
  /**
   * True for non-GET /api/v2 requests that reached a handler: every write attempt that no injected
   * fault (429, 503, reset of a read) stopped, including those the tenant then refused (401, 403,
   * 400, 404, 409) — filter on `status` to count the writes that took effect.
   */
  write: boolean;
}

export interface LocalTenantOptions {
  port?: number; // 0 or undefined = random free port; listen on 127.0.0.1
  dataDir?: string; // when given: load state/keys/CA from here if present, else create and save them; state changes are saved within 100 ms and on close (state.json, written atomically)
  faults?: FaultOptions;
  seed?: boolean; // default true: seed a fresh tenant (connections and users; settings, the Management API and the M2M app always exist)
  fallback?: (req: http.IncomingMessage, res: http.ServerResponse) => void; // requests matching no route of ours go here; default: the OAuth side (oidc-provider), or a 404 JSON with `oauth: false`
  oauth?: false | OAuthSideOptions; // the OAuth/OIDC side (src/local-tenant/oauth), mounted as the fallback unless `fallback` is given or this is false
}

export interface LocalTenant {
  domain: string; // "localhost:PORT"
  url: string; // "https://localhost:PORT"
  caCertPem: string; // PEM of the CA that signed the server certificate
  caCertPath?: string; // when dataDir is given: path of the CA PEM file (for NODE_EXTRA_CA_CERTS)
  m2m: { clientId: string; clientSecret: string }; // M2M application granted EVERY Management API scope
  store: TenantStore; // live state, for assertions and seeding in tests
  oauth?: OAuthSide; // the OAuth/OIDC side, when mounted (issuer `${url}/`)
  calls: CallRecord[]; // every request received, in order (including /oauth/token)
  writes(): CallRecord[]; // calls.filter(c => c.write)
  resetCalls(): void;
  setFaults(f: FaultOptions): void;
  createM2MApplication(scopes: string[]): { clientId: string; clientSecret: string }; // an M2M app granted only these Management API scopes ([] = an app with no grant at all → token request 403)
  issueManagementToken(scopes: string[], opts?: { expiresInSeconds?: number }): string; // a signed Management API JWT with exactly these scopes
  close(): Promise<void>;
}

/** Without the OAuth side (`oauth: false`), unknown paths answer a plain 404. */
function defaultFallback(req: http.IncomingMessage, res: http.ServerResponse): void {
  send(res, serialize({ status: 404, body: { statusCode: 404, error: "Not Found", message: `No route for ${req.method ?? "GET"} ${req.url ?? "/"}` } }));
}

const isRead = (method: string): boolean => method === "GET" || method === "HEAD";

function listen(server: https.Server, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolveListen();
    });
  });
}

/** Auth0's answer once the token bucket is empty. */
const TOO_MANY_REQUESTS: ApiResponse = new ApiError(429, "Global limit has been reached", "too_many_requests").toResponse();
const SERVICE_UNAVAILABLE: ApiResponse = new ApiError(503, "The service is temporarily unavailable. Please try again later.", "service_unavailable").toResponse();

/**
 * Starts a local HTTPS tenant that behaves like Auth0's Management API v2 (and its client-credentials
 * token endpoint) for everything mcp-auth0 touches, with optional persistence and fault injection.
 */
export async function startLocalTenant(options: LocalTenantOptions = {}): Promise<LocalTenant> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) ensureDir(dataDir);
  const [tls, signingKey] = await Promise.all([loadOrCreateTls(dataDir), TenantSigningKey.loadOrCreate(dataDir)]);

  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem });
  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const domain = `localhost:${port}`;
  const url = `https://${domain}`;

  // The domain is only known once listening, and the system API's identifier depends on it.
  let store = dataDir === undefined ? undefined : loadState(dataDir);
  if (store) {
    store.rebindDomain(domain);
  } else {
    store = TenantStore.empty(domain);
    initTenant(store);
    if (options.seed ?? true) seedSampleData(store);
  }
  const tenantStore = store;
  // Changes are saved off the request path (debounced, atomic), and flushed on close.
  const stateWriter = dataDir === undefined ? undefined : new StateWriter(dataDir, tenantStore);
  if (dataDir !== undefined && stateWriter !== undefined) {
    tenantStore.onChange(() => stateWriter.schedule());
    saveState(dataDir, tenantStore);
  }

  let m2mClient = tenantStore.m2mClientId === undefined ? undefined : tenantStore.findClient(tenantStore.m2mClientId);
  if (!m2mClient) {
    // A state file edited by hand may have lost it; the tenant is unusable without one.
    m2mClient = addM2MApplication(tenantStore, "mcp-auth0 local (Management API)", MANAGEMENT_SCOPES);
    tenantStore.m2mClientId = m2mClient.client_id;
    tenantStore.changed();
  }
  const m2m = { clientId: m2mClient.client_id, clientSecret: m2mClient.client_secret ?? "" };

  const faults = new FaultInjector(options.faults);
  const api = new ManagementApi(tenantStore, signingKey);
  const tokenEndpoint = new ManagementTokenEndpoint(tenantStore, signingKey);
  // The OAuth side loads oidc-provider (and Koa) only here, so nothing else pays for it.
  let oauth: OAuthSide | undefined;
  if (options.fallback === undefined && options.oauth !== false) {
    const { createOAuthSide } = await import("./oauth/index.js");
    oauth = await createOAuthSide({ store: tenantStore, signingKey, issuer: `${url}/`, ...(options.oauth ?? {}) });
  }
  const fallback = options.fallback ?? oauth?.handle ?? defaultFallback;
  const calls: CallRecord[] = [];

  function toFallback(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): void {
    res.once("finish", () => {
      record.status = res.statusCode;
    });
    fallback(req, res);
  }

  async function serveManagementApi(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord, requestUrl: URL): Promise<void> {
    const method = req.method ?? "GET";
    const decision: FaultDecision = faults.next();
    let response: ApiResponse;
    if (decision.rateLimited) {
      response = TOO_MANY_REQUESTS;
    } else if (decision.fail) {
      response = SERVICE_UNAVAILABLE;
    } else if (decision.reset && isRead(method)) {
      // A read that dies with the connection: the client gets no answer at all.
      await sleep(decision.delayMs);
      req.socket.destroy();
      return;
    } else {
      record.write = !isRead(method);
      try {
        const body = isRead(method) ? Buffer.alloc(0) : await readBody(req);
        response = await api.handle({ method, url: requestUrl, authorization: req.headers.authorization, body });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        response = error.toResponse();
      }
    }

    // Every Management API answer carries the rate-limit headers, 429s included.
    const answer = serialize({ ...response, headers: { ...response.headers, ...decision.headers } });
    record.status = answer.status;
    await sleep(decision.delayMs);
    if (decision.reset) {
      // The write was applied, but the client cannot know: exactly the ambiguity a retry must survive.
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  async function serveToken(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): Promise<void> {
    const raw = await readBody(req);
    const params = parseTokenParams(req.headers["content-type"], raw);
    if (params && tokenEndpoint.isManagementRequest(params)) {
      const answer = serialize(tokenEndpoint.handle(params, req.headers.authorization));
      record.status = answer.status;
      send(res, answer);
      return;
    }
    // The body has been read; hand it on the way oidc-provider (and body-parser) look for it.
    Object.assign(req, { rawBody: raw, body: params });
    toFallback(req, res, record);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): Promise<void> {
    const requestUrl = new URL(req.url ?? "/", url);
    if (requestUrl.pathname === MANAGEMENT_API_PREFIX || requestUrl.pathname.startsWith(`${MANAGEMENT_API_PREFIX}/`)) {
      await serveManagementApi(req, res, record, requestUrl);
    } else if (requestUrl.pathname === "/oauth/token" && req.method === "POST") {
      await serveToken(req, res, record);
    } else {
      toFallback(req, res, record);
    }
  }

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const record: CallRecord = { method: req.method ?? "GET", path: req.url ?? "/", status: 0, write: false };
    calls.push(record);
    route(req, res, record).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const apiError = error instanceof ApiError ? error : new ApiError(500, `Internal error in the local tenant: ${String(error)}`, "internal_error");
      const answer = serialize(apiError.toResponse());
      record.status = answer.status;
      send(res, answer);
    });
  });

  return {
    domain,
    url,
    caCertPem: tls.caCertPem,
    ...(tls.caCertPath !== undefined ? { caCertPath: tls.caCertPath } : {}),
    m2m,
    store: tenantStore,
    ...(oauth ? { oauth } : {}),
    calls,
    writes: () => calls.filter((c) => c.write),
    resetCalls: () => {
      // Emptied in place: `tenant.calls` stays the live list.
      calls.length = 0;
    },
    setFaults: (f) => faults.set(f),
    createM2MApplication: (scopes) => {
      const client = addM2MApplication(tenantStore, `M2M application ${tenantStore.clients.length + 1}`, scopes);
      return { clientId: client.client_id, clientSecret: client.client_secret ?? "" };
    },
    issueManagementToken: (scopes, opts) =>
      signingKey.signManagementToken(tenantStore.domain, { clientId: m2m.clientId, scopes, expiresInSeconds: opts?.expiresInSeconds ?? 86400 }),
    close: async () => {
      await new Promise<void>((resolveClose, reject) => {
        server.close((error) => (error ? reject(error) : resolveClose()));
        // Keep-alive connections would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      await stateWriter?.close();
    },
  };
}
