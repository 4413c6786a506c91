import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { InputError } from "../errors.js";
import type { FieldChange } from "./handler.js";
import type { ClientGrantChange } from "./client-grant.js";
import { isThirdPartyClient, readApplications, type Application, type ApplicationChange } from "./application.js";

/**
 * The machine-to-machine application mcp-auth0 itself runs as, and its client grant for the
 * Management API: `credentials create` makes both, matched by name, so a second run changes
 * nothing and a changed set of commands only changes the grant's scopes.
 */
const M2M_APP_TYPE = "non_interactive";
const CLIENT_CREDENTIALS = "client_credentials";

export interface M2MState {
  application: Application | undefined;
  grant: Management.ClientGrantResponseContent | undefined;
}

/** The one non-interactive application named `name`; any other match is an input error raised before a write. */
function findM2MApplication(all: Application[], name: string): Application | undefined {
  const named = all.filter((a) => a.name === name);
  if (!named.length) return undefined;
  const ids = named.map((a) => a.client_id).join(", ");
  if (named.some(isThirdPartyClient)) {
    throw new InputError(`"${name}" is the name of a client an MCP client registered itself by DCR (${ids}); mcp-auth0 never changes those.`, "Choose another name with --name.");
  }
  if (named.length > 1)
    throw new InputError(`${named.length} applications are named "${name}" (${ids}): mcp-auth0 cannot tell which one to use.`, "Choose another name with --name.");
  const app = named[0]!;
  if (app.app_type !== M2M_APP_TYPE) {
    throw new InputError(
      `Application "${name}" (${app.client_id}) is a ${app.app_type ?? "generic"} application, not a machine-to-machine one.`,
      "Choose another name with --name: mcp-auth0 then creates a machine-to-machine application.",
    );
  }
  return app;
}

/** The application's grant for `audience` (the Management API), if it has one. */
async function readManagementGrant(tenant: Tenant, clientId: string, audience: string): Promise<Management.ClientGrantResponseContent | undefined> {
  for await (const grant of eachItem(tenant.client.clientGrants.list({ client_id: clientId, audience, take: 50 }))) {
    if (grant.client_id === clientId && grant.audience === audience) return grant;
  }
  return undefined;
}

export async function readM2MState(tenant: Tenant, name: string, audience: string): Promise<M2MState> {
  const application = findM2MApplication(await readApplications(tenant), name);
  const grant = application ? await readManagementGrant(tenant, application.client_id, audience) : undefined;
  return { application, grant };
}

export function planM2MApplication(current: Application | undefined, name: string): ApplicationChange {
  const desired = { name, callbacks: [], connections: [] };
  const label = `Machine-to-machine application ${name}`;
  if (!current) {
    const body = { name, app_type: M2M_APP_TYPE, grant_types: [CLIENT_CREDENTIALS] };
    const fields: FieldChange[] = Object.entries(body).map(([field, to]) => ({ field, from: undefined, to }));
    return { kind: "application", label, action: "create", fields, name, desired, body, enableConnections: [] };
  }
  // Without the client-credentials grant the application cannot get a Management API token at all.
  const lacksGrantType = !current.grant_types.includes(CLIENT_CREDENTIALS);
  const grantTypes = [...current.grant_types, CLIENT_CREDENTIALS];
  return {
    kind: "application",
    label,
    action: lacksGrantType ? "update" : "unchanged",
    id: current.client_id,
    fields: lacksGrantType ? [{ field: "grant_types", from: current.grant_types, to: grantTypes }] : [],
    name,
    desired,
    body: lacksGrantType ? { grant_types: grantTypes } : {},
    enableConnections: [],
  };
}

/** Exactly `scopes`: a grant holding more is narrowed, so the application never keeps what no command needs. */
export function planManagementGrant(current: Management.ClientGrantResponseContent | undefined, audience: string, scopes: string[]): ClientGrantChange {
  const label = "Its grant for the Auth0 Management API";
  const wanted = [...scopes].sort();
  if (!current) {
    // client_id is known only once the application exists: applyM2M adds it.
    const body = { audience, subject_type: "client", scope: wanted };
    return { kind: "client-grant", label, action: "create", audience, body, grantScopes: wanted, fields: [{ field: "scope", from: undefined, to: wanted }] };
  }
  const have = [...(current.scope ?? [])].sort();
  const same = have.length === wanted.length && have.every((s, i) => s === wanted[i]);
  return {
    kind: "client-grant",
    label,
    action: same ? "unchanged" : "update",
    id: current.id,
    audience,
    body: same ? {} : { scope: wanted },
    grantScopes: wanted,
    fields: same ? [] : [{ field: "scope", from: have, to: wanted }],
  };
}

/**
 * Applies the application; never changes the plan. Returns its client id, and the client secret
 * when the application was created (Auth0 shows it in the creation answer): the caller decides
 * where it may go.
 */
export async function applyM2MApplication(tenant: Tenant, change: ApplicationChange): Promise<{ clientId: string; secret?: string }> {
  if (isThirdPartyClient({ client_id: change.id })) throw new Error(`Refusing to change ${change.id}: clients registered by DCR are never changed.`);
  if (change.action === "create") {
    const created = await tenant.client.clients.create(change.body as unknown as Management.CreateClientRequestContent);
    return { clientId: created.client_id!, secret: created.client_secret };
  }
  if (change.action === "update") await tenant.client.clients.update(change.id!, change.body as Management.UpdateClientRequestContent);
  return { clientId: change.id! };
}

/** Creates the application's grant (its client id known now) or sets its scopes; never changes the plan. */
export async function applyManagementGrant(tenant: Tenant, change: ClientGrantChange, clientId: string): Promise<void> {
  let grantId = change.id;
  if (change.action === "create") {
    try {
      await tenant.client.clientGrants.create({ ...change.body, client_id: clientId } as unknown as Management.CreateClientGrantRequestContent);
      return;
    } catch (error) {
      // 409: a grant for this application and audience exists already (an earlier attempt whose answer was lost).
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      const existing = await readManagementGrant(tenant, clientId, change.audience);
      if (!existing?.id) throw error;
      grantId = existing.id;
    }
  }
  await tenant.client.clientGrants.update(grantId!, { scope: change.grantScopes });
}
