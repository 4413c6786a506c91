import type { Tenant } from "../tenant/connect.js";
import { ignoreNotFound, type BaseChange, type Handler } from "./handler.js";
import { deleteResourceServer } from "./resource-server.js";
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
  scopes: (change) => [`delete:${change.resource.replace("-", "_")}s`],
  headline: (change) => change.label,
  details: () => [],
  describe: (change) => `Delete ${change.label}`,
  writes: (change) => {
    const { remove, wave } = REMOVERS[change.resource];
    return [
      {
        wave,
        send: async (tenant) => void (await remove(tenant, change.id).catch(ignoreNotFound)),
      },
    ];
  },
  refresh: async (_tenant, change) => change,
};
