import { z } from "zod";
import type { Context } from "./context.js";
import { openTenant } from "./context.js";
import { parseApiName, parseIdentifier, parseList, parseScopes, type ScopeInput } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile } from "../input/roles-file.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { readTenantState, planInit, INIT_READ_SCOPES, INIT_WRITE_SCOPES } from "../plan/init-plan.js";
import { executePlan } from "../plan/execute.js";
import { diagnose } from "../doctor/diagnose.js";
import type { RoleDesired } from "../plan/plan.js";
import { assertEnvPathWritable, writeEnvFile } from "../env/dotenv.js";
import { envEntries, loadTemplate } from "../env/templates.js";
import type { DefaultAudiencePolicy } from "../resources/tenant-settings.js";

export const initOptionsSchema = z.object({
  apiIdentifier: z.string().optional(),
  apiName: z.string().optional(),
  scopes: z.string().optional(),
  connections: z.string().optional(),
  roles: z.string().optional(),
  serverUrl: z.string().optional(),
  envPath: z.string().optional(),
  template: z.string().default("auth0"),
  defaultAudience: z.boolean().optional(),
  cimd: z.boolean().default(false),
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
async function gatherApi(options: InitOptions, ctx: Context): Promise<Omit<Answers, "roles" | "envPath">> {
  const { prompter } = ctx;
  const serverUrl = options.serverUrl !== undefined ? parseIdentifier(options.serverUrl, "--server-url") : undefined;
  const identifier = parseIdentifier(
    options.apiIdentifier ??
      serverUrl ??
      (await prompter.input({ message: "API identifier (your MCP server's resource URL)", flag: "--api-identifier (or --server-url)", default: undefined, validate: validWith((v) => parseIdentifier(v)) })),
  );
  const apiName = options.apiName !== undefined ? parseApiName(options.apiName) : prompter.interactive ? parseApiName(await prompter.input({ message: "API name", flag: "--api-name", default: "MCP Server" })) : undefined;
  const scopes = parseScopes(
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
  const options = initOptionsSchema.parse(raw);
  const { prompter, deps } = ctx;
  const template = await loadTemplate(options.template);
  let api!: Awaited<ReturnType<typeof gatherApi>>;
  // Flag values are validated before the first request; prompted ones as they are answered.
  const rolesFromFlag = options.roles ? { file: options.roles, roles: await loadRolesFile(options.roles) } : undefined;
  const tenant = await openTenant(ctx, async () => {
    api = await gatherApi(options, ctx);
    if (options.envPath) await assertEnvPathWritable(resolvePath(deps.cwd, options.envPath));
    if (rolesFromFlag) assertPermissionsAreScopes(rolesFromFlag.roles, api.scopes.map((s) => s.value), api.identifier, rolesFromFlag.file);
  });
  if (api.identifier === `https://${tenant.domain}/api/v2/`) {
    const { InputError } = await import("../errors.js");
    throw new InputError("--api-identifier names the Auth0 Management API, a system API that cannot be changed.", "Use your MCP server's URL, e.g. https://mcp.example.com/mcp.");
  }

  const wantsRoles = options.roles !== undefined || prompter.interactive;
  assertReadScopes(tenant.scopes, INIT_READ_SCOPES(wantsRoles), INIT_WRITE_SCOPES(wantsRoles));

  const state = await readTenantState(tenant, { identifier: api.identifier, roles: wantsRoles });

  const connectionNames =
    options.connections !== undefined
      ? parseList(options.connections)
      : prompter.interactive
        ? await prompter.checkbox({
            message: "Connections MCP clients may log users in with (promoted to domain level)",
            flag: "--connections",
            choices: state.connections.map((c) => ({ name: `${c.name} (${c.strategy})${c.is_domain_connection ? " — already domain level" : ""}`, value: c.name, checked: c.is_domain_connection })),
          })
        : [];

  let roles = rolesFromFlag;
  if (!roles && prompter.interactive) {
    const file = await prompter.input({ message: "Roles file (YAML or JSON; leave empty for none)", flag: "--roles", default: "" });
    if (file.trim()) roles = { file: file.trim(), roles: await loadRolesFile(resolvePath(deps.cwd, file.trim())) };
  }
  const envPath = options.envPath ?? (await prompter.input({ message: "Where to write the MCP server's .env", flag: "--env-path", default: ".env" }));
  const envFile = resolvePath(deps.cwd, envPath);
  await assertEnvPathWritable(envFile);

  let policy: DefaultAudiencePolicy = options.defaultAudience === true ? "replace" : options.defaultAudience === false ? "never" : "auto";
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
    cimd: options.cimd,
  });

  const values = { domain: tenant.domain, audience: api.identifier, serverUrl: api.serverUrl };
  const entries = envEntries(template, values);
  const envPreview = await writeEnvFile(envFile, entries, { dryRun: true });
  plan.env = {
    path: envPath,
    template: template.name,
    action: envPreview.created ? "create" : envPreview.unchanged ? "unchanged" : "update",
    set: [...envPreview.added, ...envPreview.changed],
  };

  return executePlan(ctx, tenant, plan, {
    writeEnv: () => writeEnvFile(envFile, entries),
    nextSteps: [
      `Start your MCP server; it reads ${envPath} (domain ${tenant.domain}, audience ${api.identifier}).`,
      `Connect MCP Inspector: npx @modelcontextprotocol/inspector, enter ${api.serverUrl ?? api.identifier}, then Open Auth Settings → Quick OAuth Flow.`,
      "Check the whole setup at any time: mcp-auth0 doctor",
    ],
    // After a converged run the state read for the plan is the final state: no second read.
    verdict: async (applied) => {
      const after = applied ? await readTenantState(tenant, { identifier: api.identifier, roles: wantsRoles }) : state;
      const rolePermissions = plan.changes.flatMap((c) => (c.kind === "role" ? [{ role: c.desired.name, permissions: c.permissionsAfter }] : []));
      return diagnose(tenant, { identifier: api.identifier, connections: connectionNames, state: after, rolePermissions: roles ? rolePermissions : undefined });
    },
  });
}

function resolvePath(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

