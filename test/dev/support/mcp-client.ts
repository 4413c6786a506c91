import { auth, type AddClientAuthentication, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

export { trustingFetch } from "../../../src/tenant/trust.js";

/** The authorization server sent the user agent back with an error (RFC 6749 §4.1.2.1). */
export class AuthorizationError extends Error {
  constructor(
    readonly error: string,
    readonly description: string | null,
    readonly callback: URL,
  ) {
    super(`${error}: ${description ?? ""}`);
  }
}

const REDIRECT_URL = "http://127.0.0.1:53682/callback";

/** A page the user agent stopped at (login, consent, error), as a user would see it. */
export interface Page {
  url: URL;
  status: number;
  html: string;
}

/** What the user does on a page: the form fields to submit, or nothing (the flow stops there). */
export type PageAnswer = (page: Page) => Record<string, string> | undefined;

/** A user who picks `email` on the login page and answers the consent screen with `decision`. */
export function asUser(email: string, decision: "accept" | "decline" = "accept"): PageAnswer {
  return (page): Record<string, string> | undefined => {
    if (page.html.includes('name="user_id"')) {
      const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const userId = new RegExp(`value="([^"]+)">[^<]*&lt;${escaped}&gt;`).exec(page.html)?.[1];
      return userId ? { user_id: userId } : undefined;
    }
    if (page.html.includes('name="decision"')) return { decision };
    return undefined;
  };
}

/** The authorization flow ended on a page instead of the redirect URI (an error page, or an unanswered prompt). */
export class StoppedAtPage extends Error {
  constructor(readonly page: Page) {
    super(
      `The authorization flow stopped at ${page.url.href}: HTTP ${page.status} ${page.html
        .replace(/<(style|title)>[\s\S]*?<\/\1>/g, " ")
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .slice(0, 400)}`,
    );
  }
}

/**
 * An MCP client with no browser: `redirectToAuthorization` follows the redirects itself with
 * fetch (no cookies kept: the dev tenant's headless mode does not need them) until it reaches the
 * redirect URI, and keeps what came back there. `loginHint` picks the dev user.
 */
export class HeadlessOAuthProvider implements OAuthClientProvider {
  loginHint: string | undefined;
  callback: URL | undefined;
  /** Every URL the user agent visited, for assertions. */
  visited: URL[] = [];
  private information: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = "";
  private readonly offline: boolean;
  private readonly answer: PageAnswer | undefined;
  private readonly registration: Partial<OAuthClientMetadata>;
  private readonly redirect: string;
  addClientAuthentication?: AddClientAuthentication;
  /** Set: the client offers this Client ID Metadata Document URL as its client_id (CIMD) instead of registering. */
  readonly clientMetadataUrl: string | undefined;

  /**
   * `answer`: log in and consent on the tenant's pages (cookies kept), instead of its headless mode.
   * `registration`: what the client registers instead of the defaults (a key set to undefined is left out).
   * `redirectUrl`: the redirect URI it sends, e.g. the one a catalogued client's metadata document lists
   * (never listened on: the user agent stops there and keeps what came back).
   */
  constructor(
    private readonly fetchFn: typeof fetch,
    options: {
      loginHint?: string;
      offline?: boolean;
      answer?: PageAnswer;
      clientMetadataUrl?: string;
      registration?: Partial<OAuthClientMetadata>;
      redirectUrl?: string;
      /** How the client authenticates at the token endpoint (e.g. the SDK's createPrivateKeyJwtAuth); default none. */
      clientAuthentication?: AddClientAuthentication;
    } = {},
  ) {
    if (options.clientAuthentication) this.addClientAuthentication = options.clientAuthentication;
    this.loginHint = options.loginHint;
    this.offline = options.offline ?? false;
    this.answer = options.answer;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.registration = options.registration ?? {};
    this.redirect = options.redirectUrl ?? REDIRECT_URL;
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Headless MCP client",
      redirect_uris: [this.redirect],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...(this.offline ? { scope: "offline_access" } : {}),
      ...this.registration,
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.information;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.information = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    let url = new URL(authorizationUrl);
    if (this.loginHint) url.searchParams.set("login_hint", this.loginHint);
    this.visited = [];
    this.callback = undefined;
    const cookies = new Map<string, string>();
    let form: RequestInit | undefined;
    for (let hop = 0; hop < 15; hop++) {
      this.visited.push(url);
      if (url.href.startsWith(this.redirect)) {
        this.callback = url;
        return;
      }
      const headers = new Headers(form?.headers);
      if (cookies.size > 0) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
      const response = await this.fetchFn(url, { ...form, headers, redirect: "manual" });
      form = undefined;
      for (const cookie of response.headers.getSetCookie()) {
        const [pair = ""] = cookie.split(";");
        cookies.set(pair.slice(0, pair.indexOf("=")).trim(), pair.slice(pair.indexOf("=") + 1).trim());
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        continue;
      }
      const page = { url, status: response.status, html: await response.text() };
      const fields = response.status === 200 ? this.answer?.(page) : undefined;
      const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1];
      const state = /name="state" value="([^"]+)"/.exec(page.html)?.[1];
      if (!fields || !action || !state) throw new StoppedAtPage(page);
      form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ state, ...fields }).toString() };
      url = new URL(action, url);
    }
    throw new Error("Too many redirects");
  }
}

export interface Connected {
  client: Client;
  provider: HeadlessOAuthProvider;
  close(): Promise<void>;
}

/**
 * Discovers, registers (DCR), logs in with PKCE and `resource`, and exchanges the code: the SDK's
 * `auth()`, headless. `scope` replaces what the SDK would choose (the server's `scopes_supported`).
 */
export async function authorize(serverUrl: string, provider: HeadlessOAuthProvider, fetchFn: typeof fetch, scope?: string): Promise<OAuthTokens> {
  const first = await auth(provider, { serverUrl, fetchFn, ...(scope !== undefined ? { scope } : {}) });
  if (first === "AUTHORIZED") return provider.tokens()!;
  const callback = provider.callback;
  if (!callback) throw new Error("The authorization flow never reached the redirect URI");
  const error = callback.searchParams.get("error");
  if (error) throw new AuthorizationError(error, callback.searchParams.get("error_description"), callback);
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`No code in ${callback.href}`);
  const second = await auth(provider, { serverUrl, authorizationCode: code, fetchFn });
  if (second !== "AUTHORIZED") throw new Error(`auth() answered ${second} after the code exchange`);
  return provider.tokens()!;
}

/** An MCP client session on the server, authorized as `provider` was. */
export async function connect(serverUrl: string, provider: HeadlessOAuthProvider, fetchFn: typeof fetch): Promise<Connected> {
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: fetchFn });
  const client = new Client({ name: "headless-test-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, provider, close: () => client.close() };
}

/** Calls `whoami` and returns what the server read from the token. */
export async function whoami(connected: Connected): Promise<{ sub?: string; permissions: string[]; scopes: string[] }> {
  const result = await connected.client.callTool({ name: "whoami", arguments: {} });
  return result.structuredContent as { sub?: string; permissions: string[]; scopes: string[] };
}
