import { z } from "zod";
import { InputError } from "../errors.js";
import { codePointName, UNSAFE_CHARACTER } from "../untrusted.js";

export interface ScopeInput {
  value: string;
  description?: string;
}

const NAMED: Record<string, string> = {
  "\n": "a line break (\\n)",
  "\r": "a carriage return (\\r)",
  "\t": "a tab (\\t)",
  "\u0000": "a NUL byte",
  "\u200b": "a zero-width space (U+200B)",
  "\u2028": "a line separator (U+2028)",
  "\u2029": "a paragraph separator (U+2029)",
  "\u202e": "a right-to-left override (U+202E)",
  "\ufeff": "a byte order mark (U+FEFF)",
};

const isControl = (char: string) => /\p{Cc}/u.test(char);

function describeCharacter(char: string): string {
  return NAMED[char] ?? `the ${isControl(char) ? "control" : "invisible format"} character ${codePointName(char)}`;
}

/**
 * Refuses control characters (C0, DEL, C1) and invisible format characters (bidi overrides and
 * isolates, zero-width characters, U+2028/U+2029) in a text input, naming the field: a newline in
 * an identifier, a U+202E in an API's name or a U+200B in a role's would be sent to Auth0 as it is,
 * then shown to users (a consent screen, the Dashboard) as something else, or compared wrongly.
 */
export function assertNoControlCharacters(value: string, field: string): string {
  const match = UNSAFE_CHARACTER.exec(value);
  if (match) {
    throw new InputError(
      `${field} contains ${describeCharacter(match[0])} at position ${match.index + 1}: ${isControl(match[0]) ? "control characters are" : "invisible format characters (bidi overrides, zero-width characters, line separators) are"} not allowed.`,
      "Remove it (a value pasted from another program may carry one), then run the command again.",
    );
  }
  return value;
}

/** The same for every string inside a parsed file (a config or roles file), naming where it is. */
export function assertNoControlCharactersIn(value: unknown, where: (path: string) => string, path: string[] = []): void {
  if (typeof value === "string") assertNoControlCharacters(value, where(path.join(".") || "(top level)"));
  else if (Array.isArray(value)) value.forEach((v, i) => assertNoControlCharactersIn(v, where, [...path, String(i)]));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) assertNoControlCharactersIn(v, where, [...path, k]);
}

/** RFC 3986 characters: unreserved, reserved and `%`. Anything else (spaces, `\`, `"`, `<`, non-ASCII) is refused. */
const URL_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;

/**
 * An absolute http(s) URL, parsed strictly and kept exactly as given: the WHATWG parser silently
 * drops tabs and newlines, turns `\` into `/` and accepts `https:host`, so what Auth0 stores would
 * not be what the user typed (Auth0 compares identifiers and callbacks character for character).
 */
export function parseStrictUrl(input: string, flag: string, example: string, localHttpOnly = false): { raw: string; url: URL } {
  const parsed = parseUrlAsTyped(input, flag, example, localHttpOnly);
  assertNormalised(parsed, flag);
  return parsed;
}

/**
 * Clients never send a URL as typed: they parse it first. `https://MCP.example.com/a/../mcp` reaches
 * Auth0 as `https://mcp.example.com/mcp` (the resource an MCP client asks for, the redirect_uri a
 * server sends), which Auth0 compares with what it stores character for character: "Service not
 * found", or a callback mismatch. Only the form a parser keeps is accepted (a bare origin's "/" aside).
 */
function assertNormalised({ raw, url }: { raw: string; url: URL }, flag: string): void {
  const normalised = url.href;
  if (normalised === raw || normalised === `${raw}/`) return;
  throw new InputError(
    `${flag} "${raw}" is not in the form clients send: URL parsers turn it into "${normalised}" (lower-case host, no "." or ".." segments, no default port), which Auth0 would not match.`,
    `Give it as ${normalised}.`,
  );
}

function parseUrlAsTyped(input: string, flag: string, example: string, localHttpOnly: boolean): { raw: string; url: URL } {
  assertNoControlCharacters(input, flag);
  const raw = input.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`${flag} "${raw}" is not an absolute URL.`, `Give a full URL, e.g. ${example}.`);
  }
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (localHttpOnly ? url.protocol !== "https:" && !(url.protocol === "http:" && local) : url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InputError(`${flag} "${raw}" must be ${localHttpOnly ? "an https:// URL (http:// only for localhost)" : "an http:// or https:// URL"}.`, `E.g. ${example}.`);
  }
  const bad = [...raw].find((char) => !URL_CHARACTERS.test(char));
  if (bad !== undefined) {
    throw new InputError(
      `${flag} "${raw}" contains ${bad === " " ? "a space" : `"${bad}"`}, which a URL cannot hold unencoded.`,
      `Percent-encode it, or give the URL as the server serves it, e.g. ${example}.`,
    );
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw new InputError(`${flag} "${raw}" has a "%" that does not start a percent-encoding (%XX).`, `E.g. ${example}.`);
  if (!/^https?:\/\/[^/?#]/.test(raw)) throw new InputError(`${flag} "${raw}" must start with ${url.protocol}// and a host.`, `E.g. ${example}.`);
  if (url.username || url.password) throw new InputError(`${flag} "${raw}" must not carry a user name or password.`, `E.g. ${example}.`);
  if (raw.includes("#")) throw new InputError(`${flag} "${raw}" must not contain a fragment (#…).`);
  return { raw, url };
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) — no spaces, quotes or backslashes.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,280}$/;

/** `tool:whoami=Read your identity,tool:greet` → [{value, description}, {value}]. */
export function parseScopes(raw: string, flag = "--scopes"): ScopeInput[] {
  assertNoControlCharacters(raw, flag);
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return validateScopes(
    items.map((item) => {
      const eq = item.indexOf("=");
      return { value: (eq < 0 ? item : item.slice(0, eq)).trim(), description: eq < 0 ? undefined : item.slice(eq + 1).trim() || undefined };
    }),
    flag,
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
    if (description) assertNoControlCharacters(description, `The description of scope ${value} in ${flag}`);
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
  const { raw } = parseStrictUrl(input, flag, "https://mcp.example.com/mcp", true);
  if (raw.length > 600) throw new InputError(`${flag} is longer than 600 characters.`);
  return raw;
}

export function parseList(raw: string | undefined, flag = "--connections"): string[] {
  if (raw !== undefined) assertNoControlCharacters(raw, flag);
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An Auth0 name (an API's, an application's): 1–200 characters, no `<` or `>`, no control character. */
export function parseName(raw: string, flag: string): string {
  assertNoControlCharacters(raw, flag);
  const name = raw.trim();
  if (!name || name.length > 200 || /[<>]/.test(name)) throw new InputError(`${flag} "${raw}" must be 1–200 characters without < or >.`);
  return name;
}

export const parseApiName = (raw: string): string => parseName(raw, "--api-name");

/** An address by its shape only (whom it names is for the command to check): the rule roles files use too. */
export const isEmail = (raw: string): boolean => z.email().safeParse(raw).success;

export function assertEmail(raw: string, flag: string): void {
  if (!isEmail(raw)) throw new InputError(`${flag} "${raw}" is not an email address.`, `E.g. ${flag} user@example.com.`);
}
