import { readInputText } from "../input/read-file.js";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import type { Context } from "./context.js";
import { findConfigFile, loadConfig } from "../config/load.js";
import { parseDownstreamApi } from "../input/downstream.js";
import type { DownstreamExpectation } from "../doctor/obo-checks.js";

/** The MCP server's .env (what init wrote); absent or unreadable is no .env. */
export async function readDotenv(path: string): Promise<Record<string, string>> {
  try {
    return parseEnv(await readInputText(path, { what: "the .env", flag: "--env-path" })) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * The API identifier when no flag names it, as init left it for the MCP server: the environment's
 * AUTH0_AUDIENCE, the audience variable of any .env preset in `envPath`, then the config file's
 * API (`mcp-auth0.config.yaml` in this directory). Undefined when none says: the caller asks.
 */
export async function identifierFromContext(ctx: Context, envPath = ".env"): Promise<string | undefined> {
  const { env, cwd } = ctx.deps;
  if (env.AUTH0_AUDIENCE) return env.AUTH0_AUDIENCE;
  const dotenv = await readDotenv(resolve(cwd, envPath));
  const { listTemplates } = await import("../env/templates.js");
  const audienceKeys = (await listTemplates()).flatMap((t) =>
    Object.entries(t.variables)
      .filter(([, value]) => value === "audience")
      .map(([key]) => key),
  );
  for (const key of new Set(audienceKeys)) if (dotenv[key]) return dotenv[key];
  return (await configHere(cwd, env))?.api.identifier;
}

/**
 * The config file in this directory, for what it says besides the tenant: the command was given its
 * tenant otherwise (--local, --domain, the environment), so a `domain: ${AUTH0_DOMAIN}` the run does
 * not use must not stop it for want of that variable.
 */
async function configHere(cwd: string, env: NodeJS.ProcessEnv) {
  const file = findConfigFile(cwd, undefined);
  return file ? loadConfig(file, env, { ignoreDomain: true }) : undefined;
}

/** Scopes of OpenID Connect: a sample may ask for them in the exchange, but no grant holds them. */
const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

/**
 * The downstream APIs doctor checks the On-Behalf-Of exchange for: `--downstream-api`, else the
 * audience the .env's auth0-obo preset exchanges for (with the scopes it asks, MCP_AUTH0_EXCHANGE_SCOPE),
 * else the config file's `downstreamApis`. None: the exchange is not checked.
 */
export async function downstreamFromContext(
  ctx: Context,
  flags: string[] | undefined,
  dotenv: { downstreamAudience?: string; exchangeScope?: string },
): Promise<DownstreamExpectation[]> {
  const values = (scopes: Array<{ value: string }> | undefined) => scopes?.map((s) => s.value);
  if (flags?.length) return flags.map((raw) => parseDownstreamApi(raw)).map((d) => ({ identifier: d.identifier, scopes: values(d.scopes) }));
  if (dotenv.downstreamAudience) {
    const scopes = dotenv.exchangeScope?.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
    return [{ identifier: dotenv.downstreamAudience, scopes: scopes?.length ? scopes : undefined }];
  }
  return ((await configHere(ctx.deps.cwd, ctx.deps.env))?.downstreamApis ?? []).map((d) => ({ identifier: d.identifier, scopes: values(d.scopes) }));
}

/** The MCP clients the config file in this directory names (`clients`); undefined when there is no file or it names none. */
export async function clientsFromContext(ctx: Context): Promise<string[] | undefined> {
  const clients = (await configHere(ctx.deps.cwd, ctx.deps.env))?.clients ?? [];
  return clients.length ? clients : undefined;
}
