import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { browse, pageText, StoppedOnPage, unescapeHtml, type Page } from "../doctor/authorize-answers.js";

/*
 * The user's side of an authorization request: the way from the authorization URL to the
 * client's redirect URI. Two user agents: the dev tenant's pages answered here (--local: the
 * chosen dev user, no page shown), and the system browser with a loopback redirect URI (RFC 8252
 * §7.3) on which this process listens, as desktop MCP clients do. The way through the tenant's
 * pages is doctor's (doctor/authorize-answers.ts).
 */

/** What came back to the redirect URI (RFC 6749 §4.1.2, RFC 9207's `iss`). */
export interface AuthorizationResponse {
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  errorDescription?: string;
}

/** What the consent screen asks, for the person who answers it at the terminal. */
export interface ConsentQuestion {
  client: string;
  scopes: string[];
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
 * The dev tenant's login as its user would go through it, answered here: picks `email` on the
 * login page, answers the consent screen with `consent`, until the redirect URI. A tenant started
 * with --auto-login shows neither page (its `login_hint` picks the user). Any other page (an error
 * page: strict third-party clients get no redirect) is StoppedOnPage.
 */
export async function answerTenantPages(
  fetchFn: typeof fetch,
  start: URL,
  redirectUri: string,
  email: string,
  consent: (question: ConsentQuestion) => Promise<boolean>,
): Promise<AuthorizationResponse> {
  const answer = async ({ status, html }: Page): Promise<Record<string, string> | undefined> => {
    if (status !== 200) return undefined;
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
      return { user_id: chosen.id };
    }
    if (html.includes('name="decision"')) {
      const client = unescapeHtml(/<h1>Authorize ([^<]*)<\/h1>/.exec(html)?.[1] ?? "the client");
      const scopes = [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => unescapeHtml(m[1]!));
      return { decision: (await consent({ client, scopes })) ? "accept" : "decline" };
    }
    return undefined;
  };
  const reached = await browse(fetchFn, start, (url) => url.href.startsWith(redirectUri), answer, 20);
  if (reached.kind === "page") throw pageError(reached.status, reached.html);
  return responseAt(reached.location);
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
