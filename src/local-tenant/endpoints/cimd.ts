import { z } from "zod";

import { ApiError, json } from "../http.js";
import { clientId as newClientId } from "../ids.js";
import { refuseBeyondPlan } from "../plan.js";
import { validateBody } from "../schemas.js";
import type { Client, TenantStore } from "../store.js";
import type { Route } from "./route.js";

/*
 * POST /api/v2/clients/cimd/register {external_client_id}: Auth0 fetches the Client ID Metadata
 * Document at that URL, validates it, and creates (201, create:clients) or updates (200,
 * update:clients) a strict third-party client (docs-v2 `register-applications-with-cimd.mdx` and the
 * Management API reference: "Create: Returns 201 … Update: Returns 200"). The client gets a `tpc_`
 * id and keeps the URL as `external_client_id`, with `external_metadata_type: "cimd"` and
 * `external_metadata_created_by: "admin"` (recorded: go-auth0 `TestClient_CIMDFields`,
 * terraform-provider-auth0 `TestAccClientCIMD`). MCP clients present the URL as their client_id;
 * the OAuth side resolves it through `external_client_id` (TenantStore.findOAuthClient). A URL
 * never imported is an unknown client there, even with `client_id_metadata_document_supported` on.
 */

/** Metadata documents bundled with the tool, by URL, and the day they were copied. */
export interface CimdDocumentSnapshot {
  takenOn: string;
  documents: Readonly<Record<string, unknown>>;
}

/** Where the tenant gets documents: the bundled copy of a URL first, else `fetch` over the network. */
export interface CimdDocumentSource {
  fetch: typeof fetch;
  snapshot?: CimdDocumentSnapshot;
}

const registerSchema = z.strictObject({ external_client_id: z.string().min(1) });

/** The CIMD properties Auth0 maps (docs-v2, "CIMD JSON validation rules"); others are ignored with a warning. */
const SUPPORTED_PROPERTIES = new Set([
  "client_id",
  "client_name",
  "redirect_uris",
  "grant_types",
  "application_type",
  "token_endpoint_auth_method",
  "jwks_uri",
  "logo_uri",
  "description",
  "response_types",
]);

const GRANT_TYPES = new Set(["authorization_code", "refresh_token"]);

const documentSchema = z.looseObject({
  client_id: z.string(),
  client_name: z.string().min(1).optional(),
  redirect_uris: z.array(z.string()).optional(),
  grant_types: z.array(z.string()),
  application_type: z.enum(["native", "web"]).optional(),
  token_endpoint_auth_method: z.string().optional(),
  jwks_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  description: z.string().max(140).optional(),
});
type CimdDocument = z.output<typeof documentSchema>;

/** Public keys only: a key with private material (`d`, or a symmetric `k`) is refused. */
const jwksSchema = z.object({
  keys: z
    .array(
      z
        .looseObject({ kty: z.enum(["RSA", "EC", "OKP"]), kid: z.string().min(1), alg: z.string().optional() })
        .refine((key) => !("d" in key), "private key material (d) is not allowed"),
    )
    .min(1),
});
type PublicJwk = z.output<typeof jwksSchema>["keys"][number];

/** A Private Key JWT credential Auth0 creates from a CIMD client's JWKS; `jwk` is the public key it verifies assertions with. */
export interface CimdCredential {
  credential_type: "public_key";
  kid: string;
  alg: string;
  jwk: PublicJwk;
}

/** Auth0's fetch limits (docs-v2, "Fetch security"). */
const MAX_BYTES = { document: 5 * 1024, jwks: 12 * 1024 };

const invalid = (message: string) => new ApiError(400, message, "invalid_body");

/**
 * Auth0's "CIMD URL validation rules": https, a host, a path beyond `/`, no dot segments, at most
 * 120 bytes, no whitespace, credentials, fragment, query or port 0. Auth0 also refuses loopback
 * hosts; the dev tenant accepts them, so that a client under development (and the tests' document
 * servers) can be imported — the one rule it does not apply.
 */
function cimdUrl(value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const broken =
    !url ||
    url.protocol !== "https:" ||
    url.hostname === "" ||
    url.pathname === "/" ||
    /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(value.replace(/^https:\/\/[^/]*/i, "")) ||
    Buffer.byteLength(value) > 120 ||
    /\s/.test(value) ||
    url.username !== "" ||
    url.password !== "" ||
    value.includes("#") ||
    value.includes("?") ||
    url.port === "0" ||
    /%(?![0-9a-f]{2})/i.test(value);
  if (broken || !url) throw invalid(`external_client_id must be an https URL with a path, without query, fragment or credentials, of at most 120 bytes: ${value}`);
  return url;
}

/** A document (or a JWKS) by URL: its bundled copy, else fetched without following redirects, as Auth0 fetches them. */
async function load(source: CimdDocumentSource, url: URL, what: keyof typeof MAX_BYTES): Promise<unknown> {
  const bundled = source.snapshot?.documents[url.href];
  if (bundled !== undefined) return structuredClone(bundled);
  const label = what === "document" ? "client metadata document" : "JWKS";
  try {
    const response = await source.fetch(url, { headers: { accept: "application/json" }, redirect: "error" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (Buffer.byteLength(text) > MAX_BYTES[what]) throw new Error(`larger than ${MAX_BYTES[what] / 1024} KB`);
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(`Could not fetch the ${label} at ${url.href}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A confidential CIMD client authenticates with Private Key JWT: its keys come from `jwks_uri`, on
 * the document's own origin, and are kept as credentials. A key already held under the same `kid`
 * is kept as it was ("Auth0's CIMD registration rejects the new key and preserves the old one").
 */
async function privateKeyJwtCredentials(source: CimdDocumentSource, url: URL, document: CimdDocument, held: readonly CimdCredential[]): Promise<CimdCredential[]> {
  if ("jwks" in document) throw invalid("invalid_client_metadata: an inline jwks is not supported; publish the keys at jwks_uri");
  let jwksUrl: URL | undefined;
  try {
    jwksUrl = new URL(document.jwks_uri ?? "");
  } catch {
    jwksUrl = undefined;
  }
  if (!jwksUrl || jwksUrl.protocol !== "https:" || jwksUrl.origin !== url.origin) throw invalid(`jwks_uri must be an https URL on ${url.origin} for private_key_jwt`);
  const parsed = jwksSchema.safeParse(await load(source, jwksUrl, "jwks"));
  if (!parsed.success) throw invalid(`Invalid JWKS at ${jwksUrl.href}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const fresh = parsed.data.keys.map((jwk): CimdCredential => ({ credential_type: "public_key", kid: jwk.kid, alg: jwk.alg ?? (jwk.kty === "RSA" ? "RS256" : "ES256"), jwk }));
  return fresh.map((credential) => held.find((h) => h.kid === credential.kid) ?? credential);
}

function parseDocument(body: unknown, url: URL): { document: CimdDocument; warnings: string[] } {
  const parsed = documentSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`Invalid client metadata document at ${url.href}: ${issue ? `${issue.path.join(".") || "document"}: ${issue.message}` : "invalid"}`);
  }
  const document = parsed.data;
  if (document.client_id !== url.href) throw invalid(`The client metadata document's client_id must be ${url.href}`);
  const method = document.token_endpoint_auth_method ?? "none";
  if (method !== "none" && method !== "private_key_jwt")
    throw invalid(`token_endpoint_auth_method ${method} is not allowed for CIMD clients: use none or private_key_jwt (no shared secrets)`);
  const grantTypes = document.grant_types.filter((g) => GRANT_TYPES.has(g));
  if (grantTypes.length === 0) throw invalid("grant_types must include authorization_code or refresh_token");
  if (grantTypes.includes("authorization_code") && (document.redirect_uris ?? []).length === 0) throw invalid("redirect_uris is required with the authorization_code grant");
  const warnings = document.grant_types.filter((g) => !GRANT_TYPES.has(g)).map((g) => `Grant type not supported: '${g}'`);
  const ignored = Object.keys(document).filter((key) => !SUPPORTED_PROPERTIES.has(key));
  // Recorded wording (terraform-provider-auth0 TestAccClientCIMD).
  if (ignored.length > 0) warnings.push(`Ignoring unsupported properties: ${ignored.join(", ")}. These properties are not validated or mapped to the Auth0 client configuration.`);
  return { document: { ...document, grant_types: grantTypes }, warnings };
}

/** The client fields Auth0 maps from a document (its answer's `mapped_fields`). */
function mappedFields(url: URL, document: CimdDocument, credentials: readonly CimdCredential[] | undefined) {
  return {
    external_client_id: url.href,
    name: document.client_name ?? url.host,
    callbacks: document.redirect_uris ?? [],
    ...(document.logo_uri !== undefined ? { logo_uri: document.logo_uri } : {}),
    ...(document.description !== undefined ? { description: document.description } : {}),
    grant_types: document.grant_types,
    // `application_type` defaults to web, which Auth0 maps to regular_web (recorded: go-auth0).
    app_type: document.application_type === "native" ? "native" : "regular_web",
    token_endpoint_auth_method: credentials ? "private_key_jwt" : "none",
    ...(credentials ? { jwks_uri: document.jwks_uri, client_authentication_methods: { private_key_jwt: { credentials } } } : {}),
  };
}

/** What the answer shows of the credentials: their kind, kid and alg, not the keys. */
function answerFields(mapped: ReturnType<typeof mappedFields>) {
  const credentials = mapped.client_authentication_methods?.private_key_jwt.credentials;
  if (!credentials) return mapped;
  return { ...mapped, client_authentication_methods: { private_key_jwt: { credentials: credentials.map(({ credential_type, kid, alg }) => ({ credential_type, kid, alg })) } } };
}

function importClient(store: TenantStore, mapped: ReturnType<typeof mappedFields>): Client {
  const client = store.addClient({
    ...mapped,
    client_id: newClientId("dynamic"),
    is_first_party: false,
    third_party_security_mode: "strict",
    external_metadata_type: "cimd",
    external_metadata_created_by: "admin",
    // Recorded for an imported client: a one-hour token lifetime and expiring, rotating refresh tokens.
    jwt_configuration: { secret_encoded: false, alg: "RS256", lifetime_in_seconds: 3600 },
    refresh_token: {
      rotation_type: "rotating",
      expiration_type: "expiring",
      leeway: 0,
      token_lifetime: 2592000,
      infinite_token_lifetime: false,
      infinite_idle_token_lifetime: false,
      idle_token_lifetime: 1296000,
    },
  });
  // Auth0's CIMD clients have no cross-origin setting (recorded).
  delete client["cross_origin_authentication"];
  return client;
}

/** The Private Key JWT credentials a client holds, if any. */
export function heldCredentials(client: Client | undefined): CimdCredential[] {
  const methods = client?.["client_authentication_methods"] as { private_key_jwt?: { credentials?: CimdCredential[] } } | undefined;
  return methods?.private_key_jwt?.credentials ?? [];
}

export function cimdRoutes(source: CimdDocumentSource): Route[] {
  return [
    {
      method: "POST",
      path: "/clients/cimd/register",
      scopes: ["create:clients", "update:clients"],
      handle: async ({ store, body, scopes }) => {
        // The setting is a prerequisite for importing, not only an advertisement (AUTH0-FACTS, third
        // round). Auth0's error for this case is not recorded: this status and text are ours.
        if (store.settings["client_id_metadata_document_supported"] !== true) {
          throw invalid("Client ID Metadata Documents are not enabled for this tenant (client_id_metadata_document_supported)");
        }
        const url = cimdUrl(validateBody(registerSchema, body).external_client_id);
        const existing = store.findCimdClient(url.href);
        const needed = existing ? "update:clients" : "create:clients";
        if (!scopes.has(needed)) throw new ApiError(403, `Insufficient scope, expected any of: ${needed}`, "insufficient_scope");
        if (!existing) refuseBeyondPlan(store, "applications");

        const { document, warnings } = parseDocument(await load(source, url, "document"), url);
        let credentials: CimdCredential[] | undefined;
        if (document.token_endpoint_auth_method === "private_key_jwt") {
          // Auth0 offers Private Key JWT to Enterprise plans only; this refusal's status and text are ours.
          if (store.plan?.privateKeyJwt === false) throw new ApiError(403, "Private Key JWT authentication is available on Enterprise plans only", "operation_not_supported");
          credentials = await privateKeyJwtCredentials(source, url, document, heldCredentials(existing));
        }
        const mapped = mappedFields(url, document, credentials);
        let client: Client;
        if (existing) {
          // A document that no longer uses Private Key JWT leaves no credentials behind.
          delete existing["jwks_uri"];
          delete existing["client_authentication_methods"];
          Object.assign(existing, mapped);
          store.changed();
          client = existing;
        } else {
          client = importClient(store, mapped);
        }
        return json(existing ? 200 : 201, { client_id: client.client_id, mapped_fields: answerFields(mapped), validation: { valid: true, violations: [], warnings } });
      },
    },
  ];
}
