import type { Context } from "../session/context.js";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { loadRolesFile } from "../input/roles-file.js";
import { findConfigFile, loadConfig } from "../config/load.js";
import { CONFIG_FILES } from "../config/schema.js";
import { desiredFromConfig } from "../config/desired.js";
import { domainFromConfig } from "../config/domain.js";
import type { Config } from "../config/schema.js";
import type { InitDesired } from "../plan/init-plan.js";
import { InputError } from "../errors.js";

export interface LoadedConfig {
  file: string;
  config: Config;
  desired: InitDesired;
  /** The tenant the file names, when it decides it (no --domain or AUTH0_DOMAIN, credentials typed at the prompt): for resolveTarget. */
  domain?: string;
}

/**
 * The config file init uses: `--config`, or mcp-auth0.config.yaml/.yml/.json in the working
 * directory. Its domain must agree with --domain / AUTH0_DOMAIN (src/config/domain.ts).
 */
export async function loadInitConfig(ctx: Context, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  const file = findConfigFile(ctx.deps.cwd, explicit);
  if (!file) return undefined;
  const { options, deps } = ctx;
  const config = await loadConfig(file, deps.env, { ignoreDomain: options.local === true });
  const credentials = options.clientSecret || options.token ? "flags" : deps.env.AUTH0_CLIENT_SECRET || deps.env.AUTH0_ACCESS_TOKEN ? "env" : "prompt";
  // With --local the dev tenant is the target, whatever the file says.
  const domain = options.local ? undefined : domainFromConfig(file, config.domain, { flag: options.domain, env: deps.env.AUTH0_DOMAIN }, credentials);
  ctx.logger.info(`Using ${file}`);
  // `roles: roles.yaml` keeps the roles in one file, the one roles sync edits, instead of a copy here.
  const rolesFile = typeof config.roles === "string" ? resolve(dirname(file), config.roles) : undefined;
  const roles = rolesFile ? { file: rolesFile, roles: await loadRolesFile(rolesFile) } : undefined;
  return { file, config, desired: desiredFromConfig(config, file, roles), domain };
}

/** The config file of plan and teardown (flags override its domain), or an error naming where it looked. DCR mode only, for now. */
export async function configFor(ctx: Context, explicit: string | undefined) {
  const loaded = await loadInitConfig(ctx, explicit);
  if (!loaded) throw new InputError(`No config file: looked for ${CONFIG_FILES.join(", ")} in ${ctx.deps.cwd}.`, "Pass --config <file>.");
  if (loaded.config.mode !== "dcr") {
    throw new InputError(
      `${loaded.file} is a proxy-mode file: plan and teardown handle DCR-mode files only so far.`,
      "Use npx mcp-auth0 init --dry-run to see what a proxy-mode file would change.",
    );
  }
  return loaded;
}

/** The init flags a config file can give (init's options; declared here so that init.ts and this file do not import each other). */
interface ConfigurableFlags {
  apiIdentifier?: string;
  apiName?: string;
  connections?: string;
  serverUrl?: string;
  envPath?: string;
  template?: string;
  cimd?: boolean;
  clients?: string;
  mode?: string;
}

/** Flags override file values; what a flag does not say, the file does. Scopes and roles come from `desired`. */
export function withConfig<F extends ConfigurableFlags>(flags: F, { config }: LoadedConfig): F {
  return {
    ...flags,
    apiIdentifier: flags.apiIdentifier ?? config.api.identifier,
    apiName: flags.apiName ?? config.api.name,
    connections: flags.connections ?? config.connections.join(","),
    serverUrl: flags.serverUrl ?? config.env.serverUrl,
    envPath: flags.envPath ?? config.env.path,
    template: flags.template ?? config.env.template,
    cimd: flags.cimd ?? config.tenant.cimd,
    clients: flags.clients ?? (config.clients.length ? config.clients.join(",") : undefined),
    mode: flags.mode ?? config.mode,
  };
}

export interface WizardAnswers {
  domain: string;
  identifier: string;
  apiName?: string;
  scopes: Array<{ value: string; description?: string }>;
  connections: string[];
  /** The roles file the answers named or saved (the config then refers to it), or the roles themselves. */
  roles: string | Array<{ name: string; description?: string; permissions: string[]; users: string[] }>;
  serverUrl?: string;
  envPath: string;
  template: string;
  mode: "dcr" | "proxy";
  /** The answer to "replace the default audience?", or the flag: kept so that a re-run does the same. */
  defaultAudience: "auto" | "replace" | "never";
  downstreamApis?: Array<{ identifier: string; name?: string; scopes?: Array<{ value: string; description?: string }> }>;
  clients: string[];
}

/** The wizard's last question: keep these answers as mcp-auth0.config.yaml, for re-runs and CI. */
export async function offerToSaveConfig(ctx: Context, answers: WizardAnswers): Promise<void> {
  const file = resolve(ctx.deps.cwd, CONFIG_FILES[0]!);
  if (existsSync(file)) return;
  if (!(await ctx.prompter.confirm({ message: `Save these answers as ${CONFIG_FILES[0]} (for re-runs, plan --check and CI)?`, default: false }))) return;
  const config = {
    $schema: "./node_modules/mcp-auth0/schema/mcp-auth0.config.schema.json",
    domain: answers.domain,
    api: { identifier: answers.identifier, ...(answers.apiName ? { name: answers.apiName } : {}), scopes: answers.scopes.map((s) => (s.description ? s : { value: s.value })) },
    ...(answers.defaultAudience !== "auto" ? { tenant: { defaultAudience: answers.defaultAudience } } : {}),
    ...(answers.downstreamApis?.length ? { downstreamApis: answers.downstreamApis } : {}),
    connections: answers.connections,
    ...(answers.clients.length ? { clients: answers.clients } : {}),
    ...(answers.roles.length ? { roles: answers.roles } : {}),
    ...(answers.mode === "proxy" ? { mode: answers.mode } : {}),
    env: { template: answers.template, path: answers.envPath, ...(answers.serverUrl ? { serverUrl: answers.serverUrl } : {}) },
  };
  const { stringify } = await import("yaml");
  const header = "# mcp-auth0 init reads this file; flags override it. Values may use ${VAR}, e.g. domain: ${AUTH0_DOMAIN}.\n";
  await writeFile(file, header + stringify(config), { flag: "wx" });
  ctx.logger.success(`Saved ${CONFIG_FILES[0]}`);
}
