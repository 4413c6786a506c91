import { InputError } from "../errors.js";
import { assertNoControlCharacters, parseName, parseStrictUrl } from "./values.js";

export { INIT_MODES, type InitMode } from "./modes.js";

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

export const parseAppName = (raw: string): string => parseName(raw, "--app-name");

/** The proxy application's name when --app-name is not given. */
export function defaultAppName(apiName: string): string {
  return `${apiName} (MCP proxy)`;
}
