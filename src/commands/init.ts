import { z } from "zod";
import { InputError } from "../errors.js";
import type { Context } from "./context.js";
import { openTenant } from "./context.js";
import { parseApiName, parseIdentifier, parseList, parseScopes, type ScopeInput } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile } from "../input/roles-file.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { readTenantState, planInit, INIT_READ_SCOPES, INIT_WRITE_SCOPES } from "../plan/init-plan.js";
import { executePlan } from "../plan/execute.js";
import { diagnose } from "../doctor/diagnose.js";
import type { ApplicationChange, RoleDesired } from "../plan/plan.js";
import { assertEnvPathWritable } from "../env/dotenv.js";
import { originOf, proxyScope, usesValue } from "../env/templates.js";
import type { DefaultAudiencePolicy } from "../resources/tenant-settings.js";
import { DEFAULT_API_NAME } from "../resources/resource-server.js";
import { defaultAppName, parseAppName, parseMode } from "../input/proxy.js";
import { assertProxyOnlyFlags, gatherProxy, parseApiBaseUrl, templateForMode, type ProxyAnswers } from "./init-proxy.js";
import { planEnvFile, resolvePath } from "./env-file.js";
import { parseCimdClientUrl } from "../resources/cimd-client.js";
import { loadInitConfig, offerToSaveConfig, withConfig, type LoadedConfig } from "./init-config.js";

export const initOptionsSchema = z.object({
  apiIdentifier: z.string().optional(),
  apiName: z.string().optional(),
  scopes: z.string().optional(),
  connections: z.string().optional(),
  roles: z.string().optional(),
  serverUrl: z.string().optional(),
  envPath: z.string().optional(),
  /** Default: auth0 in DCR mode; proxy mode needs one of the proxy presets. `list` lists them. */
  template: z.string().optional(),
  defaultAudience: z.boolean().optional(),
  cimd: z.boolean().optional(),
  cimdClient: z.array(z.string()).optional(),
  mode: z.string().optional(),
  config: z.string().optional(),
  callbackUrl: z.array(z.string()).optional(),
  appName: z.string().optional(),
  apiBaseUrl: z.string().optional(),
});

export type InitOptions = z.infer<typeof initOptionsSchema>;

interface Answers {
  identifier: string;
  apiName?: string;
  scopes: ScopeInput[];
  serverUrl?: string;
  roles?: { file: string; roles: RoleDesired[] };
  envPath: string;
}

/** Asks (interactively) or takes (flags) the API's values, and validates every one before any request. */
async function gatherApi(options: InitOptions, ctx: Context, config?: LoadedConfig): Promise<Omit<Answers, "roles" | "envPath">> {
  const { prompter } = ctx;
  const serverUrl = options.serverUrl !== undefined ? parseIdentifier(options.serverUrl, "--server-url") : undefined;
  const identifier = parseIdentifier(
    options.apiIdentifier ??
      serverUrl ??
      (await prompter.input({ message: "API identifier (your MCP server's resource URL)", flag: "--api-identifier (or --server-url)", default: undefined, validate: validWith((v) => parseIdentifier(v)) })),
  );
  const apiName =
    options.apiName !== undefined
      ? parseApiName(options.apiName)
      : prompter.interactive && !config
        ? parseApiName(await prompter.input({ message: "API name", flag: "--api-name", default: "MCP Server" }))
        : undefined;
  const scopes =
    options.scopes === undefined && config
      ? config.desired.scopes
      : parseScopes(
          options.scopes ??
            (await prompter.input({ message: "Scopes (value=description, comma-separated)", flag: "--scopes", default: "tool:whoami=Read your identity", validate: validWith(parseScopes) })),
        );
  return { identifier, apiName, scopes, serverUrl };
}

function validWith(parse: (value: string) => unknown) {
  return (value: string) => {
    try {
      parse(value);
      return true as const;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

export async function runInit(raw: unknown, ctx: Context): Promise<number> {
  const flags = initOptionsSchema.parse(raw);
  if (flags.template === "list") return (await import("./templates.js")).runTemplates({}, ctx);
  const { prompter, deps } = ctx;
  // mcp-auth0.config.yaml (or --config) supplies every value a flag does not.
  const config = await loadInitConfig(ctx, flags.config);
  const options = config ? withConfig(flags, config) : flags;
  const mode = parseMode(options.mode ?? "dcr");
  assertProxyOnlyFlags(options, mode);
  const template = await templateForMode(options.template, mode);
  const apiBaseUrl = parseApiBaseUrl(options.apiBaseUrl);
  // --cimd-client implies --cimd: importing clients is pointless without advertising support.
  const cimdClients = [...new Set((options.cimdClient ?? []).map(parseCimdClientUrl))];
  let api!: Awaited<ReturnType<typeof gatherApi>>;
  let proxy: ProxyAnswers | undefined;
  // Flag values are validated before the first request; prompted ones as they are answered.
  const rolesFromFlag = options.roles
    ? { file: options.roles, roles: await loadRolesFile(resolvePath(deps.cwd, options.roles)) }
    : config?.desired.roles.length
      ? { file: config.file, roles: config.desired.roles }
      : undefined;
  const tenant = await openTenant(ctx, async () => {
    api = await gatherApi(options, ctx, config);
    if (mode === "proxy") proxy = await gatherProxy({ ...options, cimd: options.cimd || cimdClients.length > 0 }, ctx);
    if (options.envPath) await assertEnvPathWritable(resolvePath(deps.cwd, options.envPath));
    if (rolesFromFlag) assertPermissionsAreScopes(rolesFromFlag.roles, api.scopes.map((s) => s.value), api.identifier, rolesFromFlag.file);
  });
  if (api.identifier === `https://${tenant.domain}/api/v2/`) {
    throw new InputError("--api-identifier names the Auth0 Management API, a system API that cannot be changed.", "Use your MCP server's URL, e.g. https://mcp.example.com/mcp.");
  }

  const wantsRoles = rolesFromFlag !== undefined || (prompter.interactive && !config);
  const scopeOptions = { mode, clientSecret: usesValue(template, "clientSecret"), cimdClients: cimdClients.length > 0 };
  assertReadScopes(tenant.scopes, INIT_READ_SCOPES(wantsRoles, scopeOptions), INIT_WRITE_SCOPES(wantsRoles, scopeOptions));

  // The domain MCP clients use (a custom domain in front of the tenant, see tenant/domains.ts): its one read overlaps the state's.
  const issuer = tenant.issuerDomain();
  issuer.catch(() => undefined);
  const state = await readTenantState(tenant, { identifier: api.identifier, roles: wantsRoles, mode });
  const issuerDomain = await issuer;
  if (issuerDomain.note) ctx.logger.info(issuerDomain.note);

  const connectionNames =
    options.connections !== undefined
      ? parseList(options.connections)
      : prompter.interactive
        ? await prompter.checkbox(
            proxy
              ? {
                  message: "Connections the proxy application may log users in with (enabled for it)",
                  flag: "--connections",
                  choices: state.connections.map((c) => ({ name: `${c.name} (${c.strategy})`, value: c.name, checked: false })),
                }
              : {
                  message: "Connections MCP clients may log users in with (promoted to domain level)",
                  flag: "--connections",
                  choices: state.connections.map((c) => ({ name: `${c.name} (${c.strategy})${c.is_domain_connection ? " — already domain level" : ""}`, value: c.name, checked: c.is_domain_connection })),
                },
          )
        : [];

  let roles = rolesFromFlag;
  if (!roles && prompter.interactive && !config) {
    const file = await prompter.input({ message: "Roles file (YAML or JSON; leave empty for none)", flag: "--roles", default: "" });
    if (file.trim()) roles = { file: file.trim(), roles: await loadRolesFile(resolvePath(deps.cwd, file.trim())) };
  }
  const envPath = options.envPath ?? (await prompter.input({ message: "Where to write the MCP server's .env", flag: "--env-path", default: ".env" }));
  const envFilePath = resolvePath(deps.cwd, envPath);
  if (options.envPath === undefined) await assertEnvPathWritable(envFilePath);

  let policy: DefaultAudiencePolicy =
    options.defaultAudience === true ? "replace" : options.defaultAudience === false ? "never" : (config?.desired.defaultAudience ?? "auto");
  const otherAudience = state.settings.default_audience && state.settings.default_audience !== api.identifier ? state.settings.default_audience : undefined;
  if (policy === "auto" && otherAudience && prompter.interactive) {
    const replace = await prompter.confirm({
      message: `The tenant's default audience is ${otherAudience}. It applies to every application of the tenant. Replace it with ${api.identifier}?`,
      default: false,
    });
    if (replace) policy = "replace";
  }

  const plan = await planInit(tenant, state, {
    identifier: api.identifier,
    apiName: api.apiName,
    scopes: api.scopes,
    connections: connectionNames,
    roles: roles?.roles ?? [],
    rolesFile: roles?.file,
    defaultAudience: policy,
    cimd: (options.cimd ?? false) || cimdClients.length > 0,
    cimdClients,
    mode,
    ...(proxy
      ? { application: { name: proxy.appName ?? parseAppName(defaultAppName(api.apiName ?? state.resourceServer?.name ?? DEFAULT_API_NAME)), callbacks: proxy.callbacks } }
      : {}),
  });

  const application = plan.changes.find((c): c is ApplicationChange => c.kind === "application");
  const apiScopes = plan.changes.flatMap((c) => (c.kind === "resource-server" ? c.scopes : []));
  const values = {
    domain: issuerDomain.domain,
    audience: api.identifier,
    serverUrl: api.serverUrl,
    // An OAuth proxy serves its callback itself: without --server-url, its origin is the server's.
    baseUrl: api.serverUrl ? undefined : originOf(proxy?.callbacks[0]),
    apiBaseUrl,
    scope: proxyScope(apiScopes),
  };
  const envFile = await planEnvFile(tenant, template, values, { path: envPath, file: envFilePath }, application ? () => application.id : undefined);
  plan.env = envFile.change;
  plan.warnings.push(...envFile.warnings);

  const code = await executePlan(ctx, tenant, plan, {
    writeEnv: envFile.write,
    nextSteps: proxy
      ? [
          `Start your MCP server; it reads ${envPath} (the client id and secret of application ${application?.desired.name}, audience ${api.identifier}). Keep ${envPath} out of version control: it holds the client secret.`,
          `Connect MCP Inspector: npx @modelcontextprotocol/inspector, enter ${api.serverUrl ?? "your MCP server's URL"}, then Open Auth Settings → Quick OAuth Flow; your server's proxy logs you in through Auth0.`,
        ]
      : [
          `Start your MCP server; it reads ${envPath} (domain ${issuerDomain.domain}, audience ${api.identifier}).`,
          `Connect MCP Inspector: npx @modelcontextprotocol/inspector, enter ${api.serverUrl ?? api.identifier}, then Open Auth Settings → Quick OAuth Flow.`,
          "Check the whole setup at any time: mcp-auth0 doctor",
        ],
    // After a converged run the state read for the plan is the final state: no second read.
    // The doctor checks what DCR clients meet, so proxy mode has no verdict (yet).
    verdict: proxy
      ? undefined
      : async (applied) => {
          const after = applied ? await readTenantState(tenant, { identifier: api.identifier, roles: wantsRoles }) : state;
          const rolePermissions = plan.changes.flatMap((c) => (c.kind === "role" ? [{ role: c.desired.name, permissions: c.permissionsAfter }] : []));
          return diagnose(tenant, { identifier: api.identifier, connections: connectionNames, state: after, rolePermissions: roles ? rolePermissions : undefined });
        },
  });
  if (code === 0 && prompter.interactive && !config && !ctx.options.dryRun) {
    await offerToSaveConfig(ctx, {
      domain: tenant.domain,
      identifier: api.identifier,
      apiName: api.apiName,
      scopes: api.scopes,
      connections: connectionNames,
      roles: roles?.roles ?? [],
      serverUrl: api.serverUrl,
      envPath,
      template: template.name,
      mode,
    });
  }
  return code;
}
