import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { InputError } from "../errors.js";
import type { BaseChange, Handler } from "./handler.js";

export interface ConnectionChange extends BaseChange {
  kind: "connection";
  id: string;
  name: string;
  strategy: string;
  domainLevel: boolean;
}

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  is_domain_connection: boolean;
}

const FIELDS = "id,name,strategy,is_domain_connection";
const toConnection = (c: Management.ConnectionForList | Management.GetConnectionResponseContent): Connection => ({
  id: c.id!,
  name: c.name!,
  strategy: c.strategy ?? "",
  is_domain_connection: c.is_domain_connection === true,
});

/** Every connection of the tenant, 100 per call (checkpoint paging). Only the fields we use are asked for. */
export async function readConnections(tenant: Tenant): Promise<Connection[]> {
  const all: Connection[] = [];
  for await (const c of eachItem(tenant.client.connections.list({ take: 100, fields: FIELDS, include_fields: true }))) all.push(toConnection(c));
  return all;
}

/** Finds each requested connection by name or id; any unknown one is an input error listing the available. */
export function resolveConnections(all: Connection[], requested: string[]): Connection[] {
  const found: Connection[] = [];
  const unknown: string[] = [];
  for (const ref of requested) {
    const match = all.find((c) => c.id === ref) ?? all.find((c) => c.name === ref);
    if (match) {
      if (!found.includes(match)) found.push(match);
    } else unknown.push(ref);
  }
  if (unknown.length) {
    throw new InputError(`Unknown connection${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`, `Available: ${all.map((c) => `${c.name} (${c.id})`).join(", ") || "none"}.`);
  }
  return found;
}

/**
 * DCR clients are third-party clients: they can only log users in through domain-level
 * connections, otherwise Auth0 answers "no connections enabled for the client".
 */
export function planConnection(connection: Connection, domainLevel = true): ConnectionChange {
  const same = connection.is_domain_connection === domainLevel;
  return {
    kind: "connection",
    label: `Connection ${connection.name}`,
    action: same ? "unchanged" : "update",
    id: connection.id,
    name: connection.name,
    strategy: connection.strategy,
    domainLevel,
    fields: same ? [] : [{ field: "is_domain_connection", from: connection.is_domain_connection, to: domainLevel }],
  };
}

export const connectionHandler: Handler<ConnectionChange> = {
  kind: "connection",
  order: 4,
  scopes: () => ["update:connections"],
  headline: (change) => {
    const state =
      change.action === "unchanged"
        ? `already ${change.domainLevel ? "domain level" : "not domain level"}`
        : change.domainLevel
          ? "promote to domain level"
          : "demote from domain level";
    return `${change.label} (${change.strategy}): ${state}`;
  },
  details: () => [],
  describe: (change) => `${change.domainLevel ? "Promote" : "Demote"} connection ${change.name} ${change.domainLevel ? "to" : "from"} domain level`,
  writes: (change) => [
    {
      wave: 1,
      // Only this field: sending `options` would replace the connection's whole options object.
      send: async (tenant) => ({ id: change.id, object: await tenant.client.connections.update(change.id, { is_domain_connection: change.domainLevel }) }),
    },
  ],
  settle: (state, change) => {
    const s = state as { connections?: Connection[] };
    s.connections = s.connections?.map((c) => (c.id === change.id ? { ...c, is_domain_connection: change.domainLevel } : c));
  },
  refresh: async (tenant, change) => planConnection(toConnection(await tenant.client.connections.get(change.id, { fields: FIELDS, include_fields: true })), change.domainLevel),
};
