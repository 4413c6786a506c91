import { tenantUrls } from "../tenant/urls.js";
import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { readTenantState, type TenantState } from "../resources/tenant-state.js";
import { readRoles, readRoleState, type RoleHolding } from "../resources/roles.js";
import { tenantChecks } from "./tenant-checks.js";
import { oauthMetadataChecks, readServer, serverChecks } from "./oauth-checks.js";
import { failed, type Check } from "./check.js";
import { fixes, type FixTarget } from "./fixes.js";
import { frameworkChecks } from "./framework-checks.js";
import type { EnvTemplate } from "../env/templates.js";
import { readUsageFacts, usageChecks, type UsageFacts } from "./tenant-usage-checks.js";
import { proxyChecks } from "./proxy-checks.js";
import { defaultAppName } from "../input/proxy.js";
import { DEFAULT_API_NAME } from "../resources/resource-server.js";
import { oboChecks, type DownstreamExpectation } from "./obo-checks.js";
import type { CatalogueClient } from "../clients/catalogue.js";
import { clientChecks } from "./client-checks.js";

export interface DiagnoseOptions {
  identifier: string;
  serverUrl?: string;
  connections?: string[];
  /** State already read (init after a converged run): saves every Management API read. */
  state?: TenantState;
  /** What init knows of its roles (their permissions of this API and of the downstream APIs once applied, and whether a user holds them); the tenant's other roles are read when these grant nothing. */
  rolePermissions?: RoleHolding[];
  /** Rules and applications, when already read (init reads them with its first round). */
  usage?: UsageFacts;
  /** The API was created by this run: no role outside init's plan can hold its permissions yet. */
  apiIsNew?: boolean;
  /** On-Behalf-Of: the downstream APIs the MCP server calls on the user's behalf (their checks need read:clients). */
  downstream?: DownstreamExpectation[];
  /** The MCP server's .env: its path when not `.env`, and the domain it names (checked against the issuer). */
  envPath?: string;
  envDomain?: string;
  /** The preset that wrote the .env, for the `mcp-auth0 env` fix. */
  envTemplate?: string;
  /** That preset, and the .env's directory: which framework version it serves (framework-checks.ts). */
  framework?: { template: EnvTemplate; dir: string };
  /** `mcp-auth0 <words>` as the user runs it here (the flags that chose this tenant appended). */
  command?: (words: string[]) => string;
  /** For the `roles sync` fix: the roles file, and whether it exists (relative to where the user runs it). */
  rolesFile?: string;
  rolesFileExists?: (file: string) => boolean;
  /** doctor --client: the catalogued MCP clients whose journey to check, each in a group of its own. */
  clients?: CatalogueClient[];
  /** Proxy mode (the .env of a proxy preset): the application's checks instead of what only DCR clients need. */
  proxy?: { template: string; clientId?: string; appName?: string; baseUrl?: string };
}

export const DOCTOR_SCOPES = ["read:tenant_settings", "read:resource_servers", "read:client_grants", "read:connections", "read:roles"];

/**
 * Read-only: every check an MCP client's journey depends on. doctor and init's closing verdict run
 * these same checks, so that both say the same of one tenant; init only saves the reads whose
 * answers its own run already has.
 */
export async function diagnose(tenant: Tenant, options: DiagnoseOptions): Promise<Check[]> {
  const downstream = options.downstream ?? [];
  const state =
    options.state ??
    (await readTenantState(tenant, {
      identifier: options.identifier,
      roles: true,
      mode: options.proxy ? "proxy" : "dcr",
      downstream: { identifiers: downstream.map((d) => d.identifier), secret: false },
    }));
  const rolePermissions = await roleHoldings(
    tenant,
    state.roles,
    options,
    downstream.map((d) => d.identifier),
  );
  const dcr = (state.settings.flags as Record<string, unknown> | undefined)?.enable_dynamic_client_registration === true;
  const scopes = (state.resourceServer?.scopes ?? []).map((s) => s.value!);
  // With no domain-level connection, init's fix promotes the database one: else its own verdict fails.
  const promote = state.connections.some((c) => c.is_domain_connection) ? undefined : (state.connections.find((c) => c.strategy === "auth0") ?? state.connections[0])?.name;
  const fixTarget = {
    identifier: options.identifier,
    scopes: (state.resourceServer?.scopes ?? []).map((s) => ({ value: s.value!, description: s.description })),
    promote,
    domain: tenant.domain,
    command: options.command,
    envPath: options.envPath,
    template: options.envTemplate,
    rolesFile: options.rolesFile,
    rolesFileExists: options.rolesFileExists,
  };
  const fix = fixes(fixTarget);
  // The domain MCP clients use: a custom domain in front of the tenant, or the tenant's own.
  const issuer = (await tenant.issuerDomain()).domain;
  const [{ checks: metadata, discovery }, serverFacts, usage] = await Promise.all([
    oauthMetadataChecks(tenant.probe, issuer, dcr, fix.init()),
    options.serverUrl ? readServer(tenant.probe, options.serverUrl) : Promise.resolve(undefined),
    // Rules and applications: each read needs an optional scope, and without it the check is a note, read or not.
    options.proxy ? Promise.resolve(undefined) : (options.usage ?? readUsageFacts(tenant)),
  ]);
  const server = serverFacts
    ? serverChecks(serverFacts, options.identifier, options.envDomain ?? issuer, (identifier) => fixes({ ...fixTarget, identifier }).init("--server-url", options.serverUrl!))
    : [];
  // A 401 and the right metadata say nothing of whether the server accepts the tenant's tokens
  // (a server that cannot fetch the JWKS refuses them all): only a login proves that.
  if (options.serverUrl && server.length && !failed(server)) {
    server.push({
      group: `MCP server ${options.serverUrl}`,
      title: "Accepts the tenant's tokens",
      status: "note",
      detail: `not checked: doctor logs no one in. This does what an MCP client does, up to a tool call: ${fix.command(["try", "--server-url", options.serverUrl])}`,
    });
  }
  const clients = usage && Array.isArray(usage.clients) ? usage.clients : undefined;
  const tenantSide = tenantChecks({ ...state, identifier: options.identifier, rolePermissions, expectedConnections: options.connections ?? [], fix, clients });
  const proxy = options.proxy;
  const checks = proxy
    ? [
        // The MCP server mediates the login: DCR, the default grant and domain-level connections do not apply.
        ...tenantSide.filter((c) => c.group.startsWith("API ") || c.group === "Roles" || c.title === "Default audience"),
        ...(await proxyChecks(tenant, {
          template: proxy.template,
          clientId: proxy.clientId,
          appName: proxy.appName ?? defaultAppName(state.resourceServer?.name ?? DEFAULT_API_NAME),
          identifier: options.identifier,
          scopes,
          baseUrl: proxy.baseUrl,
          connections: state.connections,
          command: fix.command,
          envPath: options.envPath,
          applications: state.applications,
        })),
        ...envChecks(options, issuer, fix),
        ...(await presetChecks(options, fixTarget)),
        ...metadata.filter((c) => c.title !== "Registration endpoint"),
        ...server,
      ]
    : [
        ...tenantSide,
        ...(downstream.length
          ? oboChecks({
              identifier: options.identifier,
              state,
              downstream,
              roleApiPermissions: rolePermissions?.map((r) => ({ role: r.role, apiPermissions: r.apiPermissions ?? {} })),
              fix,
            })
          : []),
        ...(usage ? usageChecks(usage, state.settings, fix) : []),
        ...envChecks(options, issuer, fix),
        ...(await presetChecks(options, fixTarget)),
        ...metadata,
        ...server,
        ...(options.clients?.length
          ? await clientChecks(tenant.probe, {
              clients: options.clients,
              state,
              applications: usage?.clients ?? { unreadable: "not read" },
              identifier: options.identifier,
              issuerDomain: issuer,
              discovery,
              server: serverFacts,
              fix,
            })
          : []),
      ];
  // A fix belongs to what needs one: in --json, a passing check that carries a fix reads as a problem.
  return checks.map(({ fix, ...check }) => (check.status === "pass" || fix === undefined ? check : { ...check, fix }));
}

/** The .env's domain is what the MCP server checks tokens' `iss` against: it must be the issuer MCP clients see. */
function envChecks(options: DiagnoseOptions, issuer: string, fix: ReturnType<typeof fixes>): Check[] {
  if (!options.envDomain) return [];
  const group = `.env ${options.envPath ?? ".env"}`;
  if (options.envDomain === issuer) return [{ group, title: "Domain", status: "pass", detail: `${issuer}, the issuer MCP clients see` }];
  return [
    {
      group,
      title: "Domain",
      status: "fail",
      detail: `${options.envDomain}, but MCP clients see the issuer ${tenantUrls(issuer).issuer}: the server rejects their tokens (iss) or points them at the wrong domain`,
      fix: fix.env(options.envTemplate ?? "auth0"),
    },
  ];
}

/** The framework version the .env's preset serves, with fixes that keep this run's tenant flags. */
function presetChecks(options: DiagnoseOptions, target: FixTarget): Promise<Check[]> {
  if (!options.framework) return Promise.resolve([]);
  return frameworkChecks({
    ...options.framework,
    audience: options.identifier,
    group: `.env ${options.envPath ?? ".env"}`,
    fix: {
      env: (template) => fixes({ ...target, template }).env(template),
      init: (template, identifier) => fixes({ ...target, identifier, template }).init(),
    },
  });
}

/**
 * Which roles grant this API's permissions (and the downstream APIs'), and whether any user holds
 * one: a tenant where no user can obtain any of the API's permissions gives every MCP client a
 * token that no tool accepts (RBAC: an empty permissions claim). What init knows is taken as it
 * is; the tenant's other roles are read only while the known ones grant nothing, and members only
 * while no holder is known to have one. Undefined (the checks are skipped) when the token cannot read roles.
 */
async function roleHoldings(tenant: Tenant, roles: Management.Role[] | undefined, options: DiagnoseOptions, downstream: string[]): Promise<RoleHolding[] | undefined> {
  const known = options.rolePermissions ?? [];
  const readOthers = !known.some((r) => r.permissions.length) && !options.apiIsNew;
  if (readOthers && tenant.scopes !== undefined && !tenant.scopes.includes("read:roles")) return undefined;
  const others = readOthers ? (roles ?? (await readRoles(tenant))).filter((r) => !known.some((k) => k.role === r.name)) : [];
  const apiPermissions = Object.fromEntries(downstream.map((api) => [api, []]));
  const holdings = [
    ...known,
    ...(await Promise.all(
      others.map(async (role): Promise<RoleHolding> => {
        const state = await readRoleState(tenant, role, { name: role.name!, permissions: [], users: [], apiPermissions }, options.identifier);
        return { role: role.name!, id: role.id, permissions: state.permissions, apiPermissions: state.apiPermissions };
      }),
    )),
  ];
  const holders = holdings.filter((r) => r.permissions.length);
  if (holders.some((r) => r.members === true)) return holdings;
  // One member is enough to know: the first page of one user per role.
  const withIds = holders.filter((r) => r.members === undefined && r.id !== undefined);
  const members = await Promise.all(withIds.map(async (r) => (await tenant.client.roles.users.list(r.id!, { take: 1 })).data.length > 0));
  return holdings.map((r) => {
    const i = withIds.indexOf(r);
    return i < 0 ? r : { ...r, members: members[i] };
  });
}
