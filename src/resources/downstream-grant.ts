import { eachItem } from "../tenant/paging.js";
import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { scopesUpdate, type ClientGrant } from "./client-grant.js";
import { readResourceServer } from "./resource-server.js";
import { fieldLines, plainHeadline, type BaseChange, type Handler, type Wave } from "./handler.js";

/**
 * The user-delegated grant between the MCP server's Custom API client and a downstream API (the
 * On-Behalf-Of page, "Create client grant": `{client_id, audience, scope, subject_type: "user"}`).
 * Without it the exchange is refused; with it, the exchanged token's scopes are the user's
 * permissions there intersected with the grant's scopes.
 */
export interface DownstreamGrantChange extends BaseChange {
  kind: "downstream-grant";
  /** The existing grant's id. */
  id?: string;
  /** The Custom API client's id when it exists; a client this run creates reports its id to the grant at apply. */
  clientId?: string;
  /** The MCP server's API the client is linked to: how a read-back finds the client. */
  apiIdentifier: string;
  audience: string;
  body: Record<string, unknown>;
  grantScopes: string[];
  /** After the client and the downstream API it names, when this run creates them (2 or 3); else 1. */
  wave: Wave;
}

/**
 * The user-delegated grants for a downstream API: one call per API that depends on nothing (the
 * client's id is not needed to ask), so they go with the first round of reads; the one of the Custom
 * API client is picked out once that client is known.
 */
export async function readDownstreamGrants(tenant: Tenant, audience: string): Promise<ClientGrant[]> {
  const grants: ClientGrant[] = [];
  for await (const grant of eachItem(tenant.client.clientGrants.list({ audience, subject_type: "user", take: 50 }))) {
    if (grant.audience === audience && grant.subject_type === "user" && grant.client_id) grants.push(grant);
  }
  return grants;
}

export function findDownstreamGrant(grants: ClientGrant[] | undefined, clientId: string | undefined): ClientGrant | undefined {
  return clientId ? grants?.find((g) => g.client_id === clientId) : undefined;
}

export interface DownstreamGrantDesired {
  apiIdentifier: string;
  audience: string;
  scopes: string[];
  clientId?: string;
  wave: Wave;
}

export function planDownstreamGrant(current: ClientGrant | undefined, desired: DownstreamGrantDesired): DownstreamGrantChange {
  const label = `Grant: Custom API client → ${desired.audience}`;
  const base = { kind: "downstream-grant" as const, label, apiIdentifier: desired.apiIdentifier, audience: desired.audience, grantScopes: desired.scopes, wave: desired.wave };
  if (!current) {
    const body = { audience: desired.audience, subject_type: "user", scope: desired.scopes };
    return {
      ...base,
      action: "create",
      clientId: desired.clientId,
      body,
      fields: Object.entries(body).map(([field, to]) => ({ field, from: undefined, to })),
    };
  }
  // Exactly the listed scopes: the grant is the MCP server's own, and it should ask for no more.
  return { ...base, clientId: current.client_id, ...scopesUpdate(current, desired.scopes) };
}

export const downstreamGrantHandler: Handler<DownstreamGrantChange> = {
  kind: "downstream-grant",
  order: 3.6,
  scopes: (change) => [change.action === "create" ? "create:client_grants" : "update:client_grants"],
  headline: plainHeadline,
  details: (change) => fieldLines({ ...change, fields: change.fields.filter((f) => f.field !== "audience") }),
  describe: (change) => `${change.action === "create" ? "Create" : "Update"} the grant of the Custom API client for ${change.audience}`,
  writes: (change) => [
    {
      wave: change.wave,
      send: async (tenant, _written, writtenBy) => {
        if (change.action !== "create")
          return { id: change.id, object: await tenant.client.clientGrants.update(change.id!, change.body as Management.UpdateClientGrantRequestContent) };
        const clientId = change.clientId ?? writtenBy("custom-api-client")?.id;
        if (!clientId) throw new Error(`The grant for ${change.audience} names the Custom API client, which has no id after apply.`);
        const object = await tenant.client.clientGrants.create({ ...change.body, client_id: clientId } as unknown as Management.CreateClientGrantRequestContent);
        return { id: object.id, object };
      },
    },
  ],
  settle: (state, change, written) => {
    if (!written.object) return;
    const s = state as { downstreamGrants?: Record<string, ClientGrant[] | undefined> };
    const others = (s.downstreamGrants?.[change.audience] ?? []).filter((g) => g.id !== written.id);
    s.downstreamGrants = { ...s.downstreamGrants, [change.audience]: [...others, written.object as ClientGrant] };
  },
  // A create whose answer was lost (or that met a 409) reads the grant back; the client is found
  // through the MCP server's API, which Auth0 answers with its linked client's id.
  refresh: async (tenant, change) => {
    const clientId = change.clientId ?? (await readResourceServer(tenant, change.apiIdentifier))?.client_id;
    const current = findDownstreamGrant(await readDownstreamGrants(tenant, change.audience), clientId);
    return planDownstreamGrant(current, { apiIdentifier: change.apiIdentifier, audience: change.audience, scopes: change.grantScopes, clientId, wave: change.wave });
  },
};
