import type { Tenant } from "../tenant/connect.js";
import { ignoreNotFound, type BaseChange, type Handler } from "./handler.js";
import { deleteResourceServer } from "./resource-server.js";
import { DEFAULT_AUDIENCE_CLAIM, readTenantSettings } from "./tenant-settings.js";
import { deleteClientGrant } from "./client-grant.js";
import { deleteRole } from "./roles.js";

/**
 * teardown: an API, a grant or a role to remove; a client only when mcp-auth0 made it for the file —
 * the Custom API client of the On-Behalf-Of exchange it created, or a CIMD import the user asks to
 * remove (--remove-clients) — never a client an MCP client registered.
 */
export interface DeleteChange extends BaseChange {
  kind: "delete";
  action: "delete";
  resource: "resource-server" | "client-grant" | "role" | "client";
  id: string;
  /** An API's identifier: the tenant's default audience must not go on naming it. */
  identifier?: string;
  /** The default audience names the API after all (an init set it meanwhile): it is cleared right before the API goes. */
  clearsDefaultAudience?: boolean;
}

/** Each resource's own teardown, and its wave: the API goes after the grant and roles that refer to it. */
const REMOVERS: Record<DeleteChange["resource"], { remove: (tenant: Tenant, id: string) => Promise<void>; wave: 3 | 4 }> = {
  "resource-server": { remove: deleteResourceServer, wave: 4 },
  "client-grant": { remove: deleteClientGrant, wave: 3 },
  role: { remove: deleteRole, wave: 3 },
  client: { remove: (tenant, id) => tenant.client.clients.delete(id), wave: 3 },
};

export const deletionHandler: Handler<DeleteChange> = {
  kind: "delete",
  // teardown: after the default audience stops naming the API, so no login ever names a deleted one.
  order: 7,
  // Deleting an API may clear the default audience that names it (see `claim`).
  scopes: (change) => [`delete:${change.resource.replace("-", "_")}s`, ...(change.identifier ? ["update:tenant_settings"] : [])],
  headline: (change) => change.label,
  details: () => [],
  describe: (change) => `Delete ${change.label}`,
  writes: (change) => {
    const { remove, wave } = REMOVERS[change.resource];
    return [
      {
        wave,
        send: async (tenant) => {
          if (change.clearsDefaultAudience) await tenant.client.tenants.settings.update({ default_audience: "" });
          await remove(tenant, change.id).catch(ignoreNotFound);
        },
      },
    ];
  },
  refresh: async (_tenant, change) => change,
  /**
   * A default audience naming a deleted API breaks every login of the tenant, and the plan's read
   * of it is seconds old when the API goes: an init running at the same time may have made the API
   * the default since (it holds the same lock while it does). So it is read again right before.
   */
  claim: {
    key: (change) => (change.identifier ? DEFAULT_AUDIENCE_CLAIM : undefined),
    recheck: async (tenant, change) => {
      const settings = await readTenantSettings(tenant);
      return { change: settings.default_audience === change.identifier ? { ...change, clearsDefaultAudience: true } : change };
    },
  },
};
