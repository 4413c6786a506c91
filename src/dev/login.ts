import { createHash, randomBytes } from "node:crypto";

/*
 * A headless user login through the dev tenant's OAuth side, as an MCP client does it: register by
 * DCR, /authorize with PKCE and the API's audience, the login page (pick the dev user), the consent
 * screen (accept), then the code exchange at /oauth/token. Nothing is shortcut: the token is the
 * one an MCP client would get, with the tenant's rules (roles, grants, connections) applied.
 */

/** The redirect URI of the registered client; nothing listens there: the code is read from the redirect. */
const REDIRECT_URI = "http://127.0.0.1:1/callback";

export interface LoginOptions {
  /** The API to get a token for; default the API that `config` provisioned. */
  audience?: string;
  /** Scopes to ask for; default every scope of that API (the user's roles decide what is granted). */
  scopes?: string[];
}

export interface UserTokens {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  /** What was granted (RBAC and the default third-party grant narrow what was asked). */
  scope: string;
  /** The DCR client the login registered (a strict third-party client, `tpc_`). */
  clientId: string;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

async function registerClient(fetchFn: Fetch, issuer: string): Promise<string> {
  const answer = await fetchFn(`${issuer}oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "mcp-auth0/dev loginUser", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }),
  });
  const body = (await answer.json()) as { client_id?: string; error_description?: string };
  if (answer.status !== 201 || !body.client_id) throw new Error(`loginUser: client registration failed (HTTP ${answer.status}): ${body.error_description ?? JSON.stringify(body)}`);
  return body.client_id;
}

/** The visible text of a page, for error messages. */
function pageText(html: string): string {
  return html
    .replace(/<(style|title)>[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The fields a user would submit on the login page (this email) or the consent screen (accept). */
function answerPage(html: string, email: string): Record<string, string> | undefined {
  if (html.includes('name="user_id"')) {
    for (const match of html.matchAll(/<button type="submit" name="user_id" value="([^"]+)">[^<]*&lt;([^&]+)&gt;<\/button>/g)) {
      if (match[2] === email) return { user_id: match[1] ?? "" };
    }
    return undefined;
  }
  if (html.includes('name="decision"')) return { decision: "accept" };
  return undefined;
}

/** Follows the user agent's way from /authorize to the redirect URI; returns the code. */
async function authorizationCode(fetchFn: Fetch, start: URL, email: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = start;
  let form: RequestInit | undefined;
  for (let hop = 0; hop < 15; hop++) {
    if (url.href.startsWith(REDIRECT_URI)) {
      const error = url.searchParams.get("error");
      if (error) throw new Error(`loginUser(${email}): ${error}: ${url.searchParams.get("error_description") ?? ""}`);
      const code = url.searchParams.get("code");
      if (!code) throw new Error(`loginUser(${email}): no code in ${url.href}`);
      return code;
    }
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
    const fields = answer.status === 200 ? answerPage(html, email) : undefined;
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const state = /name="state" value="([^"]+)"/.exec(html)?.[1];
    if (!fields || !action || !state) throw new Error(`loginUser(${email}): the login stopped at ${url.pathname} (HTTP ${answer.status}): ${pageText(html).slice(0, 300)}`);
    form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ state, ...fields }).toString() };
    url = new URL(action, url);
  }
  throw new Error(`loginUser(${email}): too many redirects`);
}

/** Logs `email` in and returns the access token for `audience`. */
export async function loginUser(fetchFn: Fetch, issuer: string, email: string, audience: string, scopes: string[], clientId?: string): Promise<UserTokens> {
  const client = clientId ?? (await registerClient(fetchFn, issuer));
  const verifier = randomBytes(32).toString("base64url");
  const start = new URL(`${issuer}authorize`);
  for (const [key, value] of Object.entries({
    response_type: "code",
    client_id: client,
    redirect_uri: REDIRECT_URI,
    audience,
    scope: scopes.join(" "),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state: randomBytes(8).toString("hex"),
    login_hint: email,
  })) {
    if (value) start.searchParams.set(key, value);
  }
  const code = await authorizationCode(fetchFn, start, email);
  const answer = await fetchFn(`${issuer}oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: client, code, code_verifier: verifier, redirect_uri: REDIRECT_URI }).toString(),
  });
  const body = (await answer.json()) as { access_token?: string; token_type?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
  if (answer.status !== 200 || !body.access_token)
    throw new Error(`loginUser(${email}): token request failed (HTTP ${answer.status}): ${body.error ?? ""} ${body.error_description ?? ""}`);
  return { accessToken: body.access_token, tokenType: body.token_type ?? "Bearer", expiresIn: body.expires_in ?? 0, scope: body.scope ?? "", clientId: client };
}
