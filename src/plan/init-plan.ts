import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { planDefaultAudience, planTenantSettings, type DefaultAudiencePolicy } from "../resources/tenant-settings.js";
import { DEFAULT_API_NAME, planResourceServer, type ResourceServerChange } from "../resources/resource-server.js";
import { customApiClientName, OBO_PLANS_NOTE, planCustomApiClient } from "../resources/custom-api-client.js";
import { findDownstreamGrant, planDownstreamGrant } from "../resources/downstream-grant.js";
import type { DownstreamApiInput } from "../input/downstream.js";
import { planDefaultGrant } from "../resources/client-grant.js";
import { planConnection, resolveConnections } from "../resources/connections.js";
import { multipleUserWarnings, planRole, readDesiredRoles, type RoleChange, type RoleReads } from "../resources/roles.js";
import { planApplicationIn } from "../resources/application.js";
import { planCimdClient, readCimdClients } from "../resources/cimd-client.js";
import { cimdClients as catalogueCimdClients, findClient, unverifiedFacts, type CatalogueClient } from "../clients/catalogue.js";
import type { TenantState } from "../resources/tenant-state.js";
import { assertPermissionsAreScopes, assertRolesApisKnown, type RoleDesired } from "../input/roles-file.js";
import type { InitMode } from "../input/proxy.js";
import type { ScopeInput } from "../input/values.js";
import type { Change, PlanDraft } from "./plan.js";
import type { Wave } from "../resources/handler.js";

export interface ScopeOptions {
  mode?: InitMode;
  /** Proxy mode writes the application's client secret: reading it back needs `read:client_keys`. */
  clientSecret?: boolean;
  /** CIMD imports (--clients, --cimd-client): imported clients are read (`read:clients`) and the others registered (`create:clients`). */
  cimdClients?: boolean;
  /** --downstream-api: the Custom API client (read, created or updated) and its grants for the downstream APIs. */
  obo?: boolean;
}

export const INIT_READ_SCOPES = (roles: boolean, options: ScopeOptions = {}) => [
  "read:tenant_settings",
  "read:resource_servers",
  ...(options.mode === "proxy" ? ["read:clients", ...(options.clientSecret ? ["read:client_keys"] : [])] : ["read:client_grants"]),
  "read:connections",
  ...(roles ? ["read:roles", "read:users"] : []),
  ...(options.cimdClients || options.obo ? ["read:clients"] : []),
  ...(options.obo && options.clientSecret ? ["read:client_keys"] : []),
];

export const INIT_WRITE_SCOPES = (roles: boolean, options: ScopeOptions = {}) => [
  "update:tenant_settings",
  "create:resource_servers",
  "update:resource_servers",
  ...(options.mode === "proxy" ? ["create:clients", "update:clients"] : ["create:client_grants", "update:client_grants"]),
  "update:connections",
  ...(roles ? ["create:roles", "update:roles"] : []),
  ...(options.cimdClients ? ["create:clients"] : []),
  ...(options.obo ? ["create:clients", "update:clients"] : []),
];

export interface InitDesired {
  identifier: string;
  apiName?: string;
  scopes: ScopeInput[];
  connections: string[];
  roles: RoleDesired[];
  rolesFile?: string;
  prune?: boolean;
  defaultAudience: DefaultAudiencePolicy;
  cimd: boolean;
  /** --cimd-client: MCP clients' metadata URLs to import as CIMD clients. */
  cimdClients?: string[];
  /** --clients: the catalogue's MCP clients (names, validated) the tenant should serve: their CIMD URLs are imported. */
  clients?: string[];
  /** Default `dcr`. */
  mode?: InitMode;
  /** Proxy mode: the Regular Web Application (matched by name) and its callback URLs. */
  application?: { name: string; callbacks: string[] };
  /** --downstream-api: APIs the MCP server calls on the user's behalf (On-Behalf-Of token exchange). */
  downstreamApis?: DownstreamApiInput[];
}

/**
 * Plans the roles against the tenant's, from what `readDesiredRoles` read (ahead with the tenant's
 * state when given, otherwise now).
 */
export async function planRoles(
  tenant: Tenant,
  existing: Management.Role[],
  desired: RoleDesired[],
  identifier: string,
  prune: boolean,
  known?: RoleReads,
): Promise<{ changes: RoleChange[]; warnings: string[] }> {
  const reads = await readDesiredRoles(tenant, existing, desired, identifier, known);
  const changes = desired.map((d) => planRole(reads.states.get(d.name), d, identifier, reads.usersByEmail, prune));
  const unknown = [...new Set(changes.flatMap((c) => c.unknownEmails))];
  const warnings = unknown.length
    ? [`No user has the email ${unknown.join(", ")} yet: ${unknown.length > 1 ? "they get their roles" : "it gets its role"} on a later run, after signing up.`]
    : [];
  warnings.push(...multipleUserWarnings(reads.usersByEmail));
  return { changes, warnings };
}

/**
 * Computes the tenant's part of the init plan (init adds its .env before making the plan). Reads
 * only what it still needs (roles' permissions and users not read ahead with the state, the proxy
 * application's connections); never writes.
 *
 * Proxy mode keeps the API, roles and default audience of DCR mode and leaves out what only DCR
 * clients need: the tenant settings (DCR, resource parameter profile, `iss`, consent descriptions),
 * the default third-party grant and domain-level connections. It adds the Regular Web Application
 * and enables the chosen connections for it.
 */
export async function planInit(tenant: Tenant, state: TenantState, desired: InitDesired): Promise<PlanDraft> {
  const warnings: string[] = [];
  const changes: Change[] = [];
  const proxy = desired.mode === "proxy";
  if (!proxy) changes.push(planTenantSettings(state.settings, { cimd: desired.cimd || cimdImports(desired).length > 0 }));

  const api = planResourceServer(state.resourceServer, { identifier: desired.identifier, name: desired.apiName, scopes: desired.scopes });
  changes.push(api.change);
  if (api.warning) warnings.push(api.warning);

  if (proxy) {
    if (!desired.application) throw new Error("Proxy mode needs the application's name and callback URLs.");
    const connections = resolveConnections(state.connections, desired.connections).map((c) => ({ id: c.id, name: c.name }));
    const application = await planApplicationIn(tenant, state.applications ?? [], { ...desired.application, connections });
    changes.push(application);
    if (application.action === "create" && !connections.length) {
      warnings.push(`No connection is enabled for the new application ${desired.application.name}: nobody can log in through it yet. Choose some with --connections.`);
    }
  } else {
    const grant = planDefaultGrant(state.defaultGrant, desired.identifier, api.change.apiScopes);
    changes.push(grant.change);
    if (grant.warning) warnings.push(grant.warning);

    for (const connection of resolveConnections(state.connections, desired.connections)) changes.push(planConnection(connection));
    if (!desired.connections.length && !state.connections.some((c) => c.is_domain_connection)) {
      warnings.push('No connection is domain level: DCR clients cannot log anyone in ("no connections enabled for the client"). Choose some with --connections.');
    }
    const clients = await planMcpClients(tenant, state, desired);
    changes.push(...clients.changes);
    warnings.push(...clients.warnings);
  }

  const downstream = desired.downstreamApis?.length ? planOnBehalfOf(state, desired, api.change) : undefined;
  if (downstream) {
    changes.push(...downstream.changes);
    warnings.push(...downstream.warnings);
  }

  if (desired.roles.length) {
    const file = desired.rolesFile ?? "roles file";
    assertPermissionsAreScopes(desired.roles, api.change.apiScopes, desired.identifier, file);
    assertRolesApisKnown(
      desired.roles,
      (desired.downstreamApis ?? []).map((d) => d.identifier),
      file,
    );
    for (const d of downstream?.apis ?? []) assertPermissionsAreScopes(desired.roles, d.apiScopes, d.desired.identifier, file, true);
    const roles = await planRoles(tenant, state.roles ?? [], desired.roles, desired.identifier, desired.prune ?? false, state.roleReads);
    changes.push(...roles.changes);
    warnings.push(...roles.warnings);
  }

  const audience = planDefaultAudience(state.settings, desired.identifier, desired.defaultAudience, { apiExisted: api.change.action !== "create" });
  if (audience.change) changes.push(audience.change);
  if (audience.warning) warnings.push(audience.warning);

  return { domain: tenant.domain, changes, warnings };
}

/**
 * On-Behalf-Of (RFC 8693): each downstream API (created as Auth0's guide does when missing), the
 * Custom API client linked to the MCP server's API, and one user-delegated grant from that client
 * to each downstream API. Each waits only for what it names: the client for the MCP server's API
 * (when this run creates it), a grant for its client and its API (when this run creates them).
 */
function planOnBehalfOf(state: TenantState, desired: InitDesired, mcpApi: ResourceServerChange) {
  const warnings: string[] = [];
  const apis = (desired.downstreamApis ?? []).map((input) => {
    // A system API was refused where it was read (readResourceServer).
    const planned = planResourceServer(state.downstreamApis?.[input.identifier], { identifier: input.identifier, name: input.name, scopes: input.scopes ?? [], downstream: true });
    if (planned.warning) warnings.push(planned.warning);
    return { input, change: planned.change };
  });
  const client = planCustomApiClient(state.customApiClient, {
    apiIdentifier: desired.identifier,
    name: customApiClientName(desired.apiName ?? state.resourceServer?.name ?? DEFAULT_API_NAME),
    createdApis: apis.filter((a) => a.change.action === "create").map((a) => a.change.desired.identifier),
    apiCreated: mcpApi.action === "create",
  });
  if (client.action === "create") warnings.push(OBO_PLANS_NOTE);
  const clientWave = client.action === "create" ? (client.afterApi ? 2 : 1) : 0;
  const grants = apis.map(({ input, change }) =>
    planDownstreamGrant(findDownstreamGrant(state.downstreamGrants?.[input.identifier], state.customApiClient?.client_id), {
      apiIdentifier: desired.identifier,
      audience: input.identifier,
      scopes: input.scopes?.map((s) => s.value) ?? change.apiScopes,
      clientId: state.customApiClient?.client_id,
      wave: (1 + Math.max(clientWave, change.action === "create" ? 1 : 0)) as Wave,
    }),
  );
  return { changes: [...apis.map((a) => a.change), client, ...grants], apis: apis.map((a) => a.change), warnings };
}

/**
 * The metadata URLs init imports: the CIMD URLs of the catalogued clients named (--clients, the
 * config's `clients`) and those given with --cimd-client, each once, with the catalogued client
 * each one is. Importing any of them turns CIMD on: Auth0 imports only while the tenant advertises it.
 */
export function cimdImports(desired: Pick<InitDesired, "clients" | "cimdClients">): Array<{ url: string; client?: CatalogueClient }> {
  const named = (desired.clients ?? []).flatMap((name) => {
    const url = findClient(name)?.cimdUrl.value;
    return url ? [url] : [];
  });
  const catalogued = catalogueCimdClients();
  return [...new Set([...named, ...(desired.cimdClients ?? [])])].map((url) => ({ url, client: catalogued.find((c) => c.cimdUrl.value === url) }));
}

/**
 * The MCP clients' part of the plan: the CIMD imports, and what the plan must say about the rest.
 * Advertising CIMD changes what every CIMD-capable client does on the tenant: it presents its URL,
 * and Auth0 answers "Unknown client" for a URL that was never imported, where DCR worked before.
 * So the plan names the catalogued CIMD clients this run would leave out, says which catalogue
 * values it relies on are unverified, and what an import entails beyond itself.
 */
async function planMcpClients(tenant: Tenant, state: TenantState, desired: InitDesired): Promise<{ changes: Change[]; warnings: string[] }> {
  const imports = cimdImports(desired);
  if (!imports.length && !desired.cimd) return { changes: [], warnings: [] };
  const imported = imports.length ? (state.cimdClients ?? (await readCimdClients(tenant))) : undefined;
  const changes = imports.map(({ url, client }) => planCimdClient(imported!, url, client));
  const warnings: string[] = [];
  const named = (desired.clients ?? []).map((name) => findClient(name)!);
  const importing = new Set(imports.map((i) => i.url));
  const leftOut = catalogueCimdClients().filter((c) => !importing.has(c.cimdUrl.value) && !imported?.has(c.cimdUrl.value));
  if (leftOut.length) {
    const all = [...named.map((c) => c.name), ...leftOut.map((c) => c.name)];
    warnings.push(
      `Advertising Client ID Metadata Documents makes every CIMD-capable MCP client present its metadata URL on this tenant, and Auth0 accepts only imported ones: ${titles(leftOut)} would fail with "Unknown client" where DCR works${imported ? "" : ", unless already imported"}. Add them: --clients ${all.join(",")}`,
    );
  }
  const unsourced = leftOut.flatMap((c) => unverifiedFacts(c, ["cimdUrl", "cimdWhen"]).map((f) => `${c.name} ${f.key}`));
  if (unsourced.length) warnings.push(`That rests on catalogue values marked unverified: ${unsourced.join(", ")} (mcp-auth0 doctor --client <name> shows why).`);
  for (const client of named) {
    for (const f of unverifiedFacts(client, ["cimdUrl", "cimdWhen"])) warnings.push(`Unverified catalogue value used: ${client.name} ${f.key}: ${f.why}.`);
    if (client.importNote && client.cimdUrl.value) warnings.push(`${client.title}: ${client.importNote.value}.`);
  }
  const dcrOnly = named.filter((c) => !c.cimdUrl.value);
  if (dcrOnly.length) {
    warnings.push(
      `${titles(dcrOnly)} ${dcrOnly.length > 1 ? "have" : "has"} no metadata document: ${dcrOnly.length > 1 ? "they register" : "it registers"} by Dynamic Client Registration, which stays on (deprecated by the MCP spec of 2026-07-28, still their only way in).`,
    );
  }
  return { changes, warnings };
}

const titles = (clients: CatalogueClient[]) => clients.map((c) => c.title).join(", ");
