import { Auth0ApiError, CliError, CredentialsError, MissingScopesError, UnreachableError } from "../errors.js";
import { causes, errorCode, isTimeout, OutcomeUnknownError } from "./http.js";
import { canonicalDomainNeeded, isServiceNotEnabled } from "./domains.js";
import { RateLimitWaitError } from "./rate-limit.js";
import { MalformedAnswerError } from "./answers.js";

interface Auth0ErrorBody {
  statusCode?: number;
  error?: string;
  message?: string;
  errorCode?: string;
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
]);

/** What a network error code means, in words. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens on that port",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
  EPIPE: "connection closed",
};

/**
 * The one place where HTTP statuses and network failures become the typed errors of SPEC §3.
 * The SDK's `ManagementError` carries the status and Auth0's error body.
 */
export function toCliError(error: unknown, domain: string): CliError {
  if (error instanceof CliError) return error;
  const unknownOutcome = causes(error).find((e): e is OutcomeUnknownError => e instanceof OutcomeUnknownError);
  if (unknownOutcome?.status !== undefined) {
    // Auth0 answered, with a 5xx: it is reachable but failing (SPEC §3: exit 1 with the status).
    return new Auth0ApiError(
      `Auth0 failed: ${unknownOutcome.message} (${domain}).`,
      unknownOutcome.status,
      "Re-run the same command: it reads the tenant first and completes what is missing.",
      { cause: error },
    );
  }
  if (unknownOutcome) {
    return new UnreachableError(`${unknownOutcome.message} (${domain}).`, "Re-run the same command: it reads the tenant first and completes what is missing.", { cause: error });
  }
  const rateLimit = causes(error).find((e): e is RateLimitWaitError => e instanceof RateLimitWaitError);
  if (rateLimit) {
    // SPEC §3 has no exit code of its own for a rate limit: it is an Auth0 error not covered by the others.
    const at = new Date(rateLimit.until).toISOString();
    return new Auth0ApiError(
      `Auth0's rate limit holds the next request for ${Math.ceil(rateLimit.waitMs / 1000)} s, until ${at}; mcp-auth0 waits at most ${rateLimit.maxWaitMs / 1000} s (${domain}).`,
      429,
      `Re-run the same command after ${at}: it reads the tenant first and completes what is missing.`,
      { cause: error },
    );
  }
  const malformed = causes(error).find((e): e is MalformedAnswerError => e instanceof MalformedAnswerError);
  if (malformed) {
    // Like a 5xx that outlasted the retries (SPEC §3: exit 1), and never read as "nothing there".
    return new Auth0ApiError(
      `Auth0's answer to ${malformed.call} could not be used: ${malformed.problem} (${domain}).`,
      undefined,
      "Re-run the same command later: it reads the tenant first and completes what is missing. If this persists, something between you and Auth0 (a proxy, a captive portal) may be changing its answers: --verbose shows each call.",
      { cause: error },
    );
  }
  const code = errorCode(error);
  if (code && (TLS_CODES.has(code) || /CERT|SSL|TLS/.test(code))) {
    return new UnreachableError(`TLS failure talking to ${domain}: ${code}.`, "For a local tenant use --local, or start Node with NODE_EXTRA_CA_CERTS=<its CA file>.", {
      cause: error,
    });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new UnreachableError(`Cannot resolve ${domain} (DNS lookup failed).`, "Check --domain / AUTH0_DOMAIN: e.g. acme.us.auth0.com.", { cause: error });
  }
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+|EPIPE)$/.test(code)) {
    const what = NETWORK_CODES[code] ? `${NETWORK_CODES[code]}, ${code}` : code;
    return new UnreachableError(`Cannot reach ${domain} (${what}).`, "Check the domain and your network; for a local tenant, is `npx mcp-auth0 dev` running?", { cause: error });
  }
  if (isTimeout(error)) {
    return new UnreachableError(`${domain} did not answer in time.`, "Re-run the same command: it completes what is missing.", { cause: error });
  }
  // fetch refuses the ports of the Fetch standard's block list (1, 6000, …) before connecting, with
  // a bare "bad port" cause and no code.
  if (causes(error).some((e) => e instanceof Error && e.message === "bad port")) {
    const port = /:(\d+)$/.exec(domain)?.[1] ?? "443";
    return new UnreachableError(
      `Cannot reach ${domain}: port ${port} is one that fetch refuses to connect to ("bad port", the Fetch standard's blocked ports).`,
      "Use another port, e.g. npx mcp-auth0 dev --port 4000, and --domain localhost:4000.",
      { cause: error },
    );
  }
  // Any other failure of fetch itself (the SDK wraps it, sometimes twice): the innermost cause names it.
  const chain = causes(error);
  if (chain.some((e) => e instanceof TypeError && e.message === "fetch failed")) {
    const innermost = chain[chain.length - 1];
    const reason = innermost instanceof Error ? innermost.message : String(innermost);
    return new UnreachableError(`Cannot reach ${domain}: ${reason}.`, "Check the domain and your network; for a local tenant, is `npx mcp-auth0 dev` running?", { cause: error });
  }

  const statusCode = (error as { statusCode?: number }).statusCode;
  if (typeof statusCode === "number") {
    const raw = (error as { body?: unknown }).body;
    const body = (raw && typeof raw === "object" ? raw : {}) as Auth0ErrorBody;
    // A proxy's HTML page or an empty body: the status says enough, the SDK's dump is noise.
    const message = body.message ?? body.error ?? `HTTP ${statusCode}`;
    if (statusCode === 403 && body.errorCode === "insufficient_scope") {
      const [, kind, list] = /expected (any|all) of: (.*)$/.exec(message) ?? [];
      return new MissingScopesError(list?.split(/[ ,]+/).filter(Boolean) ?? [], kind === "any");
    }
    // A token obtained through a custom domain, or a call sent to one: Auth0 serves the Management API on the canonical domain only.
    if (statusCode === 401 && isServiceNotEnabled(message)) return canonicalDomainNeeded(domain, `Auth0 answered 401: ${message}`);
    if (statusCode === 401) {
      return new CredentialsError(`Auth0 rejected the Management API token (${message}).`, "Check --token / AUTH0_ACCESS_TOKEN, or use client credentials.");
    }
    const hint =
      statusCode === 400
        ? "Auth0 rejected the request body; run with --verbose to see the call."
        : statusCode >= 500
          ? "Auth0 kept failing after retries; re-run the same command later: it completes what is missing."
          : undefined;
    return new Auth0ApiError(`${statusCode >= 500 ? "Auth0 failed with HTTP" : "Auth0 answered"} ${statusCode}: ${message}`, statusCode, hint, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`Unexpected failure: ${message}`, 1, "Run again with --verbose for details.", { cause: error });
}
