import { eachItem } from "../tenant/paging.js";
import { createHash } from "node:crypto";
import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { Auth0ApiError, InputError } from "../errors.js";
import { isThirdPartyClient } from "./application.js";
import { diffFields, fieldLines, plainHeadline, type BaseChange, type FieldChange, type Handler, type Written } from "./handler.js";

/*
 * The On-Behalf-Of token exchange (RFC 8693, Auth0's "On-Behalf-Of Token Exchange" page): the MCP
 * server exchanges the user's token (audience: the MCP server's API) for one whose audience is a
 * downstream API. Only a Custom API client may exchange: a client with `app_type: "resource_server"`
 * and `resource_server_identifier` = the API whose tokens it receives, which Auth0 links to that API
 * (the API then reads back with the client's `client_id`; go-auth0's recorded
 * TestClient_CreateLinkedToResourceServer). The exchange itself is switched on per client with
 * `token_exchange.allow_any_profile_of_type: ["on_behalf_of_token_exchange"]`.
 */

export const OBO_PROFILE = "on_behalf_of_token_exchange";

/**
 * Which plans offer the exchange: Auth0's rate-limit tables list "On-Behalf-Of Token Exchange" for
 * the Free plan (2 per second, burst 2) and for Essentials and Professional (8 per second); the
 * On-Behalf-Of page's Private Cloud example names 30 per second, which the "Auth0 for AI Agents"
 * add-on raises to the subscription's Authentication API limit.
 */
export const OBO_PLANS_NOTE =
  "Auth0 offers the On-Behalf-Of exchange on every plan, rate limited: 2 exchanges per second on the Free plan, 8 on Essentials and Professional (more with the Auth0 for AI Agents add-on); cache each exchanged token for its lifetime.";

/** What mcp-auth0 reads of a Custom API client. `client_secret` only for the .env, never in a plan. */
export interface CustomApiClient {
  client_id: string;
  name?: string;
  app_type?: string;
  resource_server_identifier?: string;
  is_first_party?: boolean;
  token_exchange?: { allow_any_profile_of_type?: string[] };
  client_metadata?: Record<string, string>;
  /** Present when the token holds read:client_keys (Auth0 leaves it out otherwise, without an error). */
  client_secret?: string;
}

export interface CustomApiClientChange extends BaseChange {
  kind: "custom-api-client";
  /** The existing client's id (apply reports the id of one it creates). */
  id?: string;
  /** The MCP server's API, whose tokens the client exchanges (`resource_server_identifier`). */
  apiIdentifier: string;
  name: string;
  /** The POST body, or the PATCH body with only the fields that differ. */
  body: Record<string, unknown>;
  /** The MCP server's API is created by this same run: the client, which Auth0 links to an existing API, waits for it (wave 2). */
  afterApi: boolean;
  /** What `client_metadata` records (see `createdMarks`), for a refresh to plan the same. */
  createdApis: string[];
}

/**
 * `client_metadata` records what mcp-auth0 created, so that `teardown` removes that and nothing
 * else: the client itself, and each downstream API that did not exist before (a downstream API the
 * user already had is never deleted). The tenant is the only place every machine that runs teardown
 * can read it from. Keys are short hashes (Auth0 allows 10 keys of 255 characters, and an API
 * identifier may be 600); the value shows the identifier to whoever reads it in the Dashboard.
 */
const CREATED_CLIENT_MARK = "mcp-auth0";
export const createdApiMark = (identifier: string) => `mcp-auth0:created-api:${createHash("sha256").update(identifier).digest("hex").slice(0, 16)}`;

function createdMarks(createdApis: string[], client: boolean): Record<string, string> {
  return {
    ...(client ? { [CREATED_CLIENT_MARK]: "created by mcp-auth0 init; mcp-auth0 teardown deletes it" } : {}),
    ...Object.fromEntries(createdApis.map((api) => [createdApiMark(api), api.slice(0, 255)])),
  };
}

/** Whether mcp-auth0 created the client, and the downstream API. */
export const createdByMcpAuth0 = (client: CustomApiClient | undefined) => client?.client_metadata?.[CREATED_CLIENT_MARK] !== undefined;
export const createdApiByMcpAuth0 = (client: CustomApiClient | undefined, identifier: string) => client?.client_metadata?.[createdApiMark(identifier)] !== undefined;

const FIELDS = "client_id,name,app_type,resource_server_identifier,is_first_party,token_exchange,client_metadata";

/**
 * The Custom API client linked to the MCP server's API. One call that depends on nothing, so it goes
 * with the first round of reads: every client of type `resource_server` (few), matched by
 * `resource_server_identifier`. With `secret` the answer also carries the client secret, which the
 * .env needs (Auth0 shows it only with read:client_keys): no second read for it.
 */
export async function readCustomApiClient(tenant: Tenant, apiIdentifier: string, secret: boolean): Promise<CustomApiClient | undefined> {
  const listing = tenant.client.clients.list({ app_type: "resource_server", fields: secret ? `${FIELDS},client_secret` : FIELDS, include_fields: true, per_page: 100 });
  for await (const c of eachItem<Management.Client>(listing)) {
    if (c.resource_server_identifier === apiIdentifier && c.client_id) return c as CustomApiClient;
  }
  return undefined;
}

export interface CustomApiClientDesired {
  apiIdentifier: string;
  /** Its name when created (an existing client keeps its own). */
  name: string;
  /** Downstream APIs this run creates: marked for teardown. */
  createdApis: string[];
  /** The MCP server's API is created by this run too. */
  apiCreated: boolean;
}

/** The client's name when mcp-auth0 creates it: the MCP server's API's name, said what it is for. */
export const customApiClientName = (apiName: string) => `${apiName} (Custom API client)`.slice(0, 200);

export function planCustomApiClient(current: CustomApiClient | undefined, desired: CustomApiClientDesired): CustomApiClientChange {
  const label = `Custom API client for ${desired.apiIdentifier}`;
  const base = { kind: "custom-api-client" as const, label, apiIdentifier: desired.apiIdentifier, afterApi: desired.apiCreated, createdApis: desired.createdApis };
  if (!current) {
    const body = {
      name: desired.name,
      app_type: "resource_server",
      resource_server_identifier: desired.apiIdentifier,
      token_exchange: { allow_any_profile_of_type: [OBO_PROFILE] },
      client_metadata: createdMarks(desired.createdApis, true),
    };
    const fields: FieldChange[] = Object.entries(body).map(([field, to]) => ({ field, from: undefined, to }));
    return { ...base, action: "create", name: desired.name, body, fields };
  }
  // SPEC §2: a client that registered itself is never changed. A Custom API client is first-party;
  // one that is not was not made by the Dashboard's "Add Application" nor by mcp-auth0.
  if (isThirdPartyClient(current)) {
    throw new InputError(
      `The client linked to ${desired.apiIdentifier} (${current.client_id}) is a third-party client: mcp-auth0 never changes those, and only a first-party Custom API client can exchange tokens.`,
      "Unlink it in the Dashboard (Applications → APIs → the API → Machine to Machine Applications), then run init again.",
    );
  }
  // The exchange types it already allows are kept (custom_authentication may serve something else).
  const types = current.token_exchange?.allow_any_profile_of_type ?? [];
  const metadata = current.client_metadata ?? {};
  const marks = createdMarks(desired.createdApis, false);
  const wanted: Record<string, unknown> = {
    token_exchange: types.includes(OBO_PROFILE) ? current.token_exchange : { ...current.token_exchange, allow_any_profile_of_type: [...types, OBO_PROFILE] },
    // The whole object is sent: what the client's metadata already holds stays.
    client_metadata: Object.keys(marks).every((k) => k in metadata) ? current.client_metadata : { ...metadata, ...marks },
  };
  const fields = diffFields(current as unknown as Record<string, unknown>, wanted);
  return {
    ...base,
    action: fields.length ? "update" : "unchanged",
    id: current.client_id,
    name: current.name ?? desired.name,
    body: Object.fromEntries(fields.map((f) => [f.field, f.to])),
    fields,
  };
}

/**
 * A tenant that does not offer the exchange refuses the client's `token_exchange` setting (Auth0's
 * exact answer is not documented): said as such, with where to look, instead of a bare 400.
 */
async function sayIfExchangeRefused(work: () => Promise<Management.Client>): Promise<Management.Client> {
  try {
    return await work();
  } catch (error) {
    const { statusCode, body } = error as { statusCode?: number; body?: { message?: string; errorCode?: string } };
    if ((statusCode === 400 || statusCode === 403) && body?.errorCode !== "insufficient_scope" && /token_exchange|on_behalf_of/i.test(body?.message ?? "")) {
      throw new Auth0ApiError(`Auth0 refused On-Behalf-Of token exchange for the Custom API client: ${body?.message}`, statusCode, OBO_PLANS_NOTE, { cause: error });
    }
    throw error;
  }
}

/** The create answer carries the new secret: it goes into `secret`, for the .env only, never into `object`. */
function written(object: Management.Client, fallbackId?: string): Written {
  const { client_secret, ...rest } = object;
  return { id: object.client_id ?? fallbackId, object: rest, ...(client_secret ? { secret: client_secret } : {}) };
}

export const customApiClientHandler: Handler<CustomApiClientChange> = {
  kind: "custom-api-client",
  // After the APIs and the default grant in the plan, before the downstream grants that name it.
  order: 3.3,
  scopes: (change) => [change.action === "create" ? "create:clients" : "update:clients"],
  headline: plainHeadline,
  details: (change) => fieldLines(change).filter((line) => !line.startsWith("name:")),
  describe: (change) => `${change.action === "create" ? "Create" : "Update"} the Custom API client${change.action === "create" ? ` ${change.name}` : ""}`,
  writes: (change) => [
    {
      wave: change.afterApi ? 2 : 1,
      send: async (tenant) =>
        written(
          await sayIfExchangeRefused(() =>
            change.action === "create"
              ? tenant.client.clients.create(change.body as unknown as Management.CreateClientRequestContent)
              : tenant.client.clients.update(change.id!, change.body as Management.UpdateClientRequestContent),
          ),
          change.id,
        ),
    },
  ],
  settle: (state, _change, w) => {
    if (w.object) (state as { customApiClient?: CustomApiClient }).customApiClient = w.object as CustomApiClient;
  },
  refresh: async (tenant, change) =>
    planCustomApiClient(await readCustomApiClient(tenant, change.apiIdentifier, false), {
      apiIdentifier: change.apiIdentifier,
      name: change.name,
      createdApis: change.createdApis,
      apiCreated: change.afterApi,
    }),
};
