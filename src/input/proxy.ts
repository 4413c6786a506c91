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
  return [...new Set(urls.map(parseCallbackUrl))];
}

/**
 * Auth0 sends the authorization code (and the proxy's session) to a callback URL: over plain http
 * anyone on the path reads it, so http is for this machine only; and Auth0 reads `*` in a callback
 * as a wildcard, which lets every matching host receive codes.
 */
function parseCallbackUrl(raw: string): string {
  const example = "http://localhost:3000/oauth/callback";
  const url = parseStrictUrl(raw, "--callback-url", example, true).raw;
  if (url.includes("*")) {
    throw new InputError(
      `--callback-url "${url}" contains "*", which Auth0 treats as a wildcard: any matching address could receive the authorization code.`,
      `List each callback URL in full, e.g. ${example}.`,
    );
  }
  return url;
}

export const parseAppName = (raw: string): string => parseName(raw, "--app-name");

/** The proxy application's name when --app-name is not given. */
export function defaultAppName(apiName: string): string {
  return `${apiName} (MCP proxy)`;
}
