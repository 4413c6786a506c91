import { InputError } from "../errors.js";
import { assertNoControlCharacters, parseStrictUrl } from "./values.js";

/**
 * `dcr` (default): MCP clients register themselves and log in through domain-level connections.
 * `proxy`: the MCP server mediates the OAuth flow with one Regular Web Application.
 */
export type InitMode = "dcr" | "proxy";

export const INIT_MODES: readonly InitMode[] = ["dcr", "proxy"];

/**
 * An absolute http(s) URL, kept exactly as given: Auth0 compares a redirect URI with the allowed
 * callbacks character for character.
 */
export function parseAbsoluteUrl(raw: string, flag: string, example: string): string {
  return parseStrictUrl(raw, flag, example).raw;
}

export function parseCallbackUrls(raw: string[]): string[] {
  for (const item of raw) assertNoControlCharacters(item, "--callback-url");
  const urls = raw
    .flatMap((item) => item.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  if (!urls.length)
    throw new InputError("--callback-url lists no URL.", "Give the URL where your MCP server receives Auth0's answer, e.g. --callback-url http://localhost:3000/oauth/callback.");
  return [...new Set(urls.map((u) => parseAbsoluteUrl(u, "--callback-url", "http://localhost:3000/oauth/callback")))];
}

/** Auth0 application names: at least one character, no `<` or `>`. */
export function parseAppName(raw: string): string {
  assertNoControlCharacters(raw, "--app-name");
  const name = raw.trim();
  if (!name || name.length > 200 || /[<>]/.test(name)) throw new InputError(`--app-name "${raw}" must be 1–200 characters without < or >.`);
  return name;
}

/** The proxy application's name when --app-name is not given. */
export function defaultAppName(apiName: string): string {
  return `${apiName} (MCP proxy)`;
}
