import { createHash, randomBytes } from "node:crypto";
import { answerTenantPages } from "../connection/user-agent.js";
import { StoppedOnPage } from "../doctor/authorize-answers.js";

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

/** Follows the user agent's way from /authorize to the redirect URI, as `email`, consenting; returns the code. */
async function authorizationCode(fetchFn: Fetch, start: URL, email: string): Promise<string> {
  let response;
  try {
    response = await answerTenantPages(fetchFn as typeof fetch, start, REDIRECT_URI, email, async () => true);
  } catch (error) {
    if (!(error instanceof StoppedOnPage)) throw error;
    const where = error.error === "user_not_available" ? "/u/login" : "an error page";
    throw new Error(`loginUser(${email}): the login stopped at ${where} (HTTP ${error.status}): ${error.error}: ${error.description}`, { cause: error });
  }
  if (response.error) throw new Error(`loginUser(${email}): ${response.error}: ${response.errorDescription ?? ""}`);
  if (!response.code) throw new Error(`loginUser(${email}): no code in the redirect`);
  return response.code;
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
