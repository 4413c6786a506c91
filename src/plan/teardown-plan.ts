import type { TenantState } from "../resources/tenant-state.js";
import { planConnection } from "../resources/connections.js";
import { planDefaultAudience, planSettingsReset } from "../resources/tenant-settings.js";
import type { DeleteChange } from "../resources/deletion.js";
import { createdApiByMcpAuth0, createdByMcpAuth0 } from "../resources/custom-api-client.js";
import { findDownstreamGrant } from "../resources/downstream-grant.js";
import { isThirdPartyClient } from "../resources/application.js";
import { makePlan, type Change, type Plan } from "./plan.js";
import { cimdImports } from "./init-plan.js";

/** What teardown removes: what the config file names. */
export interface TeardownDesired {
  identifier: string;
  connections: string[];
  roles: Array<{ name: string }>;
  /** On-Behalf-Of: the downstream APIs of the file (their grants go; an API goes only if mcp-auth0 created it). */
  downstreamApis?: Array<{ identifier: string }>;
  /** The catalogue's clients the file names: their CIMD imports are kept unless --remove-clients. */
  clients?: string[];
}

const remove = (resource: DeleteChange["resource"], id: string, label: string): DeleteChange => ({ kind: "delete", action: "delete", resource, id, label, fields: [] });

/**
 * The teardown plan, from what was read: the API and its default grant, the roles the file lists,
 * the domain-level promotion of its connections, and with `resetTenantSettings` the settings init
 * turned on. Clients that MCP clients registered (`tpc_…`) are never in it; the CIMD clients init
 * imported for the file's `clients` only with `removeClients` (found by their URL in the imports
 * read into `state.cimdClients`), and otherwise the plan says they are kept.
 *
 * Domain level and the tenant settings are shared by every API of the tenant: when something else
 * still logs users in as a third-party client (`othersNeed`, from readThirdPartyUse), they stay, and
 * the plan says why on their lines. Demoting them would leave those clients on Auth0's error page.
 */
export function planTeardown(
  domain: string,
  state: TenantState,
  desired: TeardownDesired,
  options: { resetTenantSettings?: boolean; removeClients?: boolean; othersNeed?: string },
): Plan {
  const changes: Change[] = [];
  const warnings: string[] = [];
  const kept = options.othersNeed;
  const imports = cimdImports({ clients: desired.clients });
  if (options.removeClients) {
    for (const { url, client } of imports) {
      const id = state.cimdClients?.get(url);
      if (id) changes.push(remove("client", id, `CIMD client ${client?.title ?? url} (${url})`));
    }
  } else if (imports.length) {
    warnings.push(`Kept: the CIMD clients init imports for this file (${imports.map((i) => i.client?.title ?? i.url).join(", ")}); --remove-clients deletes them.`);
  }
  if (options.resetTenantSettings) {
    const reset = planSettingsReset(state.settings);
    changes.push(kept && reset.action === "update" ? { ...reset, action: "unchanged", fields: [], body: {}, kept } : reset);
  }
  for (const ref of desired.connections) {
    const connection = state.connections.find((c) => c.id === ref || c.name === ref);
    if (connection?.is_domain_connection) changes.push(kept ? { ...planConnection(connection, true), kept } : planConnection(connection, false));
  }
  // A default audience naming a deleted API would break every login of the tenant: cleared first.
  if (state.settings.default_audience === desired.identifier) changes.push(planDefaultAudience(state.settings, "", "replace").change!);
  const wanted = new Set(desired.roles.map((r) => r.name));
  for (const role of state.roles ?? []) if (wanted.has(role.name!)) changes.push(remove("role", role.id!, `Role ${role.name}`));
  if (state.defaultGrant?.id) changes.push(remove("client-grant", state.defaultGrant.id, "Default grant for DCR (third-party) clients"));
  changes.push(...teardownOnBehalfOf(state, desired.downstreamApis ?? []));
  if (state.resourceServer?.id && !state.resourceServer.is_system) {
    changes.push({ ...remove("resource-server", state.resourceServer.id, `API ${desired.identifier}`), identifier: desired.identifier });
  }
  return makePlan({ domain, changes, warnings });
}

/**
 * The On-Behalf-Of part: the Custom API client's grants for the file's downstream APIs; the client
 * itself and each downstream API only when mcp-auth0 created them, as the client's metadata records
 * (custom-api-client.ts). A downstream API that existed before init is the user's own: it stays,
 * whatever the file says, because nothing in the file can tell the two apart.
 */
function teardownOnBehalfOf(state: TenantState, downstream: Array<{ identifier: string }>): DeleteChange[] {
  if (!downstream.length) return [];
  // SPEC §2: a third-party client is never deleted, nor its grants, and what its metadata says is
  // not taken as mcp-auth0's record (init refuses to use such a client, so it made none of it).
  const client = state.customApiClient && !isThirdPartyClient(state.customApiClient) ? state.customApiClient : undefined;
  const changes: DeleteChange[] = [];
  for (const { identifier } of downstream) {
    const grant = findDownstreamGrant(state.downstreamGrants?.[identifier], client?.client_id);
    if (grant?.id) changes.push(remove("client-grant", grant.id, `Grant: Custom API client → ${identifier}`));
  }
  if (client && createdByMcpAuth0(client)) changes.push(remove("client", client.client_id, `Custom API client ${client.name ?? client.client_id}`));
  for (const { identifier } of downstream) {
    const api = state.downstreamApis?.[identifier];
    if (api?.id && !api.is_system && createdApiByMcpAuth0(client, identifier)) changes.push(remove("resource-server", api.id, `Downstream API ${identifier}`));
  }
  return changes;
}
