import { MANAGEMENT_SCOPES, describeScope } from "./scopes.js";
import type { Client, TenantStore } from "./store.js";

/**
 * Tenant settings of a tenant created today, as far as mcp-auth0 reads them: Dynamic Client
 * Registration off, the `audience` resource parameter profile, no default audience, third-party
 * clients in `strict` mode, and no RFC 9207 `iss` parameter.
 */
export function freshTenantSettings(domain: string): TenantStore["settings"] {
  const tenantName = domain.split(":")[0] ?? "localhost";
  return {
    friendly_name: `${tenantName} (mcp-auth0 local tenant)`,
    picture_url: "https://cdn.auth0.com/manhattan/versions/1.4478.0/assets/badge.png",
    support_email: "",
    support_url: "",
    allowed_logout_urls: [],
    session_lifetime: 72,
    idle_session_lifetime: 72,
    sandbox_version: "22",
    sandbox_versions_available: ["22", "18"],
    enabled_locales: ["en"],
    flags: {
      enable_dynamic_client_registration: false,
      enable_client_connections: true,
      use_scope_descriptions_for_consent: false,
      revoke_refresh_token_grant: false,
      disable_clickjack_protection_headers: false,
      enable_apis_section: false,
      enable_pipeline2: false,
      enable_public_signup_user_exists_error: true,
      allow_legacy_delegation_grant_types: false,
      allow_legacy_ro_grant_types: false,
      allow_legacy_tokeninfo_endpoint: false,
      enable_legacy_profile: false,
      enable_idtoken_api2: false,
      enable_sso: true,
      disable_impersonation: true,
      change_pwd_flow_v1: false,
    },
    resource_parameter_profile: "audience",
    authorization_response_iss_parameter_supported: false,
    client_id_metadata_document_supported: false,
    skip_non_verifiable_callback_uri_confirmation_prompt: false,
    dynamic_client_registration_security_mode: "strict",
    sessions: { oidc_logout_prompt_enabled: true },
    oidc_logout: { rp_logout_end_session_endpoint_discovery: true },
  };
}

/**
 * What every tenant has, seeded or not: its settings, the system API "Auth0 Management API"
 * (identifier `https://{domain}/api/v2/`, defining every scope of MANAGEMENT_SCOPES), and the M2M
 * application that `LocalTenant.m2m` hands out, granted all of those scopes.
 */
export function initTenant(store: TenantStore): void {
  store.settings = freshTenantSettings(store.domain);
  store.addResourceServer({
    name: "Auth0 Management API",
    identifier: store.managementAudience,
    is_system: true,
    scopes: MANAGEMENT_SCOPES.map((value) => ({ value, description: describeScope(value) })),
    signing_alg: "RS256",
    allow_offline_access: false,
    skip_consent_for_verifiable_first_party_clients: false,
    token_lifetime: 86400,
    token_lifetime_for_web: 7200,
  });
  const m2m = addM2MApplication(store, "mcp-auth0 local (Management API)", MANAGEMENT_SCOPES);
  store.m2mClientId = m2m.client_id;
  store.changed();
}

/**
 * The sample content of a new tenant: Auth0's two default connections (neither domain level, so
 * DCR clients cannot log in until one is promoted) and three users.
 */
export function seedSampleData(store: TenantStore): void {
  store.addConnection({
    name: "Username-Password-Authentication",
    strategy: "auth0",
    display_name: "Username-Password-Authentication",
    options: {
      mfa: { active: true, return_enroll_settings: true },
      passwordPolicy: "good",
      strategy_version: 2,
      brute_force_protection: true,
      authentication_methods: { password: { enabled: true }, passkey: { enabled: false } },
    },
  });
  store.addConnection({
    name: "google-oauth2",
    strategy: "google-oauth2",
    display_name: "Google",
    options: { email: true, profile: true, scope: ["email", "profile"] },
  });

  store.addUser({ email: "admin@example.com", name: "Admin Example", email_verified: true });
  store.addUser({ email: "user@example.com", name: "User Example", email_verified: true });
  store.addUser({ email: "google.user@example.com", name: "Google User", email_verified: true, connection: "google-oauth2" });
}

/**
 * A machine-to-machine application granted `scopes` of the Management API. With no scope at all it
 * gets no client grant, so its token request fails with 403 as on Auth0.
 */
export function addM2MApplication(store: TenantStore, name: string, scopes: readonly string[]): Client {
  const unknown = scopes.filter((s) => !MANAGEMENT_SCOPES.includes(s));
  if (unknown.length > 0) {
    throw new Error(`Not a scope of the local Management API: ${unknown.join(", ")}`);
  }
  const client = store.addClient({
    name,
    app_type: "non_interactive",
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "client_secret_post",
  });
  if (scopes.length > 0) {
    store.addClientGrant({ client_id: client.client_id, audience: store.managementAudience, scope: [...scopes], subject_type: "client" });
  }
  return client;
}
