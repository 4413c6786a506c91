import type { IncomingMessage, ServerResponse } from "node:http";

import type Provider from "oidc-provider";

import type { TokenBucket } from "../faults.js";
import { readBody } from "../http.js";
import { entityLimitReached } from "../plan.js";
import type { TenantStore } from "../store.js";
import { parseTokenParams, type TokenParams } from "../token-endpoint.js";
import type { TenantSigningKey } from "../tokens.js";
import { Interactions } from "./interactions.js";
import { escapeHtml, renderErrorPage } from "./pages.js";
import { AUTH0_ERRORS, cimdSupported, dcrEnabled, isThirdParty, issInAuthorizationResponses, showsErrorPage } from "./policy.js";
import { AUTH0_ROUTES, CONSENT_PATH, createProvider, LOGIN_PATH } from "./provider.js";
import { profileAuthorizationQuery, profileRegistration, profileTokenParams, replayWithBody } from "./request-profile.js";
import { registerOnBehalfOfExchange, TOKEN_EXCHANGE_GRANT } from "./token-exchange.js";

export interface OAuthSideOptions {
  /**
   * Headless mode for tests and CI: every login is this dev user's (or the one a `login_hint`
   * names), with consent given, and no page is shown. Clients that follow redirects without
   * keeping cookies (a plain `fetch` loop) work too.
   */
  autoLogin?: string;
}

export interface OAuthSide {
  /** Serves every request the Management API side does not route. */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  provider: Provider;
  issuer: string;
  autoLogin?: string;
}

const DISCOVERY_PATH = "/.well-known/openid-configuration";
/** RFC 8414's path; Auth0's support for it is unclear, so the same document is served at both. */
const AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server";

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/**
 * Browser-based MCP clients (MCP Inspector) register from their own origin. oidc-provider serves
 * no CORS on the registration endpoint, so the tenant answers the preflight and names the origin.
 */
function registrationCors(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
}

/** The `error` and `error_description` of an authorization response (query or fragment), if it is an error. */
function authorizationError(location: string): { error: string; description?: string } | undefined {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return undefined;
  }
  const params = url.searchParams.has("error") ? url.searchParams : new URLSearchParams(url.hash.slice(1));
  const error = params.get("error");
  const description = params.get("error_description");
  return error ? { error, ...(description !== null ? { description } : {}) } : undefined;
}

/** Removes RFC 9207's `iss` from a redirect (query or fragment) when the tenant does not send it. */
function withoutIss(location: string, issuer: string): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  if (url.searchParams.get("iss") === issuer) url.searchParams.delete("iss");
  if (url.hash.length > 1) {
    const fragment = new URLSearchParams(url.hash.slice(1));
    if (fragment.get("iss") === issuer) {
      fragment.delete("iss");
      url.hash = fragment.toString();
    }
  }
  return url.href;
}

/**
 * In headless mode the interaction cookies oidc-provider sets at /authorize are kept here, by
 * interaction id, and handed back when the client resumes without them. A browser keeps them
 * itself; a test's fetch loop does not need to.
 */
class HeadlessCookieJar {
  private readonly byInteraction = new Map<string, { cookie: string; expiresAt: number }>();

  record(location: string, base: string, setCookie: string | string[] | undefined): void {
    const target = new URL(location, base);
    const uid = target.searchParams.get("state");
    if ((target.pathname !== LOGIN_PATH && target.pathname !== CONSENT_PATH) || !uid || !setCookie) return;
    const cookie = [setCookie]
      .flat()
      .map((c) => c.split(";")[0]?.trim() ?? "")
      .filter(Boolean)
      .join("; ");
    const now = Date.now();
    for (const [key, entry] of this.byInteraction) if (entry.expiresAt < now) this.byInteraction.delete(key);
    this.byInteraction.set(uid, { cookie, expiresAt: now + 3600_000 });
  }

  /** The cookies for resuming an interaction, once. */
  take(uid: string): string | undefined {
    const entry = this.byInteraction.get(uid);
    this.byInteraction.delete(uid);
    return entry?.cookie;
  }
}

export interface CreateOAuthSideOptions extends OAuthSideOptions {
  store: TenantStore;
  /** The plan's POST /oidc/register bucket, shared by every host of the tenant (see plan.ts). */
  registrationLimit?: TokenBucket;
  /** The plan's On-Behalf-Of token exchange bucket, shared by every host of the tenant (see plan.ts). */
  tokenExchangeLimit?: TokenBucket;
  signingKey: TenantSigningKey;
  /** `https://localhost:<port>/` */
  issuer: string;
}

/**
 * The OAuth/OIDC side of the local tenant: oidc-provider at Auth0's paths, driven by the tenant's
 * settings and resources (see policy.ts), with the login and consent pages of interactions.ts.
 */
export async function createOAuthSide(options: CreateOAuthSideOptions): Promise<OAuthSide> {
  const { store, issuer, autoLogin } = options;
  const provider = createProvider({ store, issuer, signingJwk: await options.signingKey.exportPrivateJwk() });
  registerOnBehalfOfExchange(provider, { store, issuer, signingKey: options.signingKey });
  const interactions = new Interactions(provider, store, autoLogin);
  const jar = autoLogin === undefined ? undefined : new HeadlessCookieJar();

  // Answers that depend on the tenant's settings at the time of the request.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === DISCOVERY_PATH && ctx.status === 200 && ctx.body && typeof ctx.body === "object") {
      const metadata = ctx.body as Record<string, unknown>;
      // Auth0 names /oidc/register whether or not DCR is on (AUTH0-FACTS, third round: a strong
      // inference from live captures); with it off, a client that registers gets the 400 below.
      metadata["authorization_response_iss_parameter_supported"] = issInAuthorizationResponses(store);
      if (cimdSupported(store)) metadata["client_id_metadata_document_supported"] = true;
    }
    if (ctx.path === AUTH0_ROUTES.token && ctx.body && typeof ctx.body === "object" && "id_token" in ctx.body) {
      // Third-party clients in strict mode get no ID token from Auth0.
      const oidcClient = (ctx.oidc as { client?: { clientId: string } } | undefined)?.client;
      const client = oidcClient ? store.findOAuthClient(oidcClient.clientId) : undefined;
      if (client && isThirdParty(client)) delete (ctx.body as Record<string, unknown>)["id_token"];
    }
    if (ctx.path === AUTH0_ROUTES.authorization || ctx.path.startsWith(`${AUTH0_ROUTES.authorization}/`)) {
      const location = ctx.response.get("location");
      const oidcClient = (ctx.oidc as { client?: { clientId: string } } | undefined)?.client;
      const client = oidcClient ? store.findOAuthClient(oidcClient.clientId) : undefined;
      const failed = location && client && showsErrorPage(client) ? authorizationError(location) : undefined;
      if (failed) {
        // Strict third-party clients are not sent back to their callback with an error: the user
        // sees Auth0's error page, and the MCP client waits for a callback that never comes.
        ctx.remove("location");
        ctx.status = 400;
        ctx.type = "html";
        ctx.body = renderErrorPage(failed.error, failed.description);
      } else if (location) {
        if (!issInAuthorizationResponses(store)) ctx.response.set("location", withoutIss(location, issuer));
        jar?.record(location, issuer, ctx.response.headers["set-cookie"] as string | string[] | undefined);
      }
    }
  });

  const callback = provider.callback();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    if (interactions.handles(url.pathname)) {
      await interactions.handle(req, res, url);
      return;
    }

    let forwarded = req;
    if (url.pathname === AUTHORIZATION_SERVER_METADATA_PATH) {
      req.url = `${DISCOVERY_PATH}${url.search}`;
    } else if (url.pathname === AUTH0_ROUTES.registration && req.method === "OPTIONS") {
      res.writeHead(204, {
        ...registrationCors(req),
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "content-type, authorization",
        "access-control-max-age": "3600",
      });
      res.end();
      return;
    } else if (url.pathname === AUTH0_ROUTES.registration && req.method === "POST") {
      if (!dcrEnabled(store)) {
        sendJson(res, 400, { error: "invalid_request", error_description: AUTH0_ERRORS.dcrDisabled }, registrationCors(req));
        return;
      }
      const limited = options.registrationLimit?.take();
      if (limited && !limited.allowed) {
        sendJson(res, 429, { error: "too_many_requests", error_description: "Global limit has been reached" }, { ...registrationCors(req), ...limited.headers });
        return;
      }
      // Every registration is an application: beyond the plan's limit, 403 `too_many_entities` (AUTH0-FACTS, third round).
      const full = entityLimitReached(store, "applications");
      if (full) {
        sendJson(res, 403, { error: "too_many_entities", error_description: full }, registrationCors(req));
        return;
      }
      for (const [name, value] of Object.entries(registrationCors(req))) res.setHeader(name, value);
      const raw = await readBody(req);
      let body = raw;
      try {
        body = Buffer.from(JSON.stringify(profileRegistration(store, JSON.parse(raw.toString("utf8")))));
      } catch {
        // Not JSON: oidc-provider answers with its own invalid_request.
      }
      forwarded = replayWithBody(req, body);
    } else if (url.pathname === AUTH0_ROUTES.authorization && req.method === "GET") {
      req.url = `${url.pathname}?${profileAuthorizationQuery(store, url.searchParams).toString()}`;
    } else if (url.pathname === AUTH0_ROUTES.token && req.method === "POST") {
      // The Management API side has read the body to route it (see server.ts) and handed it on.
      const handed = req as IncomingMessage & { rawBody?: Buffer; body?: TokenParams };
      const raw = handed.rawBody ?? (await readBody(req));
      const params = handed.body ?? parseTokenParams(req.headers["content-type"], raw);
      const limited = params?.["grant_type"] === TOKEN_EXCHANGE_GRANT ? options.tokenExchangeLimit?.take() : undefined;
      if (limited && !limited.allowed) {
        // Auth0 limits the exchange on its own bucket (free plan: 2 per second, burst 2).
        sendJson(res, 429, { error: "too_many_requests", error_description: "Global limit has been reached" }, { ...limited.headers });
        return;
      }
      // Auth0 accepts JSON token requests too; oidc-provider reads forms only.
      forwarded = params
        ? replayWithBody(req, Buffer.from(new URLSearchParams(profileTokenParams(store, params)).toString()), "application/x-www-form-urlencoded")
        : replayWithBody(req, raw);
    } else if (jar && url.pathname.startsWith(`${AUTH0_ROUTES.authorization}/`) && !req.headers.cookie) {
      const cookie = jar.take(url.pathname.slice(AUTH0_ROUTES.authorization.length + 1));
      if (cookie) req.headers.cookie = cookie;
    }
    await callback(forwarded, res);
  }

  return {
    provider,
    issuer,
    ...(autoLogin !== undefined ? { autoLogin } : {}),
    handle: (req, res) => {
      route(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        if ((req.headers.accept ?? "").includes("text/html")) {
          res.writeHead(500, { "content-type": "text/html; charset=utf-8" }).end(`<p>server_error: ${escapeHtml(message)}</p>`);
        } else {
          sendJson(res, 500, { error: "server_error", error_description: message });
        }
      });
    },
  };
}
