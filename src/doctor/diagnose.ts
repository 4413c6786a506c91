import { tenantUrls } from "../tenant/urls.js";
import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { readTenantState, type TenantState } from "../resources/tenant-state.js";
import { readRoleState } from "../resources/roles.js";
import { tenantChecks } from "./tenant-checks.js";
import { oauthMetadataChecks, readServer, serverChecks } from "./oauth-checks.js";
import type { Check } from "./check.js";
import { fixes } from "./fixes.js";
import { readUsageFacts, usageChecks } from "./tenant-usage-checks.js";
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
  /** Roles' permissions already known (init's roles); otherwise every role is read. `apiPermissions`: of the downstream APIs. */
  rolePermissions?: Array<{ role: string; permissions: string[]; apiPermissions?: Record<string, string[]> }>;
  /** On-Behalf-Of: the downstream APIs the MCP server calls on the user's behalf (their checks need read:clients). */
  downstream?: DownstreamExpectation[];
  /** The MCP server's .env: its path when not `.env`, and the domain it names (checked against the issuer). */
  envPath?: string;
  envDomain?: string;
  /** The preset that wrote the .env, for the `mcp-auth0 env` fix. */
  envTemplate?: string;
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

/** Read-only: every check an MCP client's journey depends on. */
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
  const rolePermissions =
    options.rolePermissions ??
    (state.roles &&
      (await readAllRolePermissions(
        tenant,
        state.roles,
        options.identifier,
        downstream.map((d) => d.identifier),
      )));
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
    rolesFile: options.rolesFile,
    rolesFileExists: options.rolesFileExists,
  };
  const fix = fixes(fixTarget);
  // The domain MCP clients use: a custom domain in front of the tenant, or the tenant's own.
  const issuer = (await tenant.issuerDomain()).domain;
  const [{ checks: metadata, discovery }, serverFacts, usage] = await Promise.all([
    oauthMetadataChecks(tenant.probe, issuer, dcr, fix.init()),
    options.serverUrl ? readServer(tenant.probe, options.serverUrl) : Promise.resolve(undefined),
    // init's closing verdict (state given) costs no read beyond init's own; doctor reads what only it checks.
    options.state || options.proxy ? Promise.resolve(undefined) : readUsageFacts(tenant),
  ]);
  const server = serverFacts
    ? serverChecks(serverFacts, options.identifier, options.envDomain ?? issuer, (identifier) => fixes({ ...fixTarget, identifier }).init("--server-url", options.serverUrl!))
    : [];
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

/** Each role's permissions of the MCP server's API and of the downstream APIs: one read per role. */
async function readAllRolePermissions(tenant: Tenant, roles: Management.Role[], identifier: string, downstream: string[]) {
  const apiPermissions = Object.fromEntries(downstream.map((api) => [api, []]));
  return Promise.all(
    roles.map(async (role) => {
      const state = await readRoleState(tenant, role, { name: role.name!, permissions: [], users: [], apiPermissions }, identifier);
      return { role: role.name!, permissions: state.permissions, apiPermissions: state.apiPermissions };
    }),
  );
}
