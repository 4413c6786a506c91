import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { InputError } from "../errors.js";
import { withTenantLock } from "./tenant-lock.js";
import { diffFields, plainHeadline, show, type BaseChange, type FieldChange, type Handler, type Write, type Written } from "./handler.js";

export interface ApplicationDesired {
  name: string;
  /** Absent: proxy mode's Regular Web Application; `non_interactive`: the machine-to-machine application mcp-auth0 runs as (credentials create). */
  type?: "non_interactive";
  /** Callback URLs the application must allow; the application's other callbacks are kept. */
  callbacks: string[];
  /** Connections the application must be enabled for (by id, with the name for the plan). */
  connections: Array<{ id: string; name: string }>;
}

/**
 * An application mcp-auth0 makes, matched by name: the Regular Web Application of proxy mode (an
 * MCP server that mediates the OAuth flow logs users in with it: authorization code + refresh
 * token, with its client secret), or the machine-to-machine application `credentials create`
 * makes for mcp-auth0 itself (client credentials, with a grant for the Management API). Its secret
 * is never part of a plan: it goes only where the user asked for it (a `.env`, stdout).
 */
export interface ApplicationChange extends BaseChange {
  kind: "application";
  /** The client id of an existing application (apply reports the id of a created one). */
  id?: string;
  /** The application's name (`desired.name`). */
  name: string;
  desired: ApplicationDesired;
  /** The POST body, or the PATCH body with only the fields that differ (empty when none do). */
  body: Record<string, unknown>;
  /** The names of the connections not yet enabled for the application (their ids are in `desired.connections`): `PATCH /connections/{id}/clients` each. */
  enableConnections: string[];
}

/** The connections a change enables, with their ids. */
const connectionsToEnable = (change: ApplicationChange) => change.desired.connections.filter((c) => change.enableConnections.includes(c.name));

/**
 * Proxy mode: MCP servers built on an OAuth proxy (mcp-use `oauthProxy`, FastMCP `Auth0Provider`,
 * Cloudflare `remote-mcp-auth0`) log users in with one pre-registered Regular Web Application and
 * its client secret, instead of letting each MCP client register itself by DCR.
 */
export const PROXY_APPLICATION_SETTINGS = {
  app_type: "regular_web",
  grant_types: ["authorization_code", "refresh_token"],
  oidc_conformant: true,
} as const;

/** What each kind of application must have, what it is called, and which flag chooses its name. */
const KINDS = {
  regular_web: {
    settings: PROXY_APPLICATION_SETTINGS as { app_type: string; grant_types: readonly string[]; oidc_conformant?: true },
    noun: "application",
    flag: "--app-name",
    // Applications made before app_type existed have none.
    matches: (app: Application) => !app.app_type || app.app_type === PROXY_APPLICATION_SETTINGS.app_type,
    wrongType: (app: Application) =>
      new InputError(
        `Application "${app.name}" (${app.client_id}) is a ${app.app_type} application; proxy mode needs a Regular Web Application, which has a client secret.`,
        "Choose another name with --app-name: mcp-auth0 then creates a Regular Web Application.",
      ),
  },
  // Without the client-credentials grant the application cannot get a Management API token at all.
  non_interactive: {
    settings: { app_type: "non_interactive", grant_types: ["client_credentials"] } as { app_type: string; grant_types: readonly string[]; oidc_conformant?: true },
    noun: "machine-to-machine application",
    flag: "--name",
    matches: (app: Application) => app.app_type === "non_interactive",
    wrongType: (app: Application) =>
      new InputError(
        `Application "${app.name}" (${app.client_id}) is a ${app.app_type ?? "generic"} application, not a machine-to-machine one.`,
        "Choose another name with --name: mcp-auth0 then creates a machine-to-machine application.",
      ),
  },
};
const kindOf = (desired: ApplicationDesired) => KINDS[desired.type ?? "regular_web"];

export interface Application {
  client_id: string;
  name: string;
  app_type?: string;
  callbacks: string[];
  grant_types: string[];
  oidc_conformant?: boolean;
  /** False for third-party clients: those MCP clients registered themselves (DCR, CIMD). */
  is_first_party?: boolean;
  /** ISO 8601, as Auth0 returns it; the earliest of two same-named applications wins a race. */
  created_at?: string;
}

/** Only what the plan compares: never `client_secret` (see `readApplicationSecret`). */
const APPLICATION_FIELDS = "client_id,name,app_type,callbacks,grant_types,oidc_conformant,is_first_party,global,created_at";

/**
 * SPEC §2: clients that MCP clients registered themselves (DCR, CIMD) are never created, changed or
 * deleted. On strict tenants their ids start with `tpc_`; on permissive tenants (third-party apps
 * before April 2026, `dynamic_client_registration_security_mode` unset) they get ordinary ids, and
 * only `is_first_party: false` tells them apart.
 */
export function isThirdPartyClient(client: { client_id?: string; is_first_party?: boolean }): boolean {
  return client.client_id?.startsWith("tpc_") === true || client.is_first_party === false;
}

/** Every application of the tenant (100 per call), without secrets and without the tenant's global client. */
export async function readApplications(tenant: Tenant): Promise<Application[]> {
  const all: Application[] = [];
  for await (const c of eachItem<Management.Client & { global?: boolean }>(tenant.client.clients.list({ fields: APPLICATION_FIELDS, include_fields: true, per_page: 100 }))) {
    if (c.global || !c.client_id) continue;
    all.push({
      client_id: c.client_id,
      name: c.name ?? "",
      app_type: c.app_type,
      callbacks: c.callbacks ?? [],
      grant_types: c.grant_types ?? [],
      oidc_conformant: c.oidc_conformant,
      is_first_party: c.is_first_party,
      ...(c.created_at ? { created_at: c.created_at } : {}),
    });
  }
  return all;
}

/**
 * The application named `name`, matched exactly. Ambiguous or unsafe matches are input errors
 * raised before any write: a third-party client (`tpc_…` or `is_first_party: false`) is never touched, two applications with the same
 * name cannot be told apart, and an application of another type (for proxy mode, a public SPA or
 * native one with no secret to proxy with) is not made into this one.
 */
export function findApplication(all: Application[], name: string, type?: ApplicationDesired["type"]): Application | undefined {
  const kind = kindOf({ type } as ApplicationDesired);
  const named = all.filter((a) => a.name === name);
  if (!named.length) return undefined;
  const ids = named.map((a) => a.client_id).join(", ");
  if (named.some(isThirdPartyClient)) {
    throw new InputError(
      `"${name}" is the name of a third-party client, which an MCP client registered itself by DCR (${ids}); mcp-auth0 never changes those.`,
      `Choose another name for the ${kind.noun} with ${kind.flag}.`,
    );
  }
  if (named.length > 1) {
    throw new InputError(
      `${named.length} applications are named "${name}" (${ids}): mcp-auth0 cannot tell which one to use.`,
      `Rename the extra ones in the Dashboard, or choose another name with ${kind.flag}.`,
    );
  }
  const app = named[0]!;
  if (!kind.matches(app)) throw kind.wrongType(app);
  return app;
}

/** Which of `connections` are enabled for the application: `GET /connections/{id}/clients` each (checkpoint paging). */
export async function readEnabledConnections(tenant: Tenant, clientId: string, connections: Array<{ id: string }>): Promise<Set<string>> {
  const enabled = await Promise.all(
    connections.map(async (connection) => {
      for await (const c of eachItem(tenant.client.connections.clients.get(connection.id, { take: 100 }))) {
        if (c.client_id === clientId) return connection.id;
      }
      return undefined;
    }),
  );
  return new Set(enabled.filter((id): id is string => id !== undefined));
}

/** `current` followed by the wanted items it lacks: what is there stays, in its order. */
function union(current: string[], wanted: readonly string[]): string[] {
  return [...current, ...wanted.filter((v) => !current.includes(v))];
}

export function planApplication(current: Application | undefined, enabled: Set<string>, desired: ApplicationDesired): ApplicationChange {
  const { settings, noun } = kindOf(desired);
  const label = `${noun[0]!.toUpperCase()}${noun.slice(1)} ${desired.name}`;
  // A machine-to-machine application has no login, so no callback URLs.
  const callbacks = desired.type ? {} : { callbacks: desired.callbacks };
  if (!current) {
    const body: Record<string, unknown> = { name: desired.name, ...settings, grant_types: [...settings.grant_types], ...callbacks };
    const fields: FieldChange[] = Object.entries(body).map(([field, to]) => ({ field, from: undefined, to }));
    if (desired.connections.length) fields.push({ field: "connections (enable)", from: undefined, to: desired.connections.map((c) => c.name) });
    return { kind: "application", label, action: "create", fields, name: desired.name, desired, body, enableConnections: desired.connections.map((c) => c.name) };
  }
  // Callbacks and grant types the application already has are kept: it may serve other deployments.
  const wanted = {
    app_type: settings.app_type,
    grant_types: union(current.grant_types, settings.grant_types),
    ...(settings.oidc_conformant ? { oidc_conformant: true } : {}),
    ...(desired.type ? {} : { callbacks: union(current.callbacks, desired.callbacks) }),
  };
  const diff = diffFields(current as unknown as Record<string, unknown>, wanted);
  const enableConnections = desired.connections.filter((c) => !enabled.has(c.id)).map((c) => c.name);
  const fields: FieldChange[] = [...diff];
  if (enableConnections.length) fields.push({ field: "connections (enable)", from: undefined, to: enableConnections });
  return {
    kind: "application",
    label,
    action: fields.length ? "update" : "unchanged",
    id: current.client_id,
    fields,
    name: desired.name,
    desired,
    body: Object.fromEntries(diff.map((f) => [f.field, f.to])),
    enableConnections,
  };
}

/** Reads the tenant's applications and the chosen connections' state, then plans the application. */
export async function planApplicationIn(tenant: Tenant, applications: Application[], desired: ApplicationDesired): Promise<ApplicationChange> {
  const current = findApplication(applications, desired.name, desired.type);
  const enabled = current ? await readEnabledConnections(tenant, current.client_id, desired.connections) : new Set<string>();
  return planApplication(current, enabled, desired);
}

/** Creates or updates the application and enables its connections; never changes the plan, reports the id. */
export async function applyApplication(tenant: Tenant, change: ApplicationChange): Promise<Written> {
  // Defence in depth: findApplication never matches a third-party client, and Auth0 never gives a created application a tpc_ id.
  if (isThirdPartyClient({ client_id: change.id })) throw new Error(`Refusing to change ${change.id}: clients registered by DCR are never changed.`);
  if (change.action === "create") return createApplication(tenant, change);
  await applyToExisting(tenant, change, change.id!);
  return { id: change.id };
}

async function applyToExisting(tenant: Tenant, change: ApplicationChange, clientId: string): Promise<void> {
  if (Object.keys(change.body).length) {
    await tenant.client.clients.update(clientId, change.body as Management.UpdateClientRequestContent);
  }
  await enableConnections(tenant, change, clientId);
}

/** The enabled-clients endpoint changes only the listed client (`enabled_clients` on the connection is deprecated). */
async function enableConnections(tenant: Tenant, change: ApplicationChange, clientId: string): Promise<void> {
  for (const connection of connectionsToEnable(change)) await tenant.client.connections.clients.update(connection.id, [{ client_id: clientId, status: true }]);
}

/**
 * Creating an application races with any other run doing the same (two `init --mode proxy`, two
 * `credentials create`): Auth0 does not refuse a second application of the same name, and two
 * would make every later run stop (which one?). A single empty or truncated list answer while
 * planning has the same effect, so what the plan read is never trusted here: the list is read again.
 * - On this machine, a lock file makes the runs take turns; the second then finds the first's
 *   application when it lists again, and adopts it.
 * - Across machines, each run lists again after creating. Of the applications with the name, the
 *   one created first (`created_at`, then the lowest client id) stands; a run whose own is not that
 *   one deletes what it created and adopts the winner. The earliest one is the one every run can
 *   agree on: a later run always sees it when it lists after its own create.
 * Either way the report says so in `note`, which the summary prints.
 */
async function createApplication(tenant: Tenant, change: ApplicationChange): Promise<Written> {
  const { name } = change.desired;
  return withTenantLock(tenant.domain, `application\n${name}`, async () => {
    const already = sameNamed(await readApplications(tenant), change.desired);
    if (already.length) {
      const winner = earliest(already);
      await adopt(tenant, change, winner);
      return { id: winner.client_id, note: `Application "${name}" was created by another run meanwhile (${winner.client_id}): this run uses it instead of creating a second one.` };
    }
    const created = await tenant.client.clients.create(change.body as unknown as Management.CreateClientRequestContent);
    const named = sameNamed(await readApplications(tenant), change.desired);
    const winner = named.length ? earliest(named) : undefined;
    if (winner && winner.client_id !== created.client_id) {
      await tenant.client.clients.delete(created.client_id!);
      await adopt(tenant, change, winner);
      return {
        id: winner.client_id,
        note: `Another run created application "${name}" at the same time (${winner.client_id}, created first): this run deleted its own (${created.client_id}) and uses that one.`,
      };
    }
    await enableConnections(tenant, change, created.client_id!);
    // Auth0 shows a client secret in full only in the creation answer (later reads need read:client_keys).
    return { id: created.client_id, ...(created.client_secret ? { secret: created.client_secret } : {}) };
  });
}

/** The other run's application becomes this change's: what it still lacks (callbacks, connections) is applied. */
async function adopt(tenant: Tenant, change: ApplicationChange, winner: Application): Promise<void> {
  const enabled = await readEnabledConnections(tenant, winner.client_id, change.desired.connections);
  await applyToExisting(tenant, planApplication(winner, enabled, change.desired), winner.client_id);
}

export const applicationHandler: Handler<ApplicationChange> = {
  kind: "application",
  order: 2,
  scopes: (change) => [
    ...(change.action === "create" ? ["create:clients"] : Object.keys(change.body).length ? ["update:clients"] : []),
    // PATCH /connections/{id}/clients
    ...(change.enableConnections.length ? ["update:connections"] : []),
  ],
  headline: plainHeadline,
  details: (change) =>
    change.fields
      .filter((f) => f.field !== "name")
      .map((f) =>
        f.field === "connections (enable)"
          ? `enable connections: ${show(f.to)}`
          : change.action === "create"
            ? `${f.field}: ${show(f.to)}`
            : `${f.field}: ${Array.isArray(f.from) && !f.from.length ? "(none)" : show(f.from)} → ${show(f.to)}`,
      ),
  describe: (change) => {
    const enable = change.enableConnections.length ? `enable ${change.enableConnections.join(", ")}` : "";
    const what = `${kindOf(change.desired).noun} ${change.desired.name}`;
    if (change.action === "create") return `Create ${what}${enable ? `, ${enable}` : ""}`;
    return Object.keys(change.body).length ? `Update ${what}${enable ? `, ${enable}` : ""}` : `Application ${change.desired.name}: ${enable}`;
  },
  // One write in wave 1: creating races with other runs (see createApplication), and the connections follow the id it settles on.
  writes: (change): Write[] => [{ wave: 1, send: (tenant) => applyApplication(tenant, change) }],
  refresh: (tenant, change) => refreshApplication(tenant, change),
};

/** Applications of the desired kind that answer to its name, never a DCR client. */
function sameNamed(all: Application[], desired: ApplicationDesired): Application[] {
  return all.filter((a) => a.name === desired.name && !isThirdPartyClient(a) && kindOf(desired).matches(a));
}

/** The application created first; without `created_at` (or on a tie), the lowest client id. */
export function earliest(applications: Application[]): Application {
  return [...applications].sort((a, b) => (a.created_at ?? "\uffff").localeCompare(b.created_at ?? "\uffff") || a.client_id.localeCompare(b.client_id))[0]!;
}

async function refreshApplication(tenant: Tenant, change: ApplicationChange): Promise<ApplicationChange> {
  return planApplicationIn(tenant, await readApplications(tenant), change.desired);
}

/**
 * The client secret, for the `.env` only: never part of a plan, a log line or the --json document.
 * Auth0 returns it only to tokens holding `read:client_keys`; undefined otherwise.
 */
export async function readApplicationSecret(tenant: Tenant, clientId: string): Promise<string | undefined> {
  const client = await tenant.client.clients.get(clientId, { fields: "client_id,client_secret", include_fields: true });
  return client.client_secret || undefined;
}
