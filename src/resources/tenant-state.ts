import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import type { InitMode } from "../input/proxy.js";
import { readTenantSettings, type TenantSettings } from "./tenant-settings.js";
import { readResourceServer, type ResourceServer } from "./resource-server.js";
import { readDefaultGrant, type ClientGrant } from "./client-grant.js";
import { readConnections, type Connection } from "./connections.js";
import { readRoles } from "./roles.js";
import { readApplications, type Application } from "./application.js";

/** What init reads before planning, each resource type once, concurrently. */
export interface TenantState {
  settings: TenantSettings;
  resourceServer: ResourceServer | undefined;
  defaultGrant: ClientGrant | undefined;
  connections: Connection[];
  roles: Management.Role[] | undefined;
  /** The tenant's applications, read in proxy mode only (the proxy application is matched by name). */
  applications?: Application[];
}

export async function readTenantState(tenant: Tenant, wants: { identifier: string; roles: boolean; mode?: InitMode }): Promise<TenantState> {
  const proxy = wants.mode === "proxy";
  const [settings, resourceServer, defaultGrant, connections, roles, applications] = await Promise.all([
    readTenantSettings(tenant),
    readResourceServer(tenant, wants.identifier),
    // Proxy mode has no DCR clients, so no default third-party grant to read.
    proxy ? Promise.resolve(undefined) : readDefaultGrant(tenant, wants.identifier),
    readConnections(tenant),
    wants.roles ? readRoles(tenant) : Promise.resolve(undefined),
    proxy ? readApplications(tenant) : Promise.resolve(undefined),
  ]);
  return { settings, resourceServer, defaultGrant, connections, roles, ...(applications ? { applications } : {}) };
}

