import type { Context } from "./context.js";
import type { InitOptions } from "./init.js";
import { findConfigFile, loadConfig } from "../config/load.js";
import { desiredFromConfig } from "../config/desired.js";
import type { Config } from "../config/schema.js";
import type { InitDesired } from "../plan/init-plan.js";

export interface LoadedConfig {
  file: string;
  config: Config;
  desired: InitDesired;
}

/**
 * The config file init uses: `--config`, or mcp-auth0.config.yaml/.yml/.json in the working
 * directory. Its domain applies when --domain is not given (flag > file > environment).
 */
export async function loadInitConfig(ctx: Context, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  const file = findConfigFile(ctx.deps.cwd, explicit);
  if (!file) return undefined;
  const config = await loadConfig(file, ctx.deps.env);
  if (!ctx.options.domain && config.domain && !ctx.options.local) ctx.options.domain = config.domain;
  ctx.logger.info(`Using ${file}`);
  return { file, config, desired: desiredFromConfig(config, file) };
}

/** Flags override file values; what a flag does not say, the file does. Scopes and roles come from `desired`. */
export function withConfig(flags: InitOptions, { config }: LoadedConfig): InitOptions {
  return {
    ...flags,
    apiIdentifier: flags.apiIdentifier ?? config.api.identifier,
    apiName: flags.apiName ?? config.api.name,
    connections: flags.connections ?? config.connections.join(","),
    serverUrl: flags.serverUrl ?? config.env.serverUrl,
    envPath: flags.envPath ?? config.env.path,
    template: flags.template ?? config.env.template,
    cimd: flags.cimd ?? config.tenant.cimd,
    mode: flags.mode ?? config.mode,
  };
}
