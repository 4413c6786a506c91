import type { Context } from "../session/context.js";
import { InputError } from "../errors.js";
import { resolveTarget, type Target } from "../session/target.js";
import { parseApiName, parseIdentifier, parseList, parseScopes, type ScopeInput } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile } from "../input/roles-file.js";
import type { DownstreamApiInput } from "../input/downstream.js";
import type { InitMode } from "../input/proxy.js";
import { cimdImports } from "../plan/init-plan.js";
import type { TenantState } from "../resources/tenant-state.js";
import { parseCimdClientUrl } from "../resources/cimd-client.js";
import { parseClientNames } from "../clients/catalogue.js";
import { assertEnvPathWritable } from "../env/dotenv.js";
import { resolvePath } from "../session/env-file.js";
import { loadInitConfig, withConfig, type LoadedConfig } from "./config.js";
import { assertProxyOnlyFlags, gatherProxy, parseApiBaseUrl, templateForMode, type ProxyAnswers } from "./proxy.js";
import { parseEmails, type ApiAnswers, type RolesAnswer } from "./wizard.js";
import * as obo from "./downstream.js";
import type { InitFlags } from "../flags/init.js";

/** What init is given before it connects: flags over the config file, each value validated. */
export interface InitInputs {
  config: LoadedConfig | undefined;
  /** The flags, with what the config file says where they say nothing, and the preset --downstream-api implies. */
  options: InitFlags;
  mode: InitMode;
  /** The wizard asks what flags leave open; a config file answers everything. */
  wizard: boolean;
  downstreamApis: DownstreamApiInput[];
  apiBaseUrl: string | undefined;
  /** --cimd-client URLs, and --clients names (undefined: not given, the wizard may ask). */
  cimdClients: string[];
  namedClients: string[] | undefined;
  /** CIMD is turned on: --cimd, or clients to import (Auth0 imports only while it is advertised). */
  cimd: boolean;
  /** The roles of --roles or of the config file. */
  rolesFromFlag: RolesAnswer | undefined;
  roleUsers: string[] | undefined;
  target: Target;
  /** The API's values the flags give; without a terminal, the identifier is required. */
  given: Partial<ApiAnswers>;
  /** Proxy mode's answers, when known without the wizard. */
  proxy: ProxyAnswers | undefined;
}

/**
 * Everything flags and the config file give, validated before the first request (SPEC §2). In the
 * wizard what they leave open is asked after the tenant is connected; without a terminal it is a
 * default or an error naming the flag.
 */
export async function gatherInitInputs(flags: InitFlags, ctx: Context): Promise<InitInputs> {
  const { prompter, deps } = ctx;
  // mcp-auth0.config.yaml (or --config) supplies every value a flag does not.
  const config = await loadInitConfig(ctx, flags.config);
  const merged = config ? withConfig(flags, config) : flags;
  const mode = merged.mode ?? "dcr";
  const downstreamApis = obo.gatherDownstreamApis(merged.downstreamApi, config?.desired.downstreamApis, mode);
  // Auth0's On-Behalf-Of sample is the preset that reads the exchange's client and downstream API.
  const options = downstreamApis.length ? { ...merged, template: merged.template ?? obo.OBO_TEMPLATE } : merged;
  assertProxyOnlyFlags(options, mode, downstreamApis.length > 0);
  const wizard = prompter.interactive && !config;
  const apiBaseUrl = parseApiBaseUrl(options.apiBaseUrl);
  const cimdClients = [...new Set((options.cimdClient ?? []).map((url) => parseCimdClientUrl(url)))];
  const namedClients = options.clients !== undefined ? parseClientNames(parseList(options.clients, "--clients"), "--clients").map((c) => c.name) : undefined;
  const cimd = options.cimd === true || cimdImports({ clients: namedClients, cimdClients }).length > 0;
  const rolesFromFlag = options.roles
    ? { file: options.roles, roles: await loadRolesFile(resolvePath(deps.cwd, options.roles)) }
    : config?.desired.roles.length
      ? { file: config.file, roles: config.desired.roles }
      : undefined;
  const roleUsers = options.roleUsers === undefined ? undefined : parseEmails(options.roleUsers, "--role-users");
  if (roleUsers && rolesFromFlag) throw new InputError(`--role-users and ${options.roles ? "--roles" : `the roles of ${config!.file}`} both give the roles: choose one.`);
  // Without a terminal the preset is known now: a wrong one fails before any request.
  if (!wizard || options.template !== undefined) obo.assertTemplateFits(await templateForMode(options.template, mode), downstreamApis);
  const target = await resolveTarget(ctx, { domain: config?.domain });
  const given = await valuesFromFlags(options, ctx, config, wizard);
  const proxy = mode === "proxy" && !wizard ? await gatherProxy({ ...options, cimd }, ctx) : undefined;
  if (options.envPath) await assertEnvPathWritable(resolvePath(deps.cwd, options.envPath), { followSymlinks: options.followSymlinks });
  assertRolesFit(rolesFromFlag, given);
  return { config, options, mode, wizard, downstreamApis, apiBaseUrl, cimdClients, namedClients, cimd, rolesFromFlag, roleUsers, target, given, proxy };
}

/** The API's values flags (or the config file) give. */
async function valuesFromFlags(options: InitFlags, ctx: Context, config: LoadedConfig | undefined, wizard: boolean): Promise<Partial<ApiAnswers>> {
  const serverUrl = options.serverUrl !== undefined ? parseIdentifier(options.serverUrl, "--server-url") : undefined;
  const identifierRaw = options.apiIdentifier ?? serverUrl;
  const identifier =
    identifierRaw !== undefined
      ? parseIdentifier(identifierRaw)
      : wizard
        ? undefined
        : parseIdentifier(await ctx.prompter.input({ message: "API identifier", flag: "--api-identifier (or --server-url)" }));
  const apiName = options.apiName !== undefined ? parseApiName(options.apiName) : undefined;
  // Without --scopes outside the wizard, the API keeps the scopes it has (scopesOfTheApi): a sample
  // scope would be one nobody asked for.
  const scopes = options.scopes !== undefined ? parseScopes(options.scopes) : config?.desired.scopes;
  return { serverUrl, identifier, apiName, scopes };
}

/** The given roles grant only the API's scopes: checked as soon as both are known, before any write. */
export function assertRolesFit(roles: RolesAnswer | undefined, api: Partial<ApiAnswers>): void {
  if (roles && api.scopes && api.identifier)
    assertPermissionsAreScopes(
      roles.roles,
      api.scopes.map((s) => s.value),
      api.identifier,
      roles.file,
    );
}

/** The scopes the API already has, for a run without --scopes; with none to keep, --scopes is missing. */
export function scopesOfTheApi(state: TenantState, identifier: string): ScopeInput[] {
  const scopes = (state.resourceServer?.scopes ?? []).map((s) => ({ value: s.value, description: s.description }));
  if (scopes.length) return scopes;
  throw new InputError(
    `Missing --scopes: ${state.resourceServer ? `the API ${identifier} has no scope yet` : `the tenant has no API ${identifier} yet`}, and its scopes are yours to choose.`,
    'Pass them, e.g. --scopes "tool:whoami=Read your identity,tool:greet=Greet someone".',
  );
}
