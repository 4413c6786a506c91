import type { ManagementClient } from "auth0";
import { CredentialsError, InputError } from "../errors.js";

/*
 * Custom domains. Most production tenants put a custom domain (login.example.com) in front of the
 * canonical one ({tenant}.{region}.auth0.com). Auth0 then splits what the two are for:
 *
 * - The Management API accepts only tokens for the canonical audience
 *   `https://{canonical}/api/v2/`, obtained through the canonical host; a token obtained through one
 *   host is rejected on the other (401 "Service not enabled within domain"). So mcp-auth0 always
 *   requests its token from, and sends its Management API calls to, the canonical domain.
 * - MCP clients see the issuer of the domain they use. With a custom domain in front, the MCP
 *   server's `.env` (and the `iss` it checks) names the custom domain.
 *
 * `--domain` may be either. The other one is found like this:
 * - `--domain` is canonical: `GET /custom-domains` (optional scope `read:custom_domains`) lists the
 *   custom domains; a ready one becomes the issuer. When several are ready, `--issuer-domain` (or
 *   Auth0's default custom domain) chooses. Without the scope the `.env` keeps the canonical domain,
 *   with a note.
 * - `--domain` is custom: the canonical domain comes from `--canonical-domain` /
 *   `AUTH0_CANONICAL_DOMAIN`, or from the `aud` claim of a `--token`. With only client credentials
 *   it cannot be learned (the token request itself must go to the canonical host), so the error
 *   Auth0 gives for the custom host becomes one that asks for `--canonical-domain`.
 */

export interface DomainInputs {
  /** --domain, normalised. */
  domain: string;
  /** --canonical-domain / AUTH0_CANONICAL_DOMAIN, normalised. */
  canonicalDomain?: string;
  /** --issuer-domain / AUTH0_ISSUER_DOMAIN, normalised: the domain MCP clients use. */
  issuerDomain?: string;
  token?: string;
}

export interface ResolvedDomains {
  /** Where the token is requested and the Management API is called. */
  management: string;
  /** The issuer domain MCP clients use, when already known; otherwise `GET /custom-domains` finds it. */
  issuer?: string;
}

export interface IssuerDomain {
  domain: string;
  /** Said once to the user: how the issuer domain was chosen, or why no custom domain was looked for. */
  note?: string;
}

/** `https://acme.us.auth0.com/api/v2/` in a token's `aud` (a string or an array) → `acme.us.auth0.com`. */
export function canonicalFromToken(token: string | undefined): string | undefined {
  const parts = token?.split(".");
  if (!parts || parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as { aud?: unknown };
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    for (const aud of audiences) {
      const host = typeof aud === "string" ? /^https:\/\/([^/]+)\/api\/v2\/?$/i.exec(aud)?.[1] : undefined;
      if (host) return host.toLowerCase();
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export function resolveDomains(inputs: DomainInputs): ResolvedDomains {
  const management = inputs.canonicalDomain ?? canonicalFromToken(inputs.token) ?? inputs.domain;
  const issuer = inputs.issuerDomain ?? (management !== inputs.domain ? inputs.domain : undefined);
  return { management, issuer };
}

/** Auth0's answer when a token or a token request went through a host the Management API is not served on. */
export function isServiceNotEnabled(text: string | undefined): boolean {
  return /service not (enabled within domain|found)/i.test(text ?? "");
}

export function canonicalDomainNeeded(domain: string, detail: string): CredentialsError {
  return new CredentialsError(
    `${domain} looks like a custom domain: Auth0 serves the Management API only on the tenant's canonical domain (${detail}).`,
    "Pass the canonical domain with --canonical-domain (or AUTH0_CANONICAL_DOMAIN), e.g. acme.us.auth0.com (Dashboard → Settings → Custom Domains shows it); --domain may stay the custom one.",
  );
}

interface CustomDomainEntry {
  domain?: string;
  status?: string;
  primary?: boolean;
  is_default?: boolean;
}

/**
 * The domain MCP clients use when `--domain` is canonical: a ready custom domain, chosen by
 * `--issuer-domain` or Auth0's default when there are several. One read; a token without
 * `read:custom_domains` skips it (or meets a 403) and keeps the canonical domain.
 */
export async function lookupIssuerDomain(client: ManagementClient, canonical: string, scopes: string[] | undefined): Promise<IssuerDomain> {
  const skipped = (why: string): IssuerDomain => ({
    domain: canonical,
    note: `${why}: custom domains were not looked for, so the .env names ${canonical}. If MCP clients use a custom domain, pass --issuer-domain <host> or grant read:custom_domains.`,
  });
  if (scopes && !scopes.includes("read:custom_domains")) return skipped("The token has no read:custom_domains scope");
  let all: CustomDomainEntry[];
  try {
    all = (await client.customDomains.list()) as CustomDomainEntry[];
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 403) return skipped("Auth0 refused GET /custom-domains (403)");
    // Tenants without the custom-domains feature (or a local tenant that has none) answer 404.
    if (status === 404) return { domain: canonical };
    throw error;
  }
  const ready = all.filter((d) => d.status === "ready" && d.domain).map((d) => ({ ...d, domain: d.domain!.toLowerCase() }));
  const pending = all.filter((d) => d.status !== "ready" && d.domain).map((d) => `${d.domain} (${d.status})`);
  if (!ready.length) return { domain: canonical, note: pending.length ? `Custom domain ${pending.join(", ")} is not ready: the .env names ${canonical}.` : undefined };
  const chosen = ready.length === 1 ? ready[0]! : ready.find((d) => d.is_default);
  if (!chosen) {
    throw new InputError(
      `The tenant has ${ready.length} ready custom domains (${ready.map((d) => d.domain).join(", ")}): which one do MCP clients use?`,
      `Pass it with --issuer-domain (or AUTH0_ISSUER_DOMAIN), e.g. --issuer-domain ${ready[0]!.domain}; --issuer-domain ${canonical} keeps the canonical domain.`,
    );
  }
  return {
    domain: chosen.domain,
    note: `Custom domain ${chosen.domain}${ready.length > 1 ? " (the tenant's default)" : ""}: the .env names it, as MCP clients see it as the issuer; Management API calls go to ${canonical}.`,
  };
}
