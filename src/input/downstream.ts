import { InputError } from "../errors.js";
import { assertNoControlCharacters, parseScopes, parseStrictUrl, validateScopes, type ScopeInput } from "./values.js";

/**
 * A downstream API: an API of the same company that the MCP server calls on the user's behalf, with
 * a token it gets from Auth0's On-Behalf-Of token exchange (RFC 8693). `scopes` are what the MCP
 * server's Custom API client may ask for there (its user-delegated grant); absent, every scope the
 * existing API has.
 */
export interface DownstreamApiInput {
  identifier: string;
  /** The name of an API this run creates (default: its identifier); an existing API's name is never changed. */
  name?: string;
  scopes?: ScopeInput[];
}

/**
 * An API identifier is any string to Auth0 (1–600 characters), compared character for character
 * as the `audience` of the exchange. mcp-auth0 takes an absolute http(s) URL (parsed strictly, as
 * the MCP server's own) or a URN; `=` and `,` are refused because `--downstream-api` uses them to
 * separate the scopes.
 */
export function parseDownstreamIdentifier(raw: string, flag: string): string {
  assertNoControlCharacters(raw, flag);
  const value = raw.trim();
  if (/^urn:[a-z0-9][a-z0-9-]*:\S+$/i.test(value) && !/[=,<>"\\]/.test(value)) return checkLength(value, flag);
  const { raw: url } = parseStrictUrl(value, flag, "https://api.example.com/");
  if (/[=,]/.test(url)) throw new InputError(`${flag} "${url}" contains "=" or ",", which separate the scopes of --downstream-api.`, "Use an identifier without them.");
  return checkLength(url, flag);
}

function checkLength(value: string, flag: string): string {
  if (value.length > 600) throw new InputError(`${flag} is longer than 600 characters (Auth0's limit for an API identifier).`);
  return value;
}

/** `--downstream-api <identifier>[=scopes]`: `http://localhost:8787/=read:private=Read private data,read:other`. */
export function parseDownstreamApi(raw: string, flag = "--downstream-api"): DownstreamApiInput {
  assertNoControlCharacters(raw, flag);
  const eq = raw.indexOf("=");
  const identifier = parseDownstreamIdentifier(eq < 0 ? raw : raw.slice(0, eq), flag);
  if (eq < 0) return { identifier };
  return { identifier, scopes: parseScopes(raw.slice(eq + 1), `${flag} ${identifier}`) };
}

/**
 * Every downstream API once, none of them the MCP server's own API: an exchange for the audience the
 * token already has is no delegation at all.
 */
export function validateDownstreamApis(apis: DownstreamApiInput[], mcpIdentifier: string | undefined, where: string): DownstreamApiInput[] {
  const seen = new Set<string>();
  for (const api of apis) {
    if (seen.has(api.identifier)) throw new InputError(`${where} names the downstream API ${api.identifier} twice.`, "List each API once, with all its scopes.");
    seen.add(api.identifier);
    if (api.identifier === mcpIdentifier) {
      throw new InputError(
        `${where} names ${api.identifier}, the MCP server's own API: a downstream API is another API that the MCP server calls on the user's behalf.`,
        "Give the identifier (audience) of the API your tools call.",
      );
    }
    if (api.scopes) validateScopes(api.scopes, `${where} ${api.identifier}`);
  }
  return apis;
}
