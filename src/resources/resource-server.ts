import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { InputError } from "../errors.js";
import { diffFields, fieldLines, isNotFound, plainHeadline, type BaseChange, type FieldChange, type Handler } from "./handler.js";

export interface ResourceServerDesired {
  identifier: string;
  name?: string;
  scopes: Array<{ value: string; description?: string }>;
  /**
   * A downstream API of the On-Behalf-Of exchange (the MCP server calls it on the user's behalf),
   * not the MCP server's own API: created with DOWNSTREAM_API_SETTINGS; an existing one only gains
   * the listed scopes and skip-consent.
   */
  downstream?: boolean;
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

/**
 * The On-Behalf-Of page: "Because Custom API clients are first-party clients, make sure you skip
 * user consent for the APIs your first-party client needs to access" — the exchange has no browser
 * in which a consent screen could be shown. (The AI-agents guide's command sets it to false; the
 * OBO page is followed.)
 */
const SKIP_CONSENT = { skip_consent_for_verifiable_first_party_clients: true } as const;

/**
 * A downstream API that mcp-auth0 creates, as Auth0's "Call your APIs on a user's behalf" guide
 * creates it: RS256 and RFC 9068 tokens with the user's permissions (RBAC), so that the exchanged
 * token carries only what the user's roles grant there.
 */
const DOWNSTREAM_API_SETTINGS = {
  signing_alg: "RS256",
  token_dialect: "rfc9068_profile_authz",
  enforce_policies: true,
  // The guide's access policy: only applications holding a grant for the API get tokens for it, for
  // users (the exchange's user-delegated grant) and clients alike; Auth0's default is allow_all.
  subject_type_authorization: { user: { policy: "require_client_grant" }, client: { policy: "require_client_grant" } },
  ...SKIP_CONSENT,
} as const;

export type ResourceServer = Management.ResourceServer;

/**
 * One call: `GET /resource-servers/{identifier}` (the SDK URL-encodes it), 404 when absent. Every
 * command that takes an API identifier reads it here, so this is where a system API is refused:
 * the Management API (`https://{tenant}/api/v2/`) is one, and a role or default grant naming it
 * would hand users or every DCR client scopes such as read:client_keys (and a Custom API client's
 * grant naming it, every user's). `flag` is what named the identifier, for the message.
 */
export async function readResourceServer(tenant: Tenant, identifier: string, flag = "--api-identifier"): Promise<ResourceServer | undefined> {
  let found: ResourceServer;
  try {
    found = await tenant.client.resourceServers.get(identifier);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  if (found.is_system) {
    const mcpApi = flag === "--api-identifier";
    throw new InputError(
      `${mcpApi ? "The API identifier" : flag} ${identifier} names ${found.name ?? "a system API"} of ${tenant.domain}, a system API: mcp-auth0 never grants its scopes through roles or to MCP clients.`,
      mcpApi ? "Use your MCP server's URL, e.g. --api-identifier https://mcp.example.com/mcp." : `Give the identifier of an API of your own with ${flag}.`,
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
  const label = `${desired.downstream ? "Downstream API" : "API"} ${desired.identifier}`;
  if (!current) {
    if (desired.downstream && !desired.scopes.length) {
      throw new InputError(
        `The downstream API ${desired.identifier} does not exist, and no scopes are given for it: mcp-auth0 would create an API the MCP server can ask nothing of.`,
        `Give its scopes: --downstream-api ${desired.identifier}=read:private=Read private data (or scopes under downstreamApis in the config file).`,
      );
    }
    const scopes = mergeScopes([], desired.scopes).scopes;
    const body = desired.downstream
      ? { identifier: desired.identifier, name: desired.name ?? desired.identifier.slice(0, 200), ...DOWNSTREAM_API_SETTINGS, scopes }
      : { identifier: desired.identifier, name: desired.name ?? DEFAULT_API_NAME, ...API_SETTINGS, scopes };
    const fields: FieldChange[] = Object.entries(body).map(([field, to]) => ({ field, from: undefined, to }));
    return { change: { kind: "resource-server", label, action: "create", fields, desired, body, apiScopes: scopes.map((s) => s.value) } };
  }
  const { scopes, kept } = mergeScopes(current.scopes ?? [], desired.scopes);
  // Never `identifier`: it is immutable. The name changes only when asked for explicitly. An existing
  // downstream API is the user's own: it gains only the scopes asked for and the skip-consent the
  // exchange needs, never another setting (nor a name).
  const wanted: Record<string, unknown> = desired.downstream ? { ...SKIP_CONSENT, scopes } : { ...(desired.name ? { name: desired.name } : {}), ...API_SETTINGS, scopes };
  // Scope order carries no meaning: compare them as a set of value → description.
  const sameScopes = JSON.stringify(sortScopes(current.scopes ?? [])) === JSON.stringify(sortScopes(scopes));
  const fields = diffFields(current as Record<string, unknown>, sameScopes ? { ...wanted, scopes: current.scopes } : wanted);
  const body = Object.fromEntries(fields.map((c) => [c.field, c.to]));
  const warning = desired.downstream
    ? downstreamWarning(current, desired.identifier)
    : kept.length
      ? `API ${desired.identifier} keeps scope${kept.length > 1 ? "s" : ""} ${kept.join(", ")}, which --scopes does not list; remove ${kept.length > 1 ? "them" : "it"} in the Dashboard if ${kept.length > 1 ? "they are" : "it is"} no longer used.`
      : undefined;
  return {
    change: { kind: "resource-server", label, action: fields.length ? "update" : "unchanged", id: current.id, fields, desired, body, apiScopes: scopes.map((s) => s.value) },
    warning,
  };
}

/** What an existing downstream API keeps that the exchange's users should know about (mcp-auth0 does not change it). */
function downstreamWarning(current: ResourceServer, identifier: string): string | undefined {
  if (current.enforce_policies === true) return undefined;
  return `The downstream API ${identifier} has RBAC off (enforce_policies): exchanged tokens carry every granted scope whatever the user's roles, and no permissions claim. mcp-auth0 leaves your API's settings as they are; turn RBAC on in the Dashboard (APIs → ${identifier} → RBAC Settings) for roles to decide.`;
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
  settle: (state, change, written) => {
    if (!written.object) return;
    const s = state as { resourceServer?: ResourceServer; downstreamApis?: Record<string, ResourceServer | undefined> };
    if (change.desired.downstream) s.downstreamApis = { ...s.downstreamApis, [change.desired.identifier]: written.object as ResourceServer };
    else s.resourceServer = written.object as ResourceServer;
  },
  refresh: async (tenant, change) => planResourceServer(await readResourceServer(tenant, change.desired.identifier), change.desired).change,
};

/** Teardown: the API goes. */
export async function deleteResourceServer(tenant: Tenant, id: string): Promise<void> {
  await tenant.client.resourceServers.delete(id);
}
