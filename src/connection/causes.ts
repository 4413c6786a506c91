import { authorizeFailure } from "../doctor/authorize-answers.js";
import type { Fixes } from "../doctor/fixes.js";
import { clip } from "../untrusted.js";

/**
 * Why a step of the connection failed, in words a user can act on, and what to run or change.
 * The texts Auth0 answers with are matched here (AUTH0-FACTS: the token endpoint's errors; those of
 * /authorize, the error page of a strict third-party client included, as doctor reads them in
 * doctor/authorize-answers.ts); the dev tenant answers with the same ones.
 */
export interface Cause {
  detail: string;
  fix?: string;
  /** The tenant itself could not be reached (exit 4, SPEC §3), rather than not ready. */
  unreachable?: boolean;
}

/** What the access token says (its claims, as an MCP server reads them). */
export interface TokenFacts {
  iss: string;
  sub: string;
  aud: string[];
  scope: string;
  /** The `permissions` claim (RBAC with a `_authz` token dialect); undefined when the token has none. */
  permissions?: string[];
  clientId: string;
}

const TLS = /CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED/;
const isLoopback = (url: string) => URL.canParse(url) && ["localhost", "127.0.0.1", "[::1]"].includes(new URL(url).hostname);

/** `NODE_EXTRA_CA_CERTS=… npm start`: how the MCP server comes to trust the dev tenant (Node reads the variable only at start). */
const startTrusting = (caPath: string) => `NODE_EXTRA_CA_CERTS=${caPath} npm start   # or however you start it: Node reads the variable only at start, never from a .env`;

/** `error="…"`, `error_description="…"`, `scope="…"` of a WWW-Authenticate header. */
function challengeParam(www: string, name: string): string | undefined {
  return new RegExp(`${name}="([^"]*)"`, "i").exec(www)?.[1];
}

/** Causes the steps fail with; each knows its fix. */
export const causeOf = {
  serverUnreachable: (url: string, code: string, devCaPath?: string): Cause => ({
    detail: `cannot connect to ${clip(url)} (${code})`,
    fix: devCaPath ? `Start the MCP server, trusting the dev tenant: ${startTrusting(devCaPath)}` : "Start the MCP server, or check --server-url",
  }),

  notProtected: (status: number): Cause => ({
    detail: `answered HTTP ${status} to a request without a token, not 401: MCP clients never log in, and anyone may call its tools`,
    fix: 'Verify bearer tokens: without a valid one, answer 401 with WWW-Authenticate: Bearer resource_metadata="<its RFC 9728 metadata URL>"',
  }),

  tenantUnreachable: (issuer: string, code: string, devCaPath?: string): Cause => ({
    detail: TLS.test(code) ? `cannot reach ${clip(issuer)}: its certificate is not trusted (${code})` : `cannot reach ${clip(issuer)} (${code})`,
    fix:
      TLS.test(code) && devCaPath
        ? `It is this directory's dev tenant: add --local, which trusts its CA for this run (or start with NODE_EXTRA_CA_CERTS=${devCaPath})`
        : TLS.test(code) && isLoopback(issuer)
          ? "For mcp-auth0's dev tenant add --local (with --data-dir when its data is elsewhere), which trusts its CA for this run"
          : undefined,
    unreachable: true,
  }),

  callbackPortBusy: (redirectUri: string, code: string, file: string): Cause => ({
    detail: `cannot listen on ${redirectUri}, the redirect URI of the client kept from an earlier run (${code})`,
    fix: `Free that port, or remove the entry from ${file} (the next run then registers a new client)`,
  }),

  registrationRefused: (message: string, fix: Fixes): Cause =>
    /disabled|does not support dynamic client registration/i.test(message)
      ? { detail: `the tenant refuses Dynamic Client Registration (${message}): MCP clients cannot register`, fix: fix.init() }
      : /too_many_entities|too many|limit/i.test(message)
        ? {
            detail: `the tenant holds its maximum of applications (${message}); every DCR registration is one, and a free tenant holds 10`,
            fix: `${fix.doctor()}   # lists them, with the command that deletes one`,
          }
        : { detail: `registration failed: ${message}` },

  /** An error at /authorize: on the tenant's error page (strict third-party clients) or in the redirect. */
  authorizationError: (error: string, description: string, fix: Fixes, onPage: boolean): Cause => {
    const said = `${clip(error, 100)}${description ? `: ${clip(description, 300)}` : ""}`;
    const where = onPage ? "Auth0 shows its error page and never returns to the client, which waits" : "the tenant sent the client back with an error";
    // Ours, not Auth0's: the dev user asked for is not among those the login page offers (user-agent.ts).
    if (error === "user_not_available") return { detail: said, fix: "Pass --user with one of them, or promote that user's connection to domain level" };
    switch (authorizeFailure(`${error}: ${description}`)) {
      case "no-connection":
        return {
          detail: `no domain-level connection: third-party (DCR) clients log in only through domain-level connections; ${where} ("${said}")`,
          fix: `${fix.doctor()}   # names the connection to promote, with its promote-connection command`,
        };
      case "consent-declined":
        return { detail: `consent declined: the user answered Decline on the consent screen ("${said}"). Nothing is missing in the setup: run again and accept` };
      case "service-not-found": {
        const resource = /Service not found:\s*(.*)$/i.exec(description)?.[1] ?? "";
        return {
          detail: `the resource ${clip(resource)} matches no API of the tenant (Auth0 compares identifiers exactly; ${where})`,
          fix: `${fix.init()}   # creates that API; or make the server's metadata name an existing API identifier`,
        };
      }
      case "not-granted":
        return { detail: `no default grant for third-party clients: DCR clients get no token for the API ("${said}")`, fix: fix.init() };
      case "userinfo-audience":
        return { detail: `no effective audience: the resource parameter was ignored (compatibility profile off) ("${said}")`, fix: fix.init() };
      case "unknown-client":
        return { detail: `the tenant does not know the client ("${said}")` };
      default:
        return { detail: `${where}: ${said}` };
    }
  },

  /** The browser never came back: on Auth0 an authentication error of a strict third-party client is a page, not a redirect. */
  noCallback: (timeoutMs: number, fix: Fixes): Cause => ({
    detail:
      `no answer reached the callback within ${Math.round(timeoutMs / 1000)} s. If the browser shows an Auth0 error page, its text names the cause: ` +
      `"no connections enabled for the client" (no domain-level connection), "User did not authorize the request" (consent declined), ` +
      `"Service not found" (the server's resource matches no API)`,
    fix: `${fix.doctor()}   # checks each of them`,
  }),

  /** The token endpoint's error_description, read with the one table of Auth0's texts (doctor/authorize-answers.ts). */
  tokenRefused: (code: string, message: string, resource: string, fix: Fixes): Cause => {
    switch (authorizeFailure(message)) {
      case "service-not-found":
        return { detail: `the token endpoint knows no API ${clip(resource)} (${code}: ${message})`, fix: fix.init() };
      case "not-granted":
        return { detail: `no default grant for third-party clients (${code}: ${message})`, fix: fix.init() };
      default:
        return { detail: `the token request failed (${code}: ${message})` };
    }
  },

  opaqueToken: (fix: Fixes): Cause => ({
    detail: "the access token is not a JWT: the tenant issued it for no API (the resource parameter was ignored), so no MCP server can verify it",
    fix: fix.init(),
  }),

  otherAudience: (aud: string[], resource: string, fix: Fixes): Cause => ({
    detail: `the token is for ${clip(aud.join(" "))}, not the resource ${clip(resource)}: the tenant's default audience won over the resource parameter`,
    fix: fix.init(),
  }),

  /** 403 from the MCP server: the tool's permission is missing from the token. */
  forbidden: (www: string, who: string, token: TokenFacts, tool: string | undefined, fix: Fixes): Cause => {
    const needed = challengeParam(www, "scope");
    const held = token.permissions ?? token.scope.split(" ").filter(Boolean);
    const to = tool ? ` to ${clip(tool, 80)}` : "";
    if (needed && held.includes(needed)) {
      return { detail: `the server answered 403${to}: it needs ${clip(needed)}, which ${who} holds, but the token's scope "${clip(token.scope)}" does not carry it` };
    }
    return {
      detail: `the server answered 403 ${clip(challengeParam(www, "error") ?? "forbidden", 60)}${to}: ${needed ? `it needs ${clip(needed)}, and ` : ""}no role grants ${who} ${needed ? "that permission" : "the permission it needs"} (the token's permissions: [${held.map((p) => clip(p)).join(", ")}])`,
      fix: fix.rolesSync(),
    };
  },
};

/**
 * The MCP server answered 401 to a token the tenant issued, signed with a key of its JWKS, for
 * the resource the server names: the server checks something else, or cannot check at all. Its
 * .env says what it checks (init wrote it); when that agrees with the token, its keys are what it
 * cannot get — a server started without NODE_EXTRA_CA_CERTS does not trust the dev tenant.
 */
export function serverRejectedToken(
  token: TokenFacts,
  www: string,
  jwksUri: string,
  env: { path: string; domain?: string; audience?: string; template?: string },
  devCaPath: string | undefined,
  fix: Fixes,
): Cause {
  const said = challengeParam(www, "error_description");
  const server = `the server answered 401 to a token the tenant issued${said ? ` ("${clip(said, 200)}")` : ""}`;
  // The server's own preset (its variables) and .env; the API is the resource, which the token's aud holds.
  const envFix = fix.env(env.template ?? "auth0");
  if (env.audience && !token.aud.includes(env.audience)) {
    return {
      detail: `${server}: it checks the audience ${clip(env.audience)} (${env.path}), but the token is for ${clip(token.aud.join(" "))}, the resource its metadata names`,
      fix: `${envFix}   # then restart the server`,
    };
  }
  if (env.domain && `https://${env.domain}/` !== token.iss) {
    return {
      detail: `${server}: it checks the issuer https://${clip(env.domain)}/ (${env.path}), but the token's iss is ${clip(token.iss)}`,
      fix: `${envFix}   # then restart the server`,
    };
  }
  const checked = env.audience || env.domain ? ` (its audience and issuer in ${env.path} match the token)` : "";
  return devCaPath
    ? {
        detail: `${server}${checked}: it cannot fetch the tenant's keys (${clip(jwksUri)}) — a server started without NODE_EXTRA_CA_CERTS does not trust the dev tenant's certificate`,
        fix: `Restart it: ${startTrusting(devCaPath)}`,
      }
    : {
        detail: `${server}${checked}: most likely it cannot fetch the tenant's keys (${clip(jwksUri)}), or checks another audience or issuer than the token's (aud ${clip(token.aud.join(" "))}, iss ${clip(token.iss)})`,
        fix: "Check the server's log: it says why verification failed",
      };
}
