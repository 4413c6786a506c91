import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { Context } from "../session/context.js";
import type { InputPrompt, Prompter } from "../ui/prompts.js";
import type { Tenant } from "../tenant/connect.js";
import { readTenantSettings, type TenantSettings } from "../resources/tenant-settings.js";
import type { InitMode } from "../input/proxy.js";
import { InputError } from "../errors.js";
import { isEmail, parseApiName, parseIdentifier, parseScopes, type ScopeInput } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile, type RoleDesired } from "../input/roles-file.js";
import { assertEnvPathWritable } from "../env/dotenv.js";
import { listTemplates, usesValue } from "../env/templates.js";
import { resolvePath } from "../session/env-file.js";
import { suggest } from "../session/suggest.js";
import { staysDomainLevel, type Connection } from "../resources/connections.js";
import { readDotenv } from "../session/api-identifier.js";
import { recognisePreset } from "../doctor/dotenv-preset.js";
import { CATALOGUE, cimdClients } from "../clients/catalogue.js";

/*
 * The questions of `init` in a terminal, in the order a person answers them: the tenant first
 * (session/target.ts), then what the API is, who may log in, who holds which permission, and where the
 * MCP server's .env goes. Every answer is checked where it is typed; a wrong one is asked again
 * with the reason, never ends the wizard.
 */

/** An error message as the wizard shows it: about the answer, not about flags the person never typed. */
function forPrompt(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^--[\w-]+ /, "The answer ").replace(/ in --[\w-]+/g, "");
}

/** Asks until `parse` accepts the answer, and returns what it made of it. Non-interactively: the default, parsed. */
async function askParsed<T>(prompter: Prompter, prompt: InputPrompt, parse: (value: string) => T | Promise<T>): Promise<T> {
  const answer = await prompter.input({
    ...prompt,
    validate: async (value) => {
      try {
        await parse(value);
        return true;
      } catch (error) {
        return forPrompt(error);
      }
    },
  });
  return parse(answer);
}

/**
 * The tenant's name, shown as soon as the credentials work: the person sees which tenant they are
 * about to change. The settings it read are the plan's too (readTenantState reads them no more).
 */
export async function showTenant(ctx: Context, tenant: Tenant): Promise<TenantSettings> {
  const settings = await readTenantSettings(tenant);
  const name = settings.friendly_name;
  ctx.logger.success(`Connected to ${name ? `${name} (${tenant.domain})` : tenant.domain}`);
  return settings;
}

export interface ApiAnswers {
  serverUrl?: string;
  identifier: string;
  apiName?: string;
  scopes: ScopeInput[];
}

/** What an earlier run left in the MCP server's .env: a re-run offers it as the answers' defaults. */
export interface EarlierAnswers {
  serverUrl?: string;
  identifier?: string;
  template?: string;
}

export async function earlierAnswers(ctx: Context, envPath: string): Promise<EarlierAnswers> {
  const facts = recognisePreset(await readDotenv(resolvePath(ctx.deps.cwd, envPath)), await listTemplates());
  return { serverUrl: facts.serverUrl, identifier: facts.audience, template: facts.template?.name };
}

/** The MCP server's URL, the API identifier (its default), the API's name and its scopes. */
export async function askApi(prompter: Prompter, given: Partial<ApiAnswers>, earlier: EarlierAnswers = {}): Promise<ApiAnswers> {
  const serverUrl =
    given.serverUrl ??
    (await askParsed(
      prompter,
      { message: "Your MCP server's URL (e.g. https://mcp.example.com/mcp)", flag: "--server-url", default: given.identifier ?? earlier.serverUrl ?? earlier.identifier },
      (v) => parseIdentifier(v, "The URL"),
    ));
  // The .env's audience, while the URL is the one it was written with; else the URL itself.
  const identifierDefault = earlier.identifier && (!earlier.serverUrl || earlier.serverUrl === serverUrl) ? earlier.identifier : serverUrl;
  const identifier =
    given.identifier ??
    (await askParsed(prompter, { message: "API identifier (the audience MCP clients ask tokens for)", flag: "--api-identifier", default: identifierDefault }, (v) =>
      parseIdentifier(v, "The identifier"),
    ));
  const apiName = given.apiName ?? (await askParsed(prompter, { message: "API name", flag: "--api-name", default: "MCP Server" }, parseApiName));
  const scopes =
    given.scopes ??
    (await askParsed(prompter, { message: "Scopes (value=description, comma-separated)", flag: "--scopes", default: "tool:whoami=Read your identity" }, parseScopes));
  return { serverUrl, identifier, apiName, scopes };
}

/**
 * The connections to promote (DCR) or to enable for the proxy application, ticked in a list. In
 * DCR mode an empty choice is asked again while no connection is domain level: DCR clients could
 * log nobody in. Unticking a domain-level connection demotes nothing, and the person is told so.
 */
export async function askConnections(ctx: Context, connections: Connection[], proxy: boolean): Promise<string[]> {
  if (proxy) {
    return ctx.prompter.checkbox({
      message: "Connections the proxy application may log users in with (enabled for it)",
      flag: "--connections",
      choices: connections.map((c) => ({ name: `${c.name} (${c.strategy})`, value: c.name, checked: false })),
    });
  }
  const domainLevel = connections.filter((c) => c.is_domain_connection).map((c) => c.name);
  const chosen = await ctx.prompter.checkbox({
    message: "Connections MCP clients may log users in with (promoted to domain level)",
    flag: "--connections",
    choices: connections.map((c) => ({
      name: `${c.name} (${c.strategy})${c.is_domain_connection ? " — already domain level" : ""}`,
      value: c.name,
      checked: c.is_domain_connection,
    })),
    validate: (ticked) =>
      ticked.length || domainLevel.length
        ? true
        : 'Tick at least one (space): MCP clients can log users in only through domain-level connections ("no connections enabled for the client").',
  });
  const unticked = domainLevel.filter((name) => !chosen.includes(name));
  if (unticked.length) ctx.logger.warn(staysDomainLevel(unticked, suggest(ctx, ["promote-connection", "--demote", ...unticked])));
  return chosen;
}

/**
 * The MCP clients the tenant should serve (catalogue names). Advertising CIMD changes what every
 * CIMD-capable client does, so when the answer turns CIMD on (or the tenant already advertises it)
 * and leaves some of them out, those are offered again, ticked: each would otherwise meet
 * "Unknown client" where DCR worked.
 */
export async function askClients(prompter: Prompter, cimdOn: boolean): Promise<string[]> {
  const chosen = await prompter.checkbox({
    message: "MCP clients your users connect with (CIMD ones are imported; the others register by DCR)",
    flag: "--clients",
    choices: CATALOGUE.map((c) => ({ name: `${c.title} — ${c.cimdUrl.value ? "CIMD" : "DCR"}`, value: c.name, checked: cimdOn && c.cimdUrl.value !== null })),
  });
  const advertised = cimdOn || chosen.some((name) => cimdClients().some((c) => c.name === name));
  const leftOut = cimdClients().filter((c) => !chosen.includes(c.name));
  if (!advertised || !leftOut.length) return chosen;
  const more = await prompter.checkbox({
    message: "With CIMD on, these clients present their metadata URL too, and Auth0 refuses it until imported. Import them as well?",
    flag: "--clients",
    choices: leftOut.map((c) => ({ name: c.title, value: c.name, checked: true })),
  });
  return [...chosen, ...more];
}

export function parseEmails(raw: string, flag?: string): string[] {
  const emails = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = emails.filter((e) => !isEmail(e));
  if (bad.length) throw new InputError(`${flag ? `${flag}: n` : "N"}ot an email address: ${bad.join(", ")}.`);
  return emails;
}

export interface RolesAnswer {
  file: string;
  roles: RoleDesired[];
  /** A quick role the person chose to keep as this file: written after apply. */
  save?: boolean;
}

const ROLES_FILE = "roles.yaml";

/** None, a roles file (read and checked against the scopes at once), or one role with every scope for some emails. */
export async function askRoles(ctx: Context, api: ApiAnswers): Promise<RolesAnswer | undefined> {
  const { prompter, deps } = ctx;
  const choice = await prompter.select<"none" | "file" | "quick">({
    message: "Roles (who gets which of the API's permissions)",
    flag: "--roles",
    default: "none",
    choices: [
      { name: "None for now", value: "none", description: "Tokens carry no permissions until you add roles (npx mcp-auth0 roles sync)." },
      { name: "From a roles file", value: "file", description: "YAML or JSON: roles: [{name, description, permissions, users}]" },
      { name: "One role with every scope, for these emails", value: "quick", description: "The wizard can keep it as roles.yaml for later edits." },
    ],
  });
  const scopes = api.scopes.map((s) => s.value);
  if (choice === "file") {
    return askParsed(prompter, { message: "Roles file (YAML or JSON; empty for none)", flag: "--roles" }, async (value): Promise<RolesAnswer | undefined> => {
      const file = value.trim();
      if (!file) return undefined;
      const roles = await loadRolesFile(resolvePath(deps.cwd, file));
      assertPermissionsAreScopes(roles, scopes, api.identifier, file);
      return { file, roles };
    });
  }
  if (choice === "none") return undefined;
  const users = await askParsed(prompter, { message: "Emails of the users who get it (comma-separated; empty for none yet)", flag: "--roles" }, (v) => parseEmails(v));
  const save =
    !existsSync(resolvePath(deps.cwd, ROLES_FILE)) &&
    (await prompter.confirm({ message: `Keep this role as ${ROLES_FILE} (to edit, then npx mcp-auth0 roles sync)?`, default: true }));
  return { ...quickRole(api, users), save };
}

/** One role with every scope of the API, held by `users`: the wizard's quick answer, and init --role-users. */
export function quickRole(api: ApiAnswers, users: string[]): RolesAnswer {
  const role: RoleDesired = {
    name: `${api.apiName ?? "MCP Server"} User`,
    description: `Can use every tool of ${api.apiName ?? "the MCP server"}`,
    permissions: api.scopes.map((s) => s.value),
    users,
  };
  return { file: ROLES_FILE, roles: [role] };
}

/** Writes a quick role as roles.yaml, after apply (nothing is written before the confirmation). */
export async function saveRolesFile(ctx: Context, roles: RolesAnswer | undefined): Promise<void> {
  if (!roles?.save) return;
  const { stringify } = await import("yaml");
  await writeFile(resolvePath(ctx.deps.cwd, roles.file), stringify({ roles: roles.roles }), { flag: "wx" });
  ctx.logger.success(`Saved ${roles.file}`);
}

/** Where the .env goes (checked writable at once) and, unless --template said, which preset. */
export async function askEnv(
  ctx: Context,
  mode: InitMode,
  given: { envPath?: string; template?: string; followSymlinks?: boolean },
  earlier: EarlierAnswers = {},
): Promise<{ envPath: string; template?: string }> {
  const { prompter, deps } = ctx;
  const envPath =
    given.envPath ??
    (await askParsed(prompter, { message: "Where to write the MCP server's .env", flag: "--env-path", default: ".env" }, async (value) => {
      if (!value.trim()) throw new InputError("Enter a path, e.g. .env.");
      await assertEnvPathWritable(resolvePath(deps.cwd, value.trim()), { followSymlinks: given.followSymlinks });
      return value.trim();
    }));
  if (given.template !== undefined || !prompter.interactive) return { envPath, template: given.template };
  // The On-Behalf-Of preset needs --downstream-api, which chooses it by itself.
  const presets = (await listTemplates()).filter((t) => t.mode === mode && !usesValue(t, "downstreamAudience"));
  if (presets.length < 2) return { envPath, template: presets[0]?.name };
  const template = await prompter.select({
    message: ".env preset (the variable names your MCP server's framework reads)",
    flag: "--template",
    default: presets.find((t) => t.name === earlier.template)?.name ?? (mode === "dcr" ? "auth0" : presets[0]!.name),
    choices: presets.map((t) => ({ name: `${t.name}${t.framework ? ` — ${t.framework}` : ""}`, value: t.name, description: Object.keys(t.variables).join(", ") })),
  });
  return { envPath, template };
}
