import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { InputError } from "../errors.js";
import { findClient } from "../clients/catalogue.js";
import { fieldLines, plainHeadline, type BaseChange, type Handler } from "./handler.js";

/*
 * Client ID Metadata Documents (CIMD): `client_id_metadata_document_supported: true` only advertises
 * support. Auth0 accepts a CIMD client (an MCP client whose client_id is the https URL of its
 * metadata document) only once an admin imports that URL: `POST /clients/cimd/register
 * {external_client_id}`. The call is idempotent, but it re-fetches the document and counts as a
 * write, so imported URLs are read first and only the others are registered.
 */

/** An MCP client's metadata URL imported as a CIMD client (`POST /clients/cimd/register`). */
export interface CimdClientChange extends BaseChange {
  kind: "cimd-client";
  url: string;
  /** The catalogue's name of the MCP client (`--clients`); absent for a URL given with --cimd-client. */
  client?: string;
  /** The Auth0 client id (`tpc_…`), when already imported. */
  id?: string;
}

/** A CIMD client id is an https URL with a path (draft-ietf-oauth-client-id-metadata-document). */
export function parseCimdClientUrl(raw: string, flag = "--cimd-client"): string {
  const value = raw.trim();
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== "https:" || url.pathname === "/" || url.hash || url.username || url.password || /\s/.test(value)) {
    throw new InputError(
      `${flag} "${value}" is not a client metadata URL.`,
      "Give the https URL an MCP client uses as its client_id, with a path and no fragment, e.g. https://client.example.com/oauth/client-metadata.json.",
    );
  }
  return value;
}

/**
 * The CIMD clients already imported, by their metadata URL. Auth0 gives an imported client an id of
 * its own (`tpc_…`) and keeps the URL as `external_client_id`, which MCP clients present as their
 * client_id: the URL, not the id, says which client it is. One list read for all of them (a tenant
 * holds few applications; `?external_client_id=` would cost a call per URL).
 */
export async function readCimdClients(tenant: Tenant): Promise<Map<string, string>> {
  const listed: ListedClient[] = [];
  const listing = tenant.client.clients.list({ fields: "client_id,external_client_id,external_metadata_type", include_fields: true, per_page: 100 });
  for await (const c of eachItem<ListedClient>(listing)) listed.push(c);
  return importedCimdClients(listed);
}

type ListedClient = { client_id?: string; external_client_id?: string; external_metadata_type?: string };

/** The imported CIMD clients of a client listing that asked for these fields (init's verdict reads one anyway). */
export function importedCimdClients(clients: readonly ListedClient[]): Map<string, string> {
  const imported = new Map<string, string>();
  for (const c of clients) if (c.external_metadata_type === "cimd" && c.external_client_id && c.client_id) imported.set(c.external_client_id, c.client_id);
  return imported;
}

/** `client`: the catalogued MCP client the URL is, named in the plan. */
export function planCimdClient(imported: Map<string, string>, url: string, client?: { name: string; title: string }): CimdClientChange {
  const id = imported.get(url);
  return {
    kind: "cimd-client",
    label: client ? `CIMD client ${client.title} (${url})` : `CIMD client ${url}`,
    action: id ? "unchanged" : "create",
    url,
    client: client?.name,
    id,
    fields: id ? [] : [{ field: "external_client_id", from: undefined, to: url }],
  };
}

export const cimdClientHandler: Handler<CimdClientChange> = {
  kind: "cimd-client",
  // Between the roles and the default audience in the plan; applied in wave 3, once wave 2's settings advertise CIMD.
  order: 5.5,
  scopes: () => ["create:clients"],
  headline: plainHeadline,
  details: fieldLines,
  describe: (change) => `Import CIMD client ${change.url}`,
  // Wave 3: Auth0 imports a CIMD client only once the tenant advertises CIMD, which wave 2's settings PATCH turns on.
  writes: (change) => [
    {
      wave: 3,
      send: async (tenant) => {
        const registered = await tenant.client.clients.registerCimdClient({ external_client_id: change.url });
        return { id: registered.client_id, object: registered };
      },
    },
  ],
  refresh: async (tenant, change) => planCimdClient(await readCimdClients(tenant), change.url, change.client ? findClient(change.client) : undefined),
};
