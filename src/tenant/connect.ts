import type { ManagementClient } from "auth0";
import { Auth0ApiError, CredentialsError, InputError } from "../errors.js";
import { createHttp, type HttpOptions, type HttpStats } from "./http.js";
import { toCliError } from "./errors.js";
import { tenantUrls } from "./urls.js";
import { canonicalDomainNeeded, isServiceNotEnabled, lookupIssuerDomain, resolveDomains, type IssuerDomain } from "./domains.js";

export interface Credentials {
  domain: string;
  clientId?: string;
  clientSecret?: string;
  token?: string;
  /** The tenant's canonical `{tenant}.{region}.auth0.com` when `domain` is a custom domain (see domains.ts). */
  canonicalDomain?: string;
  /** The domain MCP clients use (the issuer the `.env` names), when the user chose it. */
  issuerDomain?: string;
}

/** Everything a command needs to talk to one tenant, created once and passed down. */
export interface Tenant {
  /** The canonical domain: where the Management API token is requested and every Management API call goes. */
  domain: string;
  /**
   * The domain MCP clients use and see as the issuer (a custom domain in front, or `domain`): what
   * the `.env` names. Looked up at most once (`GET /custom-domains`), when first asked for.
   */
  issuerDomain(): Promise<IssuerDomain>;
  client: ManagementClient;
  /** Granted Management API scopes, or undefined when the token does not say (opaque token). */
  scopes: string[] | undefined;
  http: HttpStats;
  /** For requests outside the Management API (OAuth metadata, the MCP server): traced, sent once. */
  probe: typeof fetch;
}

const DOMAIN_PATTERN = /^(?=.{1,253}(:\d{1,5})?$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/** `https://acme.us.auth0.com/` → `acme.us.auth0.com`; anything that is not a host[:port] is an input error. */
export function normalizeDomain(raw: string): string {
  const domain = raw
    .trim()
    .replace(/^https:\/\//i, "")
    .replace(/\/+$/, "");
  const port = Number(/:(\d+)$/.exec(domain)?.[1] ?? 443);
  if (!DOMAIN_PATTERN.test(domain) || port < 1 || port > 65535) {
    throw new InputError(`"${raw}" is not a tenant domain.`, "Pass --domain (or AUTH0_DOMAIN) as a host name such as acme.us.auth0.com, a custom domain, or localhost:4000.");
  }
  return domain.toLowerCase();
}

export function assertCredentials(credentials: Partial<Credentials>): void {
  if (credentials.token) return;
  if (credentials.clientId && credentials.clientSecret) return;
  const missing = [...(credentials.clientId ? [] : ["--client-id (or AUTH0_CLIENT_ID)"]), ...(credentials.clientSecret ? [] : ["--client-secret (or AUTH0_CLIENT_SECRET)"])].join(
    " and ",
  );
  throw new InputError(
    `No Management API credentials: missing ${missing}.`,
    "Give a machine-to-machine application with --client-id/AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET, or a Management API token with --token/AUTH0_ACCESS_TOKEN.",
  );
}

/** The scopes a JWT's `scope` claim grants, or undefined when the token is not a readable JWT. */
export function scopesOfToken(token: string): string[] | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as { scope?: unknown };
    return typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : undefined;
  } catch {
    return undefined;
  }
}

interface TokenAnswer {
  access_token?: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** Client credentials → a Management API token and the scopes it was granted. */
async function requestToken(domain: string, clientId: string, clientSecret: string, doFetch: typeof fetch) {
  const urls = tenantUrls(domain);
  const response = await doFetch(urls.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, audience: urls.managementApi }),
  });
  const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
  // A custom domain's token endpoint does not issue tokens for a Management API it does not serve.
  if ((response.status === 401 || response.status === 403) && isServiceNotEnabled(answer.error_description)) {
    throw canonicalDomainNeeded(domain, `the token request answered ${response.status}: ${answer.error_description}`);
  }
  if (response.status === 401) {
    throw new CredentialsError(
      `Auth0 rejected the client credentials of application ${clientId} (${answer.error_description ?? answer.error ?? "Unauthorized"}).`,
      "Check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET: Dashboard → Applications → your machine-to-machine application → Settings.",
    );
  }
  if (response.status === 403) {
    throw new CredentialsError(
      `Application ${clientId} is not authorized for the Auth0 Management API.`,
      `Authorize it in the Dashboard → Applications → APIs → Auth0 Management API → Machine to Machine Applications, with the scopes the README's "Management API scopes for the machine-to-machine application" lists.`,
    );
  }
  if (!response.ok || !answer.access_token) {
    throw new Auth0ApiError(`The token request failed with HTTP ${response.status}${answer.error_description ? `: ${answer.error_description}` : ""}.`, response.status);
  }
  return { token: answer.access_token, scopes: answer.scope?.split(" ").filter(Boolean) ?? scopesOfToken(answer.access_token) };
}

export interface ConnectOptions extends Omit<HttpOptions, "baseFetch"> {
  fetch?: typeof fetch;
}

export async function connectTenant(credentials: Credentials, options: ConnectOptions = {}): Promise<Tenant> {
  assertCredentials(credentials);
  const { fetch: baseFetch, ...httpOptions } = options;
  // Independent calls go out together (the spec's example sends five at once); the HTTP layer
  // still paces them to the rate limit.
  const http = createHttp({ concurrency: 16, ...httpOptions, baseFetch });
  // The Management API lives on the canonical domain only; the issuer may be a custom domain in front.
  const domains = resolveDomains(credentials);
  const domain = domains.management;
  // The SDK costs ~200 ms to import: only commands that reach a tenant load it, while the token
  // request is on its way.
  const sdk = import("auth0");
  sdk.catch(() => undefined);
  try {
    const { token, scopes } = credentials.token
      ? { token: credentials.token, scopes: scopesOfToken(credentials.token) }
      : await requestToken(domain, credentials.clientId!, credentials.clientSecret!, http.fetch);
    const { ManagementClient } = await sdk;
    const client = new ManagementClient({
      domain,
      token,
      fetch: http.fetch,
      // Retries, rate-limit waits and timeouts live in the HTTP layer, where writes are told from reads.
      maxRetries: 0,
      timeoutInSeconds: 600,
      telemetry: false,
    });
    let issuer: Promise<IssuerDomain> | undefined;
    const issuerDomain = () =>
      (issuer ??= domains.issuer
        ? Promise.resolve({ domain: domains.issuer })
        : lookupIssuerDomain(client, domain, scopes).catch((error: unknown) => Promise.reject(toCliError(error, domain))));
    return { domain, issuerDomain, client, scopes, http: http.stats, probe: http.probe };
  } catch (error) {
    throw toCliError(error, domain);
  }
}
