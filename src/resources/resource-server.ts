import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { InputError } from "../errors.js";
import { diffFields, fieldLines, isNotFound, plainHeadline, type BaseChange, type FieldChange, type Handler } from "./handler.js";

export interface ResourceServerDesired {
  identifier: string;
  name?: string;
  scopes: Array<{ value: string; description?: string }>;
}

export interface ResourceServerChange extends BaseChange {
  kind: "resource-server";
  id?: string;
  desired: ResourceServerDesired;
  body: Record<string, unknown>;
  /** Every scope the API will have after the change (the default grant and roles refer to these). */
  apiScopes: string[];
}

export const DEFAULT_API_NAME = "MCP Server";

/** What SPEC §2 requires of the MCP server's API, besides its identifier, name and scopes. */
export const API_SETTINGS = {
  signing_alg: "RS256",
  // RFC 9068 JWTs that carry a `permissions` claim: MCP servers verify them offline.
  token_dialect: "rfc9068_profile_authz",
  // RBAC: the `permissions` claim only lists what the user's roles grant.
  enforce_policies: true,
  // MCP clients keep sessions alive with refresh tokens.
  allow_offline_access: true,
} as const;

export type ResourceServer = Management.ResourceServer;

/**
 * One call: `GET /resource-servers/{identifier}` (the SDK URL-encodes it), 404 when absent. Every
 * command that takes an API identifier reads it here, so this is where a system API is refused:
 * the Management API (`https://{tenant}/api/v2/`) is one, and a role or default grant naming it
 * would hand users or every DCR client scopes such as read:client_keys.
 */
export async function readResourceServer(tenant: Tenant, identifier: string): Promise<ResourceServer | undefined> {
  let found: ResourceServer;
  try {
    found = await tenant.client.resourceServers.get(identifier);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  if (found.is_system) {
    throw new InputError(
      `The API identifier ${identifier} names ${found.name ?? "a system API"} of ${tenant.domain}, a system API: mcp-auth0 never grants its scopes through roles or to MCP clients.`,
      "Use your MCP server's URL, e.g. --api-identifier https://mcp.example.com/mcp.",
    );
  }
  return found;
}

/**
 * Scopes of the API after the change: the listed ones (a missing description keeps the current
 * one, or defaults to the value so the consent screen reads well), then scopes the API already has
 * that the list does not name — kept, never silently removed, since roles and clients may use them.
 */
function mergeScopes(current: Management.ResourceServerScope[], wanted: ResourceServerDesired["scopes"]) {
  const existing = new Map(current.map((s) => [s.value, s]));
  const merged = wanted.map((s) => ({ value: s.value, description: s.description ?? existing.get(s.value)?.description ?? s.value }));
  const listed = new Set(wanted.map((s) => s.value));
  const kept = current.filter((s) => !listed.has(s.value)).map((s) => ({ value: s.value, description: s.description ?? s.value }));
  return { scopes: [...merged, ...kept], kept: kept.map((s) => s.value) };
}

const sortScopes = (scopes: Management.ResourceServerScope[]) =>
  [...scopes].map((s) => ({ value: s.value, description: s.description ?? "" })).sort((a, b) => a.value.localeCompare(b.value));

export function planResourceServer(current: ResourceServer | undefined, desired: ResourceServerDesired): { change: ResourceServerChange; warning?: string } {
  const label = `API ${desired.identifier}`;
  if (!current) {
    const scopes = mergeScopes([], desired.scopes).scopes;
    const body = { identifier: desired.identifier, name: desired.name ?? DEFAULT_API_NAME, ...API_SETTINGS, scopes };
    const fields: FieldChange[] = Object.entries(body).map(([field, to]) => ({ field, from: undefined, to }));
    return { change: { kind: "resource-server", label, action: "create", fields, desired, body, apiScopes: scopes.map((s) => s.value) } };
  }
  const { scopes, kept } = mergeScopes(current.scopes ?? [], desired.scopes);
  // Never `identifier`: it is immutable. The name changes only when asked for explicitly.
  const wanted: Record<string, unknown> = { ...(desired.name ? { name: desired.name } : {}), ...API_SETTINGS, scopes };
  // Scope order carries no meaning: compare them as a set of value → description.
  const sameScopes = JSON.stringify(sortScopes(current.scopes ?? [])) === JSON.stringify(sortScopes(scopes));
  const fields = diffFields(current as Record<string, unknown>, sameScopes ? { ...wanted, scopes: current.scopes } : wanted);
  const body = Object.fromEntries(fields.map((c) => [c.field, c.to]));
  const warning = kept.length
    ? `API ${desired.identifier} keeps scope${kept.length > 1 ? "s" : ""} ${kept.join(", ")}, which --scopes does not list; remove ${kept.length > 1 ? "them" : "it"} in the Dashboard if ${kept.length > 1 ? "they are" : "it is"} no longer used.`
    : undefined;
  return {
    change: { kind: "resource-server", label, action: fields.length ? "update" : "unchanged", id: current.id, fields, desired, body, apiScopes: scopes.map((s) => s.value) },
    warning,
  };
}

export const resourceServerHandler: Handler<ResourceServerChange> = {
  kind: "resource-server",
  order: 1,
  scopes: (change) => [change.action === "create" ? "create:resource_servers" : "update:resource_servers"],
  headline: plainHeadline,
  details: fieldLines,
  describe: (change) => `${change.action === "create" ? "Create" : "Update"} ${change.label}`,
  writes: (change) => [
    {
      wave: 1,
      send: async (tenant) => {
        const object =
          change.action === "create"
            ? await tenant.client.resourceServers.create(change.body as unknown as Management.CreateResourceServerRequestContent)
            : await tenant.client.resourceServers.update(change.id!, change.body as Management.UpdateResourceServerRequestContent);
        return { id: object.id ?? change.id, object };
      },
    },
  ],
  settle: (state, _change, written) => {
    if (written.object) (state as { resourceServer?: ResourceServer }).resourceServer = written.object as ResourceServer;
  },
  refresh: async (tenant, change) => planResourceServer(await readResourceServer(tenant, change.desired.identifier), change.desired).change,
};

/** Teardown: the API goes. */
export async function deleteResourceServer(tenant: Tenant, id: string): Promise<void> {
  await tenant.client.resourceServers.delete(id);
}
