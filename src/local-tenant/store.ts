import { createHash } from "node:crypto";

import { clientId as newClientId, clientSecret as newClientSecret, prefixedId, resourceServerId, userId as newUserId } from "./ids.js";

/*
 * The state of one local tenant: plain JSON-serializable records shaped like the Management API's
 * own answers, so that handlers can return them (almost) as stored and `dataDir` persistence is a
 * single JSON.stringify. Every record type allows extra keys because Auth0 objects carry many
 * fields that mcp-auth0 never reads; the typed ones are those the local API reasons about.
 */

export interface TenantSettings {
  flags: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ResourceServerScope {
  value: string;
  description?: string;
}

export interface ResourceServer {
  id: string;
  /** Absent when the API was created without one (Auth0 does not default it). */
  name?: string;
  identifier: string;
  is_system?: boolean;
  /** Absent until scopes are given: Auth0 answers no `scopes` key for an API created without any. */
  scopes?: ResourceServerScope[];
  signing_alg: string;
  allow_offline_access: boolean;
  skip_consent_for_verifiable_first_party_clients: boolean;
  token_lifetime: number;
  token_lifetime_for_web: number;
  token_dialect?: string;
  enforce_policies?: boolean;
  [key: string]: unknown;
}

export interface ClientGrant {
  id: string;
  client_id?: string;
  default_for?: string;
  audience: string;
  scope: string[];
  subject_type?: string;
  [key: string]: unknown;
}

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  display_name?: string;
  is_domain_connection: boolean;
  options: Record<string, unknown>;
  enabled_clients: string[];
  realms: string[];
  [key: string]: unknown;
}

export interface Role {
  id: string;
  name: string;
  description?: string;
  [key: string]: unknown;
}

export interface RolePermission {
  resource_server_identifier: string;
  permission_name: string;
}

export interface UserIdentity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
}

export interface User {
  user_id: string;
  email: string;
  email_verified: boolean;
  name: string;
  nickname: string;
  picture: string;
  created_at: string;
  updated_at: string;
  identities: UserIdentity[];
  [key: string]: unknown;
}

export interface Client {
  client_id: string;
  client_secret?: string;
  name: string;
  app_type?: string;
  is_first_party: boolean;
  grant_types: string[];
  /** Absent: client_secret_post. */
  token_endpoint_auth_method?: string;
  callbacks?: string[];
  [key: string]: unknown;
}

/** How many of each entity a tenant may hold. */
export interface EntityLimits {
  applications: number;
  clientGrants: number;
  resourceServers: number;
}

/** What a tenant's plan allows (see plan.ts for Auth0's free plan). */
export interface PlanLimits {
  management?: { perSecond: number; burst: number };
  registration?: { perSecond: number; burst: number };
  entities?: EntityLimits;
  /** Private Key JWT client authentication is an Enterprise feature (docs-v2, register-applications-with-cimd). */
  privateKeyJwt?: false;
  /** The On-Behalf-Of token exchange's bucket at /oauth/token. */
  tokenExchange?: { perSecond: number; burst: number };
}

/** What `state.json` holds. */
export interface TenantState {
  version: 1;
  /** The domain the state was created for; ids of the Management API move with it (see `rebindDomain`). */
  domain: string;
  /** The M2M application that `LocalTenant.m2m` hands out. */
  m2mClientId?: string;
  settings: TenantSettings;
  resourceServers: ResourceServer[];
  clientGrants: ClientGrant[];
  connections: Connection[];
  roles: Role[];
  /** Role id → its permissions, in the order they were added. */
  rolePermissions: Record<string, RolePermission[]>;
  /** Role id → user ids, in the order they were assigned. */
  roleUsers: Record<string, string[]>;
  users: User[];
  clients: Client[];
}

export function managementAudience(domain: string): string {
  return `https://${domain}/api/v2/`;
}

/** Identity providers of the strategies the seed uses; others map to themselves. */
const SOCIAL_STRATEGIES = new Set(["google-oauth2", "github", "facebook", "apple", "windowslive", "linkedin", "twitter"]);

/*
 * Inputs of the helpers. Spelled out rather than derived with Omit<>, which collapses to the index
 * signature on these open record types.
 */
export interface NewResourceServer {
  identifier: string;
  name?: string;
  is_system?: boolean;
  scopes?: ResourceServerScope[];
  signing_alg?: string;
  allow_offline_access?: boolean;
  skip_consent_for_verifiable_first_party_clients?: boolean;
  token_lifetime?: number;
  token_lifetime_for_web?: number;
  token_dialect?: string;
  enforce_policies?: boolean;
  [key: string]: unknown;
}

export interface NewClientGrant {
  client_id?: string;
  default_for?: string;
  audience: string;
  scope?: string[];
  subject_type?: string;
  [key: string]: unknown;
}

export interface NewConnection {
  name: string;
  strategy: string;
  display_name?: string;
  is_domain_connection?: boolean;
  options?: Record<string, unknown>;
  enabled_clients?: string[];
  realms?: string[];
  [key: string]: unknown;
}

export interface NewUser {
  email: string;
  /** Name of the connection the user signed up with; default Username-Password-Authentication. */
  connection?: string;
  user_id?: string;
  name?: string;
  email_verified?: boolean;
  identities?: UserIdentity[];
  [key: string]: unknown;
}

export interface NewClient {
  name: string;
  /** Give it a `tpc_` id, as if an MCP client had registered it through Dynamic Client Registration. */
  dynamic?: boolean;
  client_id?: string;
  client_secret?: string;
  app_type?: string;
  is_first_party?: boolean;
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  callbacks?: string[];
  [key: string]: unknown;
}

/**
 * The live state of a local tenant. Tests may seed it directly through the `add…` helpers (which
 * trust their input: the Management API endpoints validate and check for conflicts before calling
 * them) or read the collections for assertions.
 */
export class TenantStore {
  domain: string;
  m2mClientId: string | undefined;
  settings: TenantSettings;
  resourceServers: ResourceServer[];
  clientGrants: ClientGrant[];
  connections: Connection[];
  roles: Role[];
  rolePermissions: Record<string, RolePermission[]>;
  roleUsers: Record<string, string[]>;
  users: User[];
  clients: Client[];
  /** The plan's limits (see plan.ts): how the tenant was started, not part of its saved state. */
  plan: PlanLimits | undefined;

  private readonly listeners: Array<() => void> = [];
  private clientIndex = new Map<string, number>();
  private indexed: Client[] | undefined;
  private indexedLength = 0;

  constructor(state: TenantState) {
    this.domain = state.domain;
    this.m2mClientId = state.m2mClientId;
    this.settings = state.settings;
    this.resourceServers = state.resourceServers;
    this.clientGrants = state.clientGrants;
    this.connections = state.connections;
    this.roles = state.roles;
    this.rolePermissions = state.rolePermissions;
    this.roleUsers = state.roleUsers;
    this.users = state.users;
    this.clients = state.clients;
  }

  static empty(domain: string): TenantStore {
    return new TenantStore({
      version: 1,
      domain,
      settings: { flags: {} },
      resourceServers: [],
      clientGrants: [],
      connections: [],
      roles: [],
      rolePermissions: {},
      roleUsers: {},
      users: [],
      clients: [],
    });
  }

  toJSON(): TenantState {
    return {
      version: 1,
      domain: this.domain,
      ...(this.m2mClientId ? { m2mClientId: this.m2mClientId } : {}),
      settings: this.settings,
      resourceServers: this.resourceServers,
      clientGrants: this.clientGrants,
      connections: this.connections,
      roles: this.roles,
      rolePermissions: this.rolePermissions,
      roleUsers: this.roleUsers,
      users: this.users,
      clients: this.clients,
    };
  }

  /** Called after every change made through the API or the helpers (persistence listens here). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  get managementAudience(): string {
    return managementAudience(this.domain);
  }

  // ---- look-ups -------------------------------------------------------------------------------

  /** GET/PATCH/DELETE /resource-servers/{id} accept the id or the identifier. */
  findResourceServer(idOrIdentifier: string): ResourceServer | undefined {
    return this.resourceServers.find((rs) => rs.id === idOrIdentifier) ?? this.resourceServers.find((rs) => rs.identifier === idOrIdentifier);
  }

  resourceServerByIdentifier(identifier: string): ResourceServer | undefined {
    return this.resourceServers.find((rs) => rs.identifier === identifier);
  }

  /**
   * Looked up on every OAuth request, among as many clients as MCP clients registered: an index by
   * id, rebuilt whenever `clients` was replaced or changed length (deletions, tests editing it).
   */
  findClient(clientId: string): Client | undefined {
    if (this.indexed !== this.clients || this.indexedLength !== this.clients.length) {
      this.clientIndex = new Map(this.clients.map((c, i) => [c.client_id, i]));
      this.indexed = this.clients;
      this.indexedLength = this.clients.length;
    }
    const at = this.clientIndex.get(clientId);
    const client = at === undefined ? undefined : this.clients[at];
    // An id changed in place: fall back to a scan.
    if (client !== undefined && client.client_id === clientId) return client;
    return at === undefined ? undefined : this.clients.find((c) => c.client_id === clientId);
  }

  /** A client imported from a Client ID Metadata Document, by its URL (`external_client_id`). */
  findCimdClient(url: string): Client | undefined {
    return this.clients.find((c) => c["external_metadata_type"] === "cimd" && c["external_client_id"] === url);
  }

  /**
   * The client an OAuth request names: by its id, or, for a CIMD client, by its metadata URL. Auth0
   * "resolves the provided URL (client_id) to the stored client configuration (external_client_id)"
   * at /authorize and /oauth/token (docs-v2, register-applications-with-cimd); the Management API
   * knows the client by its `tpc_` id only.
   */
  findOAuthClient(clientId: string): Client | undefined {
    return this.findClient(clientId) ?? this.findCimdClient(clientId);
  }

  findRole(id: string): Role | undefined {
    return this.roles.find((r) => r.id === id);
  }

  findUser(id: string): User | undefined {
    return this.users.find((u) => u.user_id === id);
  }

  findConnection(id: string): Connection | undefined {
    return this.connections.find((c) => c.id === id);
  }

  findConnectionByName(name: string): Connection | undefined {
    return this.connections.find((c) => c.name === name);
  }

  // ---- helpers that create records ------------------------------------------------------------

  addResourceServer(input: NewResourceServer): ResourceServer {
    const rs: ResourceServer = {
      ...input,
      id: resourceServerId(),
      identifier: input.identifier,
      signing_alg: input.signing_alg ?? "RS256",
      allow_offline_access: input.allow_offline_access ?? false,
      // An API created through the Management API without it does not skip consent (recorded by
      // go-auth0 and the Terraform provider; only the Dashboard turns it on for new APIs).
      skip_consent_for_verifiable_first_party_clients: input.skip_consent_for_verifiable_first_party_clients ?? false,
      token_lifetime: input.token_lifetime ?? 86400,
      token_lifetime_for_web: input.token_lifetime_for_web ?? 7200,
      // What Auth0 gives a new API: users may get tokens, clients only with a client grant.
      subject_type_authorization: input["subject_type_authorization"] ?? { user: { policy: "allow_all" }, client: { policy: "require_client_grant" } },
    };
    this.resourceServers.push(rs);
    this.changed();
    return rs;
  }

  addClientGrant(input: NewClientGrant): ClientGrant {
    const grant: ClientGrant = { id: prefixedId("cgr"), ...input, scope: input.scope ?? [] };
    this.clientGrants.push(grant);
    this.changed();
    return grant;
  }

  addConnection(input: NewConnection): Connection {
    const connection: Connection = {
      id: prefixedId("con"),
      ...input,
      name: input.name,
      strategy: input.strategy,
      is_domain_connection: input.is_domain_connection ?? false,
      authentication: { active: true },
      connected_accounts: { active: false },
      options: input.options ?? (input.strategy === "auth0" ? databaseConnectionOptions() : {}),
      enabled_clients: input.enabled_clients ?? [],
      realms: input.realms ?? [input.name],
    };
    this.connections.push(connection);
    this.changed();
    return connection;
  }

  addRole(input: { name: string; description?: string }): Role {
    // `type: "tenant"`: a tenant-level role (Auth0 also has organization-level ones).
    const role: Role = { id: prefixedId("rol"), name: input.name, ...(input.description !== undefined ? { description: input.description } : {}), type: "tenant" };
    this.roles.push(role);
    this.changed();
    return role;
  }

  /** Adds permissions a role does not hold yet (Auth0's POST /roles/{id}/permissions is idempotent). */
  addRolePermissions(roleId: string, permissions: RolePermission[]): void {
    const held = (this.rolePermissions[roleId] ??= []);
    for (const p of permissions) {
      if (!held.some((h) => samePermission(h, p))) {
        held.push({ resource_server_identifier: p.resource_server_identifier, permission_name: p.permission_name });
      }
    }
    this.changed();
  }

  removeRolePermissions(roleId: string, permissions: RolePermission[]): void {
    const held = this.rolePermissions[roleId] ?? [];
    this.rolePermissions[roleId] = held.filter((h) => !permissions.some((p) => samePermission(h, p)));
    this.changed();
  }

  /** Assigns users a role does not hold yet (POST /roles/{id}/users is idempotent). */
  addRoleUsers(roleId: string, userIds: string[]): void {
    const held = (this.roleUsers[roleId] ??= []);
    for (const id of userIds) if (!held.includes(id)) held.push(id);
    this.changed();
  }

  /** A user in `connection` (default Username-Password-Authentication), shaped like Auth0's user profile. */
  addUser(input: NewUser): User {
    const { connection: connectionName = "Username-Password-Authentication", ...rest } = input;
    const connection = this.findConnectionByName(connectionName);
    const strategy = connection?.strategy ?? "auth0";
    const provider = strategy === "auth0" ? "auth0" : strategy;
    const id = input.user_id ?? newUserId(provider);
    const now = new Date().toISOString();
    const nickname = input.email.split("@")[0] ?? input.email;
    const user: User = {
      created_at: now,
      updated_at: now,
      email_verified: false,
      name: input.email,
      nickname,
      picture: `https://s.gravatar.com/avatar/${createHash("md5").update(input.email.trim().toLowerCase()).digest("hex")}?s=480&r=pg&d=mp`,
      ...rest,
      user_id: id,
      email: input.email,
      identities: input.identities ?? [
        {
          connection: connectionName,
          provider,
          user_id: id.slice(id.indexOf("|") + 1),
          isSocial: SOCIAL_STRATEGIES.has(strategy),
        },
      ],
    };
    this.users.push(user);
    this.changed();
    return user;
  }

  /**
   * An application; `dynamic: true` gives it a `tpc_` id as if an MCP client had registered it through DCR.
   * A Custom API client (`app_type: "resource_server"`) is linked to the API it names: that API then
   * reads back with its `client_id` (recorded by go-auth0 and the Terraform provider).
   */
  addClient(input: NewClient): Client {
    const { dynamic, ...rest } = input;
    const appType = rest.app_type;
    const customApi = appType === "resource_server";
    const isPublic = appType === "spa" || appType === "native" || rest.token_endpoint_auth_method === "none";
    // The keys and defaults Auth0 answers a creation with (recorded by the Terraform provider):
    // no empty URL lists, no `tenant`/`global`.
    const client: Client = {
      is_first_party: !dynamic,
      is_token_endpoint_ip_header_trusted: false,
      oidc_conformant: true,
      // Recorded: `alg` for a third-party client and a Custom API client, which has no ID token lifetime.
      jwt_configuration: customApi
        ? { secret_encoded: false, alg: "RS256" }
        : { secret_encoded: false, ...(dynamic || rest.is_first_party === false ? { alg: "RS256" } : {}), lifetime_in_seconds: 36000 },
      sso_disabled: false,
      cross_origin_authentication: false,
      grant_types: defaultGrantTypes(appType),
      custom_login_page_on: true,
      refresh_token: {
        rotation_type: "non-rotating",
        expiration_type: "non-expiring",
        leeway: 0,
        token_lifetime: 2592000,
        infinite_token_lifetime: true,
        infinite_idle_token_lifetime: true,
        idle_token_lifetime: 1296000,
      },
      // A client created with nothing but a name has no method (recorded), nor has a Custom API
      // client (recorded); other application types imply one.
      ...(isPublic ? { token_endpoint_auth_method: "none" } : appType !== undefined && !customApi ? { token_endpoint_auth_method: "client_secret_post" } : {}),
      ...rest,
      client_id: rest.client_id ?? newClientId(dynamic ? "dynamic" : "first_party"),
      name: rest.name,
    };
    if (client.token_endpoint_auth_method !== "none" && client.client_secret === undefined) {
      client.client_secret = newClientSecret();
    }
    this.clients.push(client);
    if (customApi && typeof client["resource_server_identifier"] === "string") {
      const api = this.resourceServerByIdentifier(client["resource_server_identifier"]);
      if (api) api["client_id"] = client.client_id;
    }
    this.changed();
    return client;
  }

  // ---- deletions with Auth0's cascades --------------------------------------------------------

  /** Deleting an API also deletes its client grants and the role permissions that named its scopes. */
  deleteResourceServer(rs: ResourceServer): void {
    this.resourceServers = this.resourceServers.filter((r) => r !== rs);
    this.clientGrants = this.clientGrants.filter((g) => g.audience !== rs.identifier);
    for (const roleId of Object.keys(this.rolePermissions)) {
      this.rolePermissions[roleId] = (this.rolePermissions[roleId] ?? []).filter((p) => p.resource_server_identifier !== rs.identifier);
    }
    this.changed();
  }

  /** Deleting a role removes it from every user that held it. */
  deleteRole(role: Role): void {
    this.roles = this.roles.filter((r) => r !== role);
    delete this.rolePermissions[role.id];
    delete this.roleUsers[role.id];
    this.changed();
  }

  /**
   * Deleting an application deletes its grants and disables it on every connection; a Custom API
   * client's API no longer names it (inferred: Auth0's answer after such a deletion is not recorded).
   */
  deleteClient(client: Client): void {
    this.clients = this.clients.filter((c) => c !== client);
    for (const api of this.resourceServers) if (api["client_id"] === client.client_id) delete api["client_id"];
    this.clientGrants = this.clientGrants.filter((g) => g.client_id !== client.client_id);
    for (const connection of this.connections) {
      connection.enabled_clients = connection.enabled_clients.filter((id) => id !== client.client_id);
    }
    this.changed();
  }

  rolesOfUser(userId: string): Role[] {
    return this.roles.filter((role) => (this.roleUsers[role.id] ?? []).includes(userId));
  }

  /**
   * A restarted dev tenant with a persisted state may listen on another port. The Management API's
   * identifier (and every grant or permission that names it) follows the domain, as it does on
   * Auth0 where the system API is always `https://{tenant domain}/api/v2/`.
   */
  rebindDomain(domain: string): void {
    if (domain === this.domain) return;
    const from = managementAudience(this.domain);
    const to = managementAudience(domain);
    for (const rs of this.resourceServers) if (rs.is_system && rs.identifier === from) rs.identifier = to;
    for (const grant of this.clientGrants) if (grant.audience === from) grant.audience = to;
    for (const permissions of Object.values(this.rolePermissions)) {
      for (const p of permissions) if (p.resource_server_identifier === from) p.resource_server_identifier = to;
    }
    if (this.settings["default_audience"] === from) this.settings["default_audience"] = to;
    this.domain = domain;
    this.changed();
  }
}

export function samePermission(a: RolePermission, b: RolePermission): boolean {
  return a.resource_server_identifier === b.resource_server_identifier && a.permission_name === b.permission_name;
}

/** The options Auth0 gives a new database connection (recorded by the Terraform provider). */
function databaseConnectionOptions(): Record<string, unknown> {
  return {
    mfa: { active: true, return_enroll_settings: true },
    passwordPolicy: "good",
    strategy_version: 2,
    authentication_methods: { password: { enabled: true, api_behavior: "required" }, passkey: { enabled: false } },
    passkey_options: { challenge_ui: "both", progressive_enrollment_enabled: true, local_enrollment_enabled: true },
    brute_force_protection: true,
  };
}

/** Auth0's defaults per application type when `grant_types` is not sent. */
function defaultGrantTypes(appType: string | undefined): string[] {
  switch (appType) {
    case "non_interactive":
      return ["client_credentials"];
    case "spa":
    case "native":
      return ["authorization_code", "implicit", "refresh_token"];
    // A Custom API client has no grant types, On-Behalf-Of token exchange enabled or not (recorded).
    case "resource_server":
      return [];
    default:
      return ["authorization_code", "implicit", "refresh_token", "client_credentials"];
  }
}
