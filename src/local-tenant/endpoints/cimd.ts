import { z } from "zod";

import { ApiError, json } from "../http.js";
import { validateBody } from "../schemas.js";
import type { Client, NewClient } from "../store.js";
import type { Route } from "./route.js";

/*
 * POST /api/v2/clients/cimd/register {external_client_id} (Auth0's "Register or update a CIMD
 * client via metadata URI"): Auth0 fetches the Client ID Metadata Document at that URL, validates
 * it (HTTPS only, no shared secrets), and creates (create:clients) or updates (update:clients) a
 * strict third-party client, answering 200 either way. Here its client_id is the URL (Auth0's
 * recorded answer gives it a tpc_ id and keeps the URL as external_client_id). Until an admin has done
 * that, Auth0 answers invalid_client for the URL at /authorize, even with
 * `client_id_metadata_document_supported` on: that setting only advertises support.
 */

const registerSchema = z.strictObject({ external_client_id: z.string().min(1) });

/** The fields of a CIMD document the tenant maps (draft-ietf-oauth-client-id-metadata-document). */
const documentSchema = z.looseObject({
  client_id: z.string(),
  client_name: z.string().optional(),
  redirect_uris: z.array(z.string()).min(1),
  grant_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.string().optional(),
  logo_uri: z.string().optional(),
});

/** A client_id URL: https, with a path (the MCP SDK asks the same of `clientMetadataUrl`). */
function cimdUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiError(400, `external_client_id must be an https URL: ${value}`, "invalid_body");
  }
  if (url.protocol !== "https:" || url.pathname === "/" || url.hash) throw new ApiError(400, `external_client_id must be an https URL with a path: ${value}`, "invalid_body");
  return url;
}

async function fetchDocument(fetchFn: typeof fetch, url: URL): Promise<z.output<typeof documentSchema>> {
  let body: unknown;
  try {
    const response = await fetchFn(url, { headers: { accept: "application/json" }, redirect: "error" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new ApiError(400, `Could not fetch the client metadata document at ${url.href}: ${error instanceof Error ? error.message : String(error)}`, "invalid_body");
  }
  const parsed = documentSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, `Invalid client metadata document at ${url.href}: ${parsed.error.issues[0]?.message ?? "invalid"}`, "invalid_body");
  if (parsed.data.client_id !== url.href) throw new ApiError(400, `The client metadata document's client_id must be ${url.href}`, "invalid_body");
  const method = parsed.data.token_endpoint_auth_method ?? "none";
  if (method !== "none") throw new ApiError(400, `CIMD clients cannot use a shared secret (token_endpoint_auth_method ${method})`, "invalid_body");
  return parsed.data;
}

/** `fetchFn` fetches documents (the CLI's tenant: the global fetch; tests: one that trusts their server). */
export function cimdRoutes(fetchFn: typeof fetch): Route[] {
  return [
    {
      method: "POST",
      path: "/clients/cimd/register",
      scopes: ["create:clients", "update:clients"],
      handle: async ({ store, body, scopes }) => {
        if (store.settings["client_id_metadata_document_supported"] !== true) {
          throw new ApiError(400, "Client ID Metadata Documents are not enabled for this tenant (client_id_metadata_document_supported)", "invalid_body");
        }
        const url = cimdUrl(validateBody(registerSchema, body).external_client_id);
        const existing = store.findClient(url.href);
        const needed = existing ? "update:clients" : "create:clients";
        if (!scopes.has(needed)) throw new ApiError(403, `Insufficient scope, expected any of: ${needed}`, "insufficient_scope");

        const document = await fetchDocument(fetchFn, url);
        const mapped = {
          external_client_id: url.href,
          name: document.client_name ?? url.host,
          app_type: "native",
          callbacks: document.redirect_uris,
          ...(document.logo_uri !== undefined ? { logo_uri: document.logo_uri } : {}),
          grant_types: (document.grant_types ?? ["authorization_code", "refresh_token"]).filter((g) => g === "authorization_code" || g === "refresh_token"),
          token_endpoint_auth_method: "none",
        };
        let client: Client;
        if (existing) {
          Object.assign(existing, mapped);
          store.changed();
          client = existing;
        } else {
          const input: NewClient = { ...mapped, client_id: url.href, is_first_party: false, third_party_security_mode: "strict", external_metadata_type: "cimd" };
          client = store.addClient(input);
          // Auth0's CIMD clients have no cross-origin setting (recorded).
          delete client["cross_origin_authentication"];
        }
        // 200 for a creation too, as recorded on Auth0 (the oracle's TestAccClientCIMD).
        return json(200, { client_id: client.client_id, mapped_fields: mapped, validation: { valid: true, violations: [], warnings: [] } });
      },
    },
  ];
}
