import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { InputError } from "../errors.js";
import type { ConnectionChange } from "../plan/plan.js";

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  is_domain_connection: boolean;
}

/** Every connection of the tenant, 100 per call (checkpoint paging). Only the fields we use are asked for. */
export async function readConnections(tenant: Tenant): Promise<Connection[]> {
  const page = await tenant.client.connections.list({ take: 100, fields: "id,name,strategy,is_domain_connection", include_fields: true });
  const all: Connection[] = [];
  for await (const c of page as AsyncIterable<Management.ConnectionForList>) {
    all.push({ id: c.id!, name: c.name!, strategy: c.strategy ?? "", is_domain_connection: c.is_domain_connection === true });
  }
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
    throw new InputError(
      `Unknown connection${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`,
      `Available: ${all.map((c) => `${c.name} (${c.id})`).join(", ") || "none"}.`,
    );
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

export async function applyConnection(tenant: Tenant, change: ConnectionChange): Promise<void> {
  // Only this field: sending `options` would replace the connection's whole options object.
  await tenant.client.connections.update(change.id, { is_domain_connection: change.domainLevel });
}

export async function refreshConnection(tenant: Tenant, change: ConnectionChange): Promise<ConnectionChange> {
  const c = await tenant.client.connections.get(change.id, { fields: "id,name,strategy,is_domain_connection", include_fields: true });
  return planConnection({ id: c.id!, name: c.name!, strategy: c.strategy ?? "", is_domain_connection: c.is_domain_connection === true }, change.domainLevel);
}
