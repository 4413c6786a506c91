import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import type { InitMode } from "../input/proxy.js";
import type { RoleDesired } from "../input/roles-file.js";
import { readTenantSettings, type TenantSettings } from "./tenant-settings.js";
import { readCimdClients } from "./cimd-client.js";
import { readResourceServer, type ResourceServer } from "./resource-server.js";
import { readDefaultGrant, type ClientGrant } from "./client-grant.js";
import { readConnections, type Connection } from "./connections.js";
import { readDesiredRoles, readRoles, type RoleReads } from "./roles.js";
import { readApplications, type Application } from "./application.js";
import { readCustomApiClient, type CustomApiClient } from "./custom-api-client.js";
import { readDownstreamGrants } from "./downstream-grant.js";

/** What init reads before planning, each resource type once, concurrently. */
export interface TenantState {
  settings: TenantSettings;
  resourceServer: ResourceServer | undefined;
  defaultGrant: ClientGrant | undefined;
  connections: Connection[];
  roles: Management.Role[] | undefined;
  /** The desired roles' states and their users by email, read ahead when the desired roles were given. */
  roleReads?: RoleReads;
  /** The tenant's applications, read in proxy mode only (the proxy application is matched by name). */
  applications?: Application[];
  /** The imported CIMD clients (metadata URL → client id), read when CIMD clients are to be imported. */
  cimdClients?: Map<string, string>;
  /** On-Behalf-Of, read when downstream APIs are wanted: the Custom API client linked to the MCP server's API, */
  customApiClient?: CustomApiClient;
  /** each downstream API (undefined: it does not exist), by identifier, */
  downstreamApis?: Record<string, ResourceServer | undefined>;
  /** and the user-delegated grants for it, by identifier. */
  downstreamGrants?: Record<string, ClientGrant[] | undefined>;
}

export interface TenantStateWants {
  identifier: string;
  roles: boolean;
  /** The roles to plan, when known before reading: what they need is read in the same round as the rest. */
  desiredRoles?: RoleDesired[];
  mode?: InitMode;
  /** Also looks up the domain MCP clients use (`tenant.issuerDomain()`, read once) with the other reads. */
  issuerDomain?: boolean;
  /** The tenant settings, when already read (the wizard shows the tenant's name from them). */
  settings?: TenantSettings;
  /** Also reads the imported CIMD clients (init --clients, --cimd-client, teardown --remove-clients). */
  cimdClients?: boolean;
  /** A read of the caller's own to send with this round (init: what only its closing verdict checks). */
  alongside?: () => Promise<unknown>;
  /** On-Behalf-Of: the downstream APIs, and whether the .env needs the Custom API client's secret. */
  downstream?: { identifiers: string[]; secret: boolean };
}

export async function readTenantState(tenant: Tenant, wants: TenantStateWants): Promise<TenantState> {
  const proxy = wants.mode === "proxy";
  const desiredRoles = wants.roles && wants.desiredRoles?.length ? wants.desiredRoles : undefined;
  // Before the first answer the rate limiter lets only one Management API request go (the bucket's
  // size is unknown, SPEC §6): when the desired roles are known, that one is the role list, so the
  // reads that depend on it (permissions, members, users by email) go with the other reads instead
  // of a round after them. The issuer domain's lookup waits for the same reason: sent before, it
  // would be the probe.
  const knownRoles = desiredRoles ? await readRoles(tenant) : undefined;
  const downstream = wants.downstream?.identifiers.length ? wants.downstream : undefined;
  const [settings, resourceServer, defaultGrant, connections, roles, applications, roleReads, cimdClients, obo] = await Promise.all([
    wants.settings ?? readTenantSettings(tenant),
    readResourceServer(tenant, wants.identifier),
    // Proxy mode has no DCR clients, so no default third-party grant to read.
    proxy ? Promise.resolve(undefined) : readDefaultGrant(tenant, wants.identifier),
    readConnections(tenant),
    knownRoles ?? (wants.roles ? readRoles(tenant) : Promise.resolve(undefined)),
    proxy ? readApplications(tenant) : Promise.resolve(undefined),
    knownRoles && desiredRoles ? readDesiredRoles(tenant, knownRoles, desiredRoles, wants.identifier) : Promise.resolve(undefined),
    wants.cimdClients ? readCimdClients(tenant) : undefined,
    downstream ? readOnBehalfOf(tenant, wants.identifier, downstream) : undefined,
    wants.issuerDomain ? tenant.issuerDomain() : undefined,
    wants.alongside?.(),
  ]);
  return {
    settings,
    resourceServer,
    defaultGrant,
    connections,
    roles,
    ...(roleReads ? { roleReads } : {}),
    ...(applications ? { applications } : {}),
    ...(cimdClients ? { cimdClients } : {}),
    ...obo,
  };
}

/**
 * What the On-Behalf-Of setup needs, all in the first round: none of these calls waits for another
 * (the grants are asked by audience, not by the client's id).
 */
async function readOnBehalfOf(tenant: Tenant, identifier: string, downstream: { identifiers: string[]; secret: boolean }) {
  const byApi = <T>(read: (api: string) => Promise<T>) =>
    Promise.all(downstream.identifiers.map(async (api) => [api, await read(api)] as const)).then((entries) => Object.fromEntries(entries) as Record<string, T>);
  const [customApiClient, downstreamApis, downstreamGrants] = await Promise.all([
    readCustomApiClient(tenant, identifier, downstream.secret),
    byApi((api) => readResourceServer(tenant, api, "--downstream-api")),
    byApi((api) => readDownstreamGrants(tenant, api)),
  ]);
  return { ...(customApiClient ? { customApiClient } : {}), downstreamApis, downstreamGrants };
}
