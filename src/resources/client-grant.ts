import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { fieldLines, ignoreNotFound, plainHeadline, type BaseChange, type Handler } from "./handler.js";

/**
 * A client grant: the default grant for DCR (third-party) clients to the MCP server's API, or the
 * grant of one application (`application`) to an API — the machine-to-machine application of
 * `credentials create` to the Management API.
 */
export interface ClientGrantChange extends BaseChange {
  kind: "client-grant";
  id?: string;
  audience: string;
  /** The name of the application (the plan's application change) whose grant this is. */
  application?: string;
  /** Its client id, when the application exists already; otherwise apply's creation of it tells. */
  clientId?: string;
  body: Record<string, unknown>;
  /** The API scopes the grant gives (what `body.scope` sends, also when unchanged). */
  grantScopes: string[];
  /** A create that first deletes this grant (one whose subject_type PATCH cannot change), and why. */
  replaces?: { id: string; why: string };
}

export type ClientGrant = Management.ClientGrantResponseContent;

/**
 * Since April 2026 clients registered by DCR are strict third-party clients: without a default
 * grant for third-party clients they cannot get a token for the API at all (AUTH0-FACTS).
 */
export async function readDefaultGrant(tenant: Tenant, audience: string): Promise<ClientGrant | undefined> {
  for await (const grant of eachItem(tenant.client.clientGrants.list({ audience, default_for: "third_party_clients", take: 50 }))) {
    if (grant.audience === audience && (grant as { default_for?: string }).default_for === "third_party_clients") return grant;
  }
  return undefined;
}

const LABEL = "Default grant for DCR (third-party) clients";

function createGrant(audience: string, scopes: string[]): ClientGrantChange {
  const body = { audience, default_for: "third_party_clients", subject_type: "user", scope: scopes };
  return {
    kind: "client-grant",
    label: LABEL,
    action: "create",
    audience,
    body,
    grantScopes: scopes,
    fields: Object.entries(body).map(([field, to]) => ({ field, from: undefined, to })),
  };
}

export function planDefaultGrant(current: ClientGrant | undefined, audience: string, scopes: string[]): { change: ClientGrantChange; warning?: string } {
  if (!current) return { change: createGrant(audience, scopes) };
  // A grant with subject_type "client" (what Auth0 stores when the field is omitted, e.g. by hand or
  // by another tool) covers client-credentials only: DCR clients, which log users in, get no token.
  // subject_type cannot be changed by PATCH, so the grant is deleted and created again.
  if (current.subject_type !== "user") {
    const subjectType = current.subject_type ?? "client";
    const change = createGrant(audience, scopes);
    change.replaces = { id: current.id!, why: `its subject_type is "${subjectType}", which covers no user login by DCR clients, and Auth0 cannot change subject_type by PATCH` };
    change.fields.unshift({ field: "subject_type", from: subjectType, to: "user" });
    return {
      change,
      warning: `The default third-party grant ${current.id} for ${audience} has subject_type "${subjectType}": DCR clients cannot get a token for the API until it is replaced by one with "user" (deleted, then created; the plan shows it).`,
    };
  }
  return { change: { kind: "client-grant", label: LABEL, audience, grantScopes: scopes, ...scopesUpdate(current, scopes) } };
}

/**
 * An existing grant given exactly `wanted` (the order of scopes carries no meaning): unchanged, or a
 * PATCH of `scope` alone. Every grant mcp-auth0 manages (the default one, an application's, a
 * downstream one) is planned with it.
 */
export function scopesUpdate(current: ClientGrant, wanted: string[]): Pick<ClientGrantChange, "action" | "id" | "body" | "fields"> {
  const have = new Set(current.scope ?? []);
  const same = have.size === wanted.length && wanted.every((s) => have.has(s));
  return same
    ? { action: "unchanged", id: current.id, body: {}, fields: [] }
    : { action: "update", id: current.id, body: { scope: wanted }, fields: [{ field: "scope", from: current.scope, to: wanted }] };
}

/** The grant of one application for `audience`, if it has one. */
export async function readApplicationGrant(tenant: Tenant, clientId: string, audience: string): Promise<ClientGrant | undefined> {
  for await (const grant of eachItem(tenant.client.clientGrants.list({ client_id: clientId, audience, take: 50 }))) {
    if (grant.client_id === clientId && grant.audience === audience) return grant;
  }
  return undefined;
}

/** An application's grant of exactly `scopes`: a grant holding more is narrowed, so the application never keeps what it does not need. */
export function planApplicationGrant(
  current: ClientGrant | undefined,
  audience: string,
  scopes: string[],
  application: { name: string; clientId?: string; grantLabel: string },
): ClientGrantChange {
  const wanted = [...scopes].sort();
  const base = {
    kind: "client-grant" as const,
    label: application.grantLabel,
    audience,
    application: application.name,
    ...(application.clientId ? { clientId: application.clientId } : {}),
    grantScopes: wanted,
  };
  if (!current) {
    // client_id is added when the grant is created: the application may be created in the same apply.
    return { ...base, action: "create", body: { audience, subject_type: "client", scope: wanted }, fields: [{ field: "scope", from: undefined, to: wanted }] };
  }
  // Sorted on both sides of the plan's line, as `wanted` is.
  return { ...base, ...scopesUpdate({ ...current, scope: [...(current.scope ?? [])].sort() }, wanted) };
}

/**
 * Creates an application's grant, its client id known now, or sets its scopes. A 409 (a grant for
 * this application and audience exists already: an earlier attempt whose answer was lost, or
 * another run that adopted the same application) turns the create into setting its scopes, so a
 * retry or a race never leaves the application with two grants.
 */
async function sendApplicationGrant(tenant: Tenant, change: ClientGrantChange, clientId: string | undefined): Promise<{ id?: string; object: ClientGrant }> {
  if (!clientId) throw new Error(`${change.label}: the application has no client id after apply.`);
  let id = change.id;
  if (change.action === "create") {
    try {
      const object = await tenant.client.clientGrants.create({ ...change.body, client_id: clientId } as unknown as Management.CreateClientGrantRequestContent);
      return { id: object.id, object };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      id = (await readApplicationGrant(tenant, clientId, change.audience))?.id;
      if (!id) throw error;
    }
  }
  return { id, object: await tenant.client.clientGrants.update(id!, { scope: change.grantScopes }) };
}

export const clientGrantHandler: Handler<ClientGrantChange> = {
  kind: "client-grant",
  order: 3,
  scopes: (change) => [...(change.replaces ? ["delete:client_grants"] : []), change.action === "create" ? "create:client_grants" : "update:client_grants"],
  headline: (change) => (change.replaces ? `${change.label}: replace (delete + create)` : plainHeadline(change)),
  details: (change) =>
    change.replaces
      ? [
          `delete grant ${change.replaces.id}, then create it again: ${change.replaces.why}`,
          ...fieldLines({ ...change, fields: change.fields.filter((f) => f.field !== "subject_type") }),
        ]
      : fieldLines(change),
  describe: (change) =>
    change.application
      ? `${change.action === "create" ? "Grant" : "Narrow or widen"} its scopes for ${change.audience}`
      : `${change.replaces ? "Replace" : change.action === "create" ? "Create" : "Update"} the default grant for DCR clients`,
  // Wave 2: the grant's audience is the API, and its application the client, which wave 1 creates.
  writes: (change) => [
    {
      wave: 2,
      send: async (tenant, _written, writtenBy) => {
        if (change.application) return sendApplicationGrant(tenant, change, change.clientId ?? writtenBy("application")?.id);
        // Already gone (an earlier attempt whose answer was lost): the create below is what is left.
        if (change.replaces) await tenant.client.clientGrants.delete(change.replaces.id).catch(ignoreNotFound);
        const object =
          change.action === "create"
            ? await tenant.client.clientGrants.create(change.body as unknown as Management.CreateClientGrantRequestContent)
            : await tenant.client.clientGrants.update(change.id!, change.body as Management.UpdateClientGrantRequestContent);
        return { id: object.id ?? change.id, object };
      },
    },
  ],
  settle: (state, change, written) => {
    if (written.object && !change.application) (state as { defaultGrant?: ClientGrant }).defaultGrant = written.object as ClientGrant;
  },
  // An application's grant is sent again as it is: its send turns a create that meets the grant into setting its scopes.
  refresh: async (tenant, change) => (change.application ? change : planDefaultGrant(await readDefaultGrant(tenant, change.audience), change.audience, change.grantScopes).change),
};

/** Teardown: the default grant goes. */
export async function deleteClientGrant(tenant: Tenant, id: string): Promise<void> {
  await tenant.client.clientGrants.delete(id);
}
