import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import type { Context } from "./context.js";
import { findConfigFile, loadConfig } from "../config/load.js";

/** The MCP server's .env (what init wrote); absent or unreadable is no .env. */
export async function readDotenv(path: string): Promise<Record<string, string>> {
  try {
    return parseEnv(await readFile(path, "utf8")) as Record<string, string>;
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
  const file = findConfigFile(cwd, undefined);
  return file ? (await loadConfig(file, env, { ignoreDomain: true })).api.identifier : undefined;
}
