import { randomBytes, randomInt } from "node:crypto";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(length: number, alphabet = ALPHANUMERIC): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Auth0 prefixes most ids with their kind: `rol_`, `con_`, `cgr_`, followed by 16 characters. */
export function prefixedId(prefix: "rol" | "con" | "cgr"): string {
  return `${prefix}_${randomString(16)}`;
}

/** Resource server ids on Auth0 are 24 hexadecimal characters (a MongoDB ObjectId). */
export function resourceServerId(): string {
  return randomBytes(12).toString("hex");
}

/**
 * Client ids are 32 alphanumeric characters; clients that MCP clients registered themselves through
 * Dynamic Client Registration get ids starting with `tpc_` (third-party client), which mcp-auth0
 * must never touch.
 */
export function clientId(kind: "first_party" | "dynamic" = "first_party"): string {
  return kind === "dynamic" ? `tpc_${randomString(28)}` : randomString(32);
}

export function clientSecret(): string {
  return randomBytes(48).toString("base64url");
}

/** Database users are `auth0|<24 hex>`; social users are `<provider>|<provider's id>`. */
export function userId(provider: string): string {
  if (provider === "auth0") return `auth0|${randomBytes(12).toString("hex")}`;
  return `${provider}|${randomString(21, "0123456789")}`;
}
