import { InputError } from "../errors.js";
import { normalizeDomain } from "../tenant/connect.js";

/**
 * Where the Management API credentials of this run come from: a flag, the environment, or neither
 * (then they are asked for at the terminal, or the run is --local with the dev tenant's own).
 */
export type CredentialSource = "flags" | "env" | "prompt";

export interface GivenDomain {
  /** --domain */
  flag?: string;
  /** AUTH0_DOMAIN */
  env?: string;
}

/**
 * SPEC §2: credentials go only to the tenant they were given for; a config file (shared, committed,
 * or written by someone else) never redirects them. The file's `domain` may only agree with the
 * domain given beside the credentials (--domain, else AUTH0_DOMAIN), or stand alone when the
 * credentials are typed at the prompt after it. Returns the domain to use, when the file decides it.
 */
export function domainFromConfig(file: string, fileDomain: string | undefined, given: GivenDomain, credentials: CredentialSource): string | undefined {
  if (fileDomain === undefined || fileDomain.trim() === "") return undefined;
  const fromFile = normalizeDomain(fileDomain);
  const [name, other] = given.flag !== undefined ? ["--domain", given.flag] : given.env !== undefined && given.env !== "" ? ["AUTH0_DOMAIN", given.env] : [undefined, undefined];
  if (other !== undefined) {
    if (normalizeDomain(other) === fromFile) return undefined;
    throw new InputError(
      `The config file ${file} names the tenant ${fromFile}, but ${name} is ${normalizeDomain(other)}: mcp-auth0 sends credentials only to the tenant they were given for.`,
      `Make them agree: write domain: \${AUTH0_DOMAIN} (or ${normalizeDomain(other)}) in ${file}, or remove its domain; or change ${name}.`,
    );
  }
  if (credentials !== "prompt") {
    const where = credentials === "flags" ? "--client-secret / --token" : "AUTH0_CLIENT_SECRET / AUTH0_ACCESS_TOKEN";
    throw new InputError(
      `The config file ${file} names the tenant ${fromFile}, but the credentials (${where}) were given with no domain: mcp-auth0 does not send them where a file says.`,
      `Confirm the tenant with --domain ${fromFile} or AUTH0_DOMAIN=${fromFile} (or write domain: \${AUTH0_DOMAIN} in the file).`,
    );
  }
  return fromFile;
}

/**
 * Variables that hold credentials cannot be interpolated into a config file: its values are
 * printed in plans and sent to the tenant as names, URLs and descriptions. No field of the file
 * needs one (the proxy application is found by name, and its secret goes only to the .env).
 */
const CREDENTIAL_VARIABLES = new Set(["AUTH0_CLIENT_SECRET", "AUTH0_CLIENT_ID", "AUTH0_ACCESS_TOKEN"]);

export function isCredentialVariable(name: string): boolean {
  return CREDENTIAL_VARIABLES.has(name) || /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY/i.test(name);
}
