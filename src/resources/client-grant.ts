import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { fieldLines, plainHeadline, type BaseChange, type Handler } from "./handler.js";

export interface ClientGrantChange extends BaseChange {
  kind: "client-grant";
  id?: string;
  audience: string;
  body: Record<string, unknown>;
  scopes: string[];
}

export type ClientGrant = Management.ClientGrantResponseContent;

/**
 * Since April 2026 clients registered by DCR are strict third-party clients: without a default
 * grant for third-party clients they cannot get a token for the API at all (AUTH0-FACTS).
 */
export async function readDefaultGrant(tenant: Tenant, audience: string): Promise<ClientGrant | undefined> {
  const page = await tenant.client.clientGrants.list({ audience, default_for: "third_party_clients", take: 50 });
  for await (const grant of page) {
    if (grant.audience === audience && (grant as { default_for?: string }).default_for === "third_party_clients") return grant;
  }
  return undefined;
}

export function planDefaultGrant(current: ClientGrant | undefined, audience: string, scopes: string[]): { change: ClientGrantChange; warning?: string } {
  const label = "Default grant for DCR (third-party) clients";
  if (!current) {
    const body = { audience, default_for: "third_party_clients", subject_type: "user", scope: scopes };
    return {
      change: { kind: "client-grant", label, action: "create", audience, body, scopes, fields: Object.entries(body).map(([field, to]) => ({ field, from: undefined, to })) },
    };
  }
  const have = new Set(current.scope ?? []);
  const same = have.size === scopes.length && scopes.every((s) => have.has(s));
  const warning =
    current.subject_type && current.subject_type !== "user"
      ? `The default third-party grant for ${audience} has subject_type "${current.subject_type}"; DCR clients log users in and need "user". Delete grant ${current.id} and re-run.`
      : undefined;
  return {
    change: {
      kind: "client-grant",
      label,
      action: same ? "unchanged" : "update",
      id: current.id,
      audience,
      body: same ? {} : { scope: scopes },
      scopes,
      fields: same ? [] : [{ field: "scope", from: current.scope, to: scopes }],
    },
    warning,
  };
}

export const clientGrantHandler: Handler<ClientGrantChange> = {
  kind: "client-grant",
  order: 3,
  scopes: (change) => [change.action === "create" ? "create:client_grants" : "update:client_grants"],
  headline: plainHeadline,
  details: fieldLines,
  json: () => ({}),
  describe: (change) => `${change.action === "create" ? "Create" : "Update"} the default grant for DCR clients`,
  // Wave 2: the grant's audience is the API, which wave 1 creates.
  writes: (change) => [
    {
      wave: 2,
      send: async (tenant) => {
        const object =
          change.action === "create"
            ? await tenant.client.clientGrants.create(change.body as unknown as Management.CreateClientGrantRequestContent)
            : await tenant.client.clientGrants.update(change.id!, change.body as Management.UpdateClientGrantRequestContent);
        return { id: object.id ?? change.id, object };
      },
    },
  ],
  settle: (state, _change, written) => {
    if (written.object) (state as { defaultGrant?: ClientGrant }).defaultGrant = written.object as ClientGrant;
  },
  refresh: async (tenant, change) => planDefaultGrant(await readDefaultGrant(tenant, change.audience), change.audience, change.scopes).change,
};

/** Teardown: the default grant goes. */
export async function deleteClientGrant(tenant: Tenant, id: string): Promise<void> {
  await tenant.client.clientGrants.delete(id);
}
