import type http from "node:http";

import { managementApiOnCustomHost, refusedManagementAudience, type CustomDomain } from "./custom-domain.js";
import { garbledPayload, type FaultDecision, type FaultRequest } from "./faults.js";
import { ApiError, readBody, send, serialize, sleep, type ApiResponse, type SerializedResponse } from "./http.js";
import { firstPageRequest, sayingMoreFollows } from "./paging.js";
import { MANAGEMENT_API_PREFIX, type ManagementApi } from "./management-api.js";
import { managementAudience } from "./store.js";
import { parseTokenParams, type ManagementTokenEndpoint } from "./token-endpoint.js";

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

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

/** One host the tenant answers on: its canonical domain, or its custom domain. */
export interface Host {
  url: string;
  /** Set on the custom domain's host: no Management API there. */
  custom?: CustomDomain;
  /** Everything that is not the Management API or its token: the host's OAuth side, or a 404. */
  fallback: RequestHandler;
}

export interface RouterDeps {
  api: ManagementApi;
  tokenEndpoint: ManagementTokenEndpoint;
  customDomain: CustomDomain | undefined;
  /** Decides, per /api/v2 request, about rate limits (plan) and injected faults (tests). */
  decide(request: FaultRequest): FaultDecision;
  /** Sees every request of every host, in order, with its answer (test controls keep them, and when each was answered). */
  onCall?: (record: CallRecord, res: http.ServerResponse) => void;
}

const isRead = (method: string): boolean => method === "GET" || method === "HEAD";

/** Auth0's answer once the token bucket is empty. */
const TOO_MANY_REQUESTS: ApiResponse = new ApiError(429, "Global limit has been reached", "too_many_requests").toResponse();
const SERVICE_UNAVAILABLE: ApiResponse = new ApiError(503, "The service is temporarily unavailable. Please try again later.", "service_unavailable").toResponse();

function garbled(original: string, answer: SerializedResponse, kind: NonNullable<FaultDecision["garble"]>): SerializedResponse {
  const { payload, contentType } = garbledPayload(original, kind);
  return { ...answer, headers: { ...answer.headers, "content-type": contentType, "content-length": String(Buffer.byteLength(payload)) }, payload };
}

/** The request handler of one host: Management API, its client-credentials token, then the fallback. */
export function createRouter(host: Host, deps: RouterDeps): RequestHandler {
  const { api, tokenEndpoint } = deps;

  function toFallback(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): void {
    res.once("finish", () => {
      record.status = res.statusCode;
    });
    host.fallback(req, res);
  }

  async function serveManagementApi(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord, requestUrl: URL): Promise<void> {
    const method = req.method ?? "GET";
    if (host.custom) {
      const answer = serialize(managementApiOnCustomHost(host.custom));
      record.status = answer.status;
      send(res, answer);
      return;
    }
    const decision = deps.decide({ method, url: requestUrl });
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
        const url = decision.stuckPaging ? firstPageRequest(requestUrl) : requestUrl;
        response = await api.handle({ method, url, authorization: req.headers.authorization, body });
        if (decision.stuckPaging) response = sayingMoreFollows(response, requestUrl);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        response = error.toResponse();
      }
    }

    // Every Management API answer carries the rate-limit headers, 429s included, and the tenant's `Date`.
    let answer = serialize({ ...response, headers: { ...response.headers, ...decision.headers } });
    if (decision.garble && answer.payload !== undefined && answer.status >= 200 && answer.status < 300) answer = garbled(answer.payload, answer, decision.garble);
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
    const custom = deps.customDomain;
    let answer: ApiResponse | undefined;
    if (params && custom && params["grant_type"] === "client_credentials" && params["audience"] === managementAudience(custom.domain)) {
      answer = refusedManagementAudience(custom);
    } else if (params && tokenEndpoint.isManagementRequest(params)) {
      // Auth0 also issues Management API tokens at the custom domain's /oauth/token, for the canonical audience.
      answer = tokenEndpoint.handle(params, req.headers.authorization);
    }
    if (answer) {
      const serialized = serialize(answer);
      record.status = serialized.status;
      send(res, serialized);
      return;
    }
    // The body has been read; hand it on the way oidc-provider (and body-parser) look for it.
    Object.assign(req, { rawBody: raw, body: params });
    toFallback(req, res, record);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): Promise<void> {
    const requestUrl = new URL(req.url ?? "/", host.url);
    if (requestUrl.pathname === MANAGEMENT_API_PREFIX || requestUrl.pathname.startsWith(`${MANAGEMENT_API_PREFIX}/`)) {
      await serveManagementApi(req, res, record, requestUrl);
    } else if (requestUrl.pathname === "/oauth/token" && req.method === "POST") {
      await serveToken(req, res, record);
    } else {
      toFallback(req, res, record);
    }
  }

  return (req, res) => {
    const record: CallRecord = { method: req.method ?? "GET", path: req.url ?? "/", status: 0, write: false };
    deps.onCall?.(record, res);
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
  };
}
