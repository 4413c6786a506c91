import type { Adapter, AdapterPayload, ClientMetadata } from "oidc-provider";

import { heldCredentials } from "../endpoints/cimd.js";
import type { Client, TenantStore } from "../store.js";
import { strictRegistration } from "./policy.js";
import { TOKEN_EXCHANGE_GRANT } from "./token-exchange.js";

/*
 * oidc-provider's storage. Clients live in the TenantStore — the same records the Management API
 * serves, so a client that an MCP client registered through DCR shows up in GET /api/v2/clients
 * with its `tpc_` id and `is_first_party: false`, and survives a restart with the rest of the
 * tenant's state. Everything else (sessions, interactions, codes, grants, refresh tokens) is
 * short-lived and kept in memory: a restart logs everyone out, which is fine for a dev tenant.
 */

const GRANT_TYPES_OF_THE_OAUTH_SIDE = new Set(["authorization_code", "refresh_token"]);

/**
 * A store client as oidc-provider sees it, under the id the request named: a CIMD client is known
 * by its metadata URL, so that its grants, codes and tokens carry the URL as `client_id`, as Auth0's
 * do ("Return resource access token (includes client_id=https://../client.json)", docs-v2,
 * register-applications-with-cimd). Clients without the authorization-code grant (the
 * machine-to-machine applications) are not clients of the OAuth side: their client-credentials
 * requests for the Management API are answered by the Management API side. Custom API clients
 * (no grant types at all) are, for the On-Behalf-Of token exchange. Every client of the OAuth side
 * may ask for the exchange: its grant handler (token-exchange.ts) refuses those Auth0 refuses, with
 * Auth0's answer rather than oidc-provider's.
 */
function toProviderClient(client: Client, requestedId: string): ClientMetadata | undefined {
  const grantTypes = client.grant_types.filter((g) => GRANT_TYPES_OF_THE_OAUTH_SIDE.has(g));
  const interactive = grantTypes.includes("authorization_code");
  if (!interactive && client.app_type !== "resource_server") return undefined;
  const authMethod = (client.token_endpoint_auth_method ?? "client_secret_post") as NonNullable<ClientMetadata["token_endpoint_auth_method"]>;
  return {
    client_id: requestedId,
    ...(client.client_secret !== undefined && authMethod.startsWith("client_secret_") ? { client_secret: client.client_secret } : {}),
    // A CIMD client's Private Key JWT assertions are verified with the keys taken from its JWKS at import.
    ...(authMethod === "private_key_jwt" ? { jwks: { keys: heldCredentials(client).map((c) => c.jwk) } } : {}),
    client_name: client.name,
    redirect_uris: interactive ? (client.callbacks ?? []) : [],
    grant_types: [...grantTypes, TOKEN_EXCHANGE_GRANT],
    response_types: interactive ? ["code"] : [],
    token_endpoint_auth_method: authMethod,
    application_type: client.app_type === "native" ? "native" : "web",
    ...(typeof client["logo_uri"] === "string" ? { logo_uri: client["logo_uri"] } : {}),
  };
}

/** What Auth0 stores for a client registered through DCR, from the metadata oidc-provider validated. */
function fromRegistration(id: string, payload: AdapterPayload, strict: boolean): Parameters<TenantStore["addClient"]>[0] {
  const authMethod = payload.token_endpoint_auth_method ?? "client_secret_basic";
  const native = payload.application_type === "native";
  return {
    dynamic: true,
    client_id: id,
    ...(payload.client_secret !== undefined ? { client_secret: payload.client_secret } : {}),
    name: payload.client_name ?? "Dynamically registered client",
    app_type: native ? "native" : authMethod === "none" ? "spa" : "regular_web",
    is_first_party: false,
    // Strict tenants create DCR clients in strict mode; permissive tenants' DCR clients carry no mode.
    ...(strict ? { third_party_security_mode: "strict" } : {}),
    grant_types: payload.grant_types ?? ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: authMethod,
    callbacks: payload.redirect_uris ?? [],
    ...(payload.logo_uri !== undefined ? { logo_uri: payload.logo_uri } : {}),
  };
}

interface Entry {
  payload: AdapterPayload;
  expiresAt?: number;
}

/** oidc-provider's model storage for one model name (see oidc-provider's example adapter). */
class TenantAdapter implements Adapter {
  private readonly entries = new Map<string, Entry>();
  private readonly byUid = new Map<string, string>();
  private readonly byUserCode = new Map<string, string>();
  private readonly byGrant = new Map<string, Set<string>>();

  constructor(
    private readonly name: string,
    private readonly store: TenantStore,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.name === "Client") {
      // Only registration writes clients (RFC 7592 client management is off): ids are always new.
      if (!this.store.findClient(id)) this.store.addClient(fromRegistration(id, payload, strictRegistration(this.store)));
      return;
    }
    this.sweep();
    this.entries.set(id, { payload, ...(expiresIn ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) });
    if (payload.uid) this.byUid.set(payload.uid, id);
    if (payload.userCode) this.byUserCode.set(payload.userCode, id);
    if (payload.grantId) {
      const ids = this.byGrant.get(payload.grantId) ?? new Set<string>();
      ids.add(id);
      this.byGrant.set(payload.grantId, ids);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.name === "Client") {
      const client = this.store.findOAuthClient(id);
      return client ? toProviderClient(client, id) : undefined;
    }
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    if (this.name === "Client") {
      const client = this.store.findClient(id);
      if (client) this.store.deleteClient(client);
      return;
    }
    this.entries.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const id of this.byGrant.get(grantId) ?? []) this.entries.delete(id);
    this.byGrant.delete(grantId);
  }

  /** Drops expired entries now and then, so a long-running dev tenant does not grow without bound. */
  private sweep(): void {
    if (this.entries.size < 1000) return;
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(id);
    for (const index of [this.byUid, this.byUserCode]) for (const [key, id] of index) if (!this.entries.has(id)) index.delete(key);
    for (const [grantId, ids] of this.byGrant) {
      for (const id of ids) if (!this.entries.has(id)) ids.delete(id);
      if (ids.size === 0) this.byGrant.delete(grantId);
    }
  }
}

/** The adapter factory oidc-provider calls once per model name. */
export function tenantAdapter(store: TenantStore): (name: string) => Adapter {
  return (name: string) => new TenantAdapter(name, store);
}
