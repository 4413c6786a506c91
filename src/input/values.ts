import { InputError } from "../errors.js";

export interface ScopeInput {
  value: string;
  description?: string;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) — no spaces, quotes or backslashes.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,280}$/;

/** `tool:whoami=Read your identity,tool:greet` → [{value, description}, {value}]. */
export function parseScopes(raw: string): ScopeInput[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  return validateScopes(
    items.map((item) => {
      const eq = item.indexOf("=");
      return { value: (eq < 0 ? item : item.slice(0, eq)).trim(), description: eq < 0 ? undefined : item.slice(eq + 1).trim() || undefined };
    }),
  );
}

/** Every scope a valid RFC 6749 scope token with a short description, none twice, at least one. */
export function validateScopes(scopes: ScopeInput[], flag = "--scopes"): ScopeInput[] {
  if (!scopes.length) throw new InputError(`${flag} lists no scope.`, `Give at least one, e.g. ${flag} "tool:whoami=Read your identity,tool:greet".`);
  const seen = new Set<string>();
  for (const { value, description } of scopes) {
    if (!SCOPE_TOKEN.test(value)) {
      throw new InputError(
        `Invalid scope "${value}" in ${flag}: a scope is 1–280 characters with no spaces, quotes or backslashes (RFC 6749).`,
        "Write each scope as value or value=description, separated by commas.",
      );
    }
    if (description && description.length > 500) throw new InputError(`The description of scope ${value} is longer than 500 characters.`);
    if (seen.has(value)) throw new InputError(`Scope ${value} appears twice in ${flag}.`);
    seen.add(value);
  }
  return scopes;
}

/**
 * The API identifier is the audience MCP clients ask for and the MCP server's resource URL: an
 * absolute https URL (http only for localhost), compared by Auth0 character for character.
 */
export function parseIdentifier(input: string, flag = "--api-identifier"): string {
  const raw = input.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`${flag} "${raw}" is not an absolute URL.`, "Use the MCP server's resource URL, e.g. https://mcp.example.com/mcp.");
  }
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    throw new InputError(`${flag} "${raw}" must be an https:// URL (http:// only for localhost).`);
  }
  if (raw.includes("#")) throw new InputError(`${flag} "${raw}" must not contain a fragment (#…).`);
  if (raw.length > 600) throw new InputError(`${flag} is longer than 600 characters.`);
  return raw;
}

export function parseList(raw: string | undefined): string[] {
  return (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

export function parseApiName(raw: string): string {
  if (!raw.trim() || raw.length > 200 || /[<>]/.test(raw)) {
    throw new InputError(`--api-name "${raw}" must be 1–200 characters without < or >.`);
  }
  return raw.trim();
}
