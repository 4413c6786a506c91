import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * The user's side of an authorization request: the way from the authorization URL to the
 * client's redirect URI. Two user agents: the dev tenant's pages answered here (--local: the
 * chosen dev user, no page shown), and the system browser with a loopback redirect URI (RFC 8252
 * §7.3) on which this process listens, as desktop MCP clients do.
 */

/** What came back to the redirect URI (RFC 6749 §4.1.2, RFC 9207's `iss`). */
export interface AuthorizationResponse {
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  errorDescription?: string;
}

/** The login stopped on one of the tenant's pages: an error page (strict third-party clients get no redirect), or a login it cannot answer. */
export class StoppedOnPage extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

/** What the consent screen asks, for the person who answers it at the terminal. */
export interface ConsentQuestion {
  client: string;
  scopes: string[];
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) => entities[e]!);

/** The visible text of a page. */
function pageText(html: string): string {
  return unescapeHtml(
    html
      .replace(/<(style|title|script)>[\s\S]*?<\/\1>/g, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

/** The error an Auth0-style error page names (`<strong>error</strong>: description`), or the page's text. */
function pageError(status: number, html: string): StoppedOnPage {
  const match = /<strong>([^<]*)<\/strong>(?::\s*([^<]*))?/.exec(html);
  if (match) return new StoppedOnPage(status, unescapeHtml(match[1]!), unescapeHtml(match[2] ?? ""));
  return new StoppedOnPage(status, `HTTP ${status}`, pageText(html).slice(0, 300));
}

/** The authorization response in a redirect to the redirect URI (query, or fragment). */
function responseAt(url: URL): AuthorizationResponse {
  const params = url.searchParams.has("code") || url.searchParams.has("error") ? url.searchParams : new URLSearchParams(url.hash.slice(1));
  const get = (key: string) => params.get(key) ?? undefined;
  return { code: get("code"), state: get("state"), iss: get("iss"), error: get("error"), errorDescription: get("error_description") };
}

/**
 * The dev tenant's login as its user would go through it, answered here: follows the redirects
 * (keeping cookies), picks `email` on the login page, answers the consent screen with `consent`,
 * until the redirect URI — which is never fetched: the response is read from the redirect. A
 * tenant started with --auto-login shows neither page (its `login_hint` picks the user).
 */
export async function answerTenantPages(
  fetchFn: typeof fetch,
  start: URL,
  redirectUri: string,
  email: string,
  consent: (question: ConsentQuestion) => Promise<boolean>,
): Promise<AuthorizationResponse> {
  const cookies = new Map<string, string>();
  let url = start;
  let form: RequestInit | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.href.startsWith(redirectUri)) return responseAt(url);
    const headers = new Headers(form?.headers);
    if (cookies.size > 0) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const answer = await fetchFn(url.href, { ...form, headers, redirect: "manual" });
    form = undefined;
    for (const cookie of answer.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = answer.headers.get("location");
    if (answer.status >= 300 && answer.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    const html = await answer.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const state = /name="state" value="([^"]+)"/.exec(html)?.[1];
    if (answer.status !== 200 || !action || !state) throw pageError(answer.status, html);
    let fields: Record<string, string>;
    if (html.includes('name="user_id"')) {
      const users = [...html.matchAll(/<button type="submit" name="user_id" value="([^"]+)">[^<]*&lt;([^&]+)&gt;<\/button>/g)].map((m) => ({
        id: m[1]!,
        email: unescapeHtml(m[2]!),
      }));
      const chosen = users.find((u) => u.email.toLowerCase() === email.toLowerCase());
      if (!chosen) {
        throw new StoppedOnPage(
          200,
          "user_not_available",
          `${email} cannot log in to this client: the users of its connections are ${users.map((u) => u.email).join(", ") || "none"}`,
        );
      }
      fields = { user_id: chosen.id };
    } else if (html.includes('name="decision"')) {
      const client = unescapeHtml(/<h1>Authorize ([^<]*)<\/h1>/.exec(html)?.[1] ?? "the client");
      const scopes = [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => unescapeHtml(m[1]!));
      fields = { decision: (await consent({ client, scopes })) ? "accept" : "decline" };
    } else {
      throw pageError(answer.status, html);
    }
    form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ state, ...fields }).toString() };
    url = new URL(action, url);
  }
  throw new StoppedOnPage(0, "too_many_redirects", `the login did not reach ${redirectUri} within 20 steps`);
}

/** No answer reached the loopback redirect URI in time. */
export class LoginTimeout extends Error {}

export interface LoopbackCallback {
  redirectUri: string;
  /** The first authorization response that reaches the redirect URI, or LoginTimeout. */
  response(timeoutMs: number): Promise<AuthorizationResponse>;
  close(): Promise<void>;
}

const SIGNED_IN = "<!doctype html><meta charset=utf-8><title>mcp-auth0 try</title><p>The login reached mcp-auth0 try. You can close this window.</p>";

/**
 * Listens on the loopback redirect URI: `port` 0 for a new one (the registration keeps it), or
 * the port of the kept registration. Only 127.0.0.1 (RFC 8252 §8.3: never every interface).
 */
export async function listenOnLoopback(port: number, path = "/callback"): Promise<LoopbackCallback> {
  let deliver: (response: AuthorizationResponse) => void = () => undefined;
  const arrived = new Promise<AuthorizationResponse>((resolve) => (deliver = resolve));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(SIGNED_IN);
    deliver(responseAt(url));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return {
    redirectUri,
    response: (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new LoginTimeout()), timeoutMs)));
      return Promise.race([arrived, timeout]).finally(() => clearTimeout(timer));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Opens `url` in the user's browser: `$BROWSER` when set (as xdg-open honours it, and how tests
 * and CI put a headless browser in its place), else the platform's opener. Resolves false when
 * nothing could be started: the URL printed beside it is then the way.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const [command, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "ignore", detached: true, env });
    child.once("error", () => resolve(false));
    child.once("spawn", () => {
      child.unref();
      resolve(true);
    });
  });
}
