import type { ResourceServer as ResourceServerInfo } from "oidc-provider";

import { CURRENT_USER_SCOPES } from "../scopes.js";
import type { Client, ClientGrant, Connection, ResourceServer, TenantStore, User } from "../store.js";

/*
 * The rules by which an Auth0 tenant's settings and resources decide what an OAuth client gets.
 * Pure functions over the TenantStore, read at every request, so that a change made through the
 * Management API (or by `mcp-auth0 init`) takes effect on the next authorization, as on Auth0.
 */

/** Scopes that belong to OpenID Connect rather than to an API. */
export const OIDC_SCOPES = ["openid", "profile", "email"] as const;

/** Auth0's messages, quoted by the tests and the report. */
export const AUTH0_ERRORS = {
  noConnections: "no connections enabled for the client",
  consentDenied: "User did not authorize the request",
  serviceNotFound: (audience: string) => `Service not found: ${audience}`,
  notGranted: (audience: string) =>
    `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
  dcrDisabled: "Dynamic client registration is disabled for this tenant",
  userinfoAudience: "The userinfo audience is not allowed for third party clients. Please specify a valid API audience.",
  // Seen on Auth0's error page (HTTP 400) for a client id it does not know, a CIMD URL never imported included.
  unknownClient: (clientId: string) => `Unknown client: ${clientId}`,
  // Quoted by users of Auth0 in public reports (the error page's technical details).
  callbackMismatch: (redirectUri: string) => `Callback URL mismatch. ${redirectUri} is not in the list of allowed callback URLs`,
  // Auth0 documents only the `invalid_request` code for these; the text is ours (unverified).
  unsupportedParameters: (names: string) => `The following parameters are not supported for third-party applications: ${names}`,
} as const;

/**
 * The `/authorize` parameters Auth0 refuses for strict third-party clients with `invalid_request`
 * (docs-v2, third-party-applications/security-controls, "Not supported"); every other standard
 * parameter is allowed.
 */
export const STRICT_REFUSED_PARAMETERS = ["claims", "id_token_hint", "invitation", "login_ticket", "request", "request_uri", "screen_hint"] as const;

/** Clients registered through DCR (and any created with `is_first_party: false`) are third-party clients. */
export function isThirdParty(client: Client): boolean {
  return client.is_first_party === false;
}

/**
 * Since April 2026 Auth0 registers DCR (and CIMD) clients in strict mode, with `tpc_` ids; tenants
 * that had third-party clients before may have `dynamic_client_registration_security_mode` unset
 * or "permissive", and their DCR clients get ordinary ids and no strict controls.
 */
export function strictRegistration(store: TenantStore): boolean {
  return store.settings["dynamic_client_registration_security_mode"] === "strict";
}

export function isStrictThirdParty(client: Client): boolean {
  return isThirdParty(client) && client["third_party_security_mode"] === "strict";
}

/**
 * `redirection_policy` (auth0 SDK `ClientRedirectionPolicyEnum`): `open_redirect_protection`, the
 * default for strict third-party clients, "shows an error page instead of redirecting" to the
 * callback on authentication errors; `allow_always` redirects.
 */
export function showsErrorPage(client: Client): boolean {
  return isStrictThirdParty(client) && client["redirection_policy"] !== "allow_always";
}

/** Discovery advertises Client ID Metadata Documents only when the tenant setting is on. */
export function cimdSupported(store: TenantStore): boolean {
  return store.settings["client_id_metadata_document_supported"] === true;
}

/** `resource_parameter_profile: compatibility` makes RFC 8707's `resource` an alias of Auth0's `audience`. */
export function resourceIsAudience(store: TenantStore): boolean {
  return store.settings["resource_parameter_profile"] === "compatibility";
}

export function defaultAudience(store: TenantStore): string | undefined {
  const value = store.settings["default_audience"];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function dcrEnabled(store: TenantStore): boolean {
  return store.settings.flags["enable_dynamic_client_registration"] === true;
}

/** RFC 9207: Auth0 adds `iss` to authorization responses only when the tenant setting is on. */
export function issInAuthorizationResponses(store: TenantStore): boolean {
  return store.settings["authorization_response_iss_parameter_supported"] === true;
}

export function scopeDescriptionsForConsent(store: TenantStore): boolean {
  return store.settings.flags["use_scope_descriptions_for_consent"] === true;
}

/**
 * The connections a client may log users in with. Third-party clients only see domain-level
 * connections ("Third-party applications can only authenticate users through domain-level
 * connections"); first-party clients see the connections that enable them.
 */
export function connectionsFor(store: TenantStore, client: Client): Connection[] {
  return isThirdParty(client) ? store.connections.filter((c) => c.is_domain_connection) : store.connections.filter((c) => c.enabled_clients.includes(client.client_id));
}

export function connectionOf(user: User): string | undefined {
  return user.identities[0]?.connection;
}

export function usersOf(store: TenantStore, connection: Connection): User[] {
  return store.users.filter((u) => connectionOf(u) === connection.name);
}

/** The users who can log in to this client, with their connection, in the store's order. */
export function loginCandidates(store: TenantStore, client: Client): Array<{ user: User; connection: Connection }> {
  return connectionsFor(store, client).flatMap((connection) => usersOf(store, connection).map((user) => ({ user, connection })));
}

/**
 * The grant that lets a client use an API on behalf of its users. A grant made for the client itself wins
 * over the tenant's default grant for third-party clients (`default_for: "third_party_clients"`).
 */
export function clientGrantFor(store: TenantStore, client: Client, audience: string): ClientGrant | undefined {
  // Only grants for user access count for a user's login: `subject_type: "client"` is client-credentials access.
  const userGrant = (g: ClientGrant) => g.audience === audience && g.subject_type === "user";
  return (
    store.clientGrants.find((g) => userGrant(g) && g.client_id === client.client_id) ??
    (isThirdParty(client) ? store.clientGrants.find((g) => userGrant(g) && g.default_for === "third_party_clients") : undefined)
  );
}

/** The permissions a user holds for an API through their roles. */
export function userPermissions(store: TenantStore, userId: string, audience: string): string[] {
  const held = new Set<string>();
  for (const role of store.rolesOfUser(userId)) {
    for (const p of store.rolePermissions[role.id] ?? []) {
      if (p.resource_server_identifier === audience) held.add(p.permission_name);
    }
  }
  return [...held];
}

/** RBAC on (`enforce_policies`): the scopes a user gets are limited to their permissions. */
export function rbacEnabled(api: ResourceServer): boolean {
  return api.enforce_policies === true;
}

/** `access_token_authz` and `rfc9068_profile_authz` add a `permissions` claim, which needs RBAC on to mean anything. */
export function addsPermissionsClaim(api: ResourceServer): boolean {
  return (api.token_dialect ?? "").endsWith("_authz") && rbacEnabled(api);
}

/**
 * The scopes of an API that a client may obtain for a user: the API's scopes, limited by the
 * client grant for third-party clients (which get nothing without one) and by the user's
 * permissions when RBAC is on.
 */
export function grantableScopes(store: TenantStore, client: Client, userId: string, api: ResourceServer): string[] {
  let scopes = scopesForUsers(store, api);
  if (isThirdParty(client)) {
    const grant = clientGrantFor(store, client, api.identifier);
    scopes = grant ? scopes.filter((s) => grant["allow_all_scopes"] === true || grant.scope.includes(s)) : [];
  }
  if (rbacEnabled(api)) {
    const permissions = new Set(userPermissions(store, userId, api.identifier));
    scopes = scopes.filter((s) => permissions.has(s));
  }
  return scopes;
}

/**
 * The scopes of an API that a user-context token may carry at all: for the Management API only the
 * `current_user` scopes (its admin scopes come from client credentials alone), else the API's own.
 */
export function scopesForUsers(store: TenantStore, api: ResourceServer): string[] {
  if (api.is_system === true && api.identifier === store.managementAudience) return [...CURRENT_USER_SCOPES];
  return (api.scopes ?? []).map((s) => s.value);
}

/** What oidc-provider needs to know of an API to issue its access tokens: RS256 JWTs with the API's lifetime. */
export function resourceServerInfo(store: TenantStore, api: ResourceServer): ResourceServerInfo {
  return {
    scope: scopesForUsers(store, api).join(" "),
    audience: api.identifier,
    accessTokenTTL: api.token_lifetime,
    accessTokenFormat: "jwt",
    jwt: { sign: { alg: "RS256" } },
  };
}

/** What a consent screen shows for a scope: its description when the tenant flag says so. */
export function scopeLabel(store: TenantStore, api: ResourceServer | undefined, scope: string): string {
  if (!scopeDescriptionsForConsent(store)) return scope;
  const description = api?.scopes?.find((s) => s.value === scope)?.description;
  return description ? description : scope;
}
