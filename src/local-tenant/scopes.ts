/**
 * The Management API scopes the local tenant knows. Each endpoint of `management-api.ts` checks one
 * or more of them, exactly like Auth0 answers 403 `insufficient_scope` when the token's `scope`
 * claim lacks every scope the endpoint accepts. The system API "Auth0 Management API" of the seeded
 * tenant defines exactly these scopes, so a client grant can hold any of them and no other.
 */
export const MANAGEMENT_SCOPES: readonly string[] = Object.freeze([
  "read:tenant_settings",
  "update:tenant_settings",
  "read:resource_servers",
  "create:resource_servers",
  "update:resource_servers",
  "delete:resource_servers",
  "read:client_grants",
  "create:client_grants",
  "update:client_grants",
  "delete:client_grants",
  "read:connections",
  "update:connections",
  "read:roles",
  "create:roles",
  "update:roles",
  "delete:roles",
  // Auth0 also accepts these finer-grained scopes for the role-membership endpoints.
  "read:role_members",
  "create:role_members",
  "read:users",
  "read:clients",
  "create:clients",
  "update:clients",
  "delete:clients",
  // Auth0 only shows `client_secret` in GET /clients answers to tokens holding this scope.
  "read:client_keys",
  // Rules (deprecated): doctor reads the active ones; the fix it prints turns one off.
  "read:rules",
  "update:rules",
  // GET /custom-domains (see custom-domain.ts).
  "read:custom_domains",
]);

/** "read:tenant_settings" → "Read Tenant Settings", the style of the Dashboard's scope descriptions. */
export function describeScope(scope: string): string {
  return scope
    .split(/[:_]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

/**
 * The only Management API scopes a user-context token can carry on Auth0 (a user logging in with
 * the Management API as audience), listed in "Get Management API Access Tokens for Single-Page
 * Applications" (auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens). Admin
 * scopes come only from client-credentials tokens of applications granted for the API.
 */
export const CURRENT_USER_SCOPES: readonly string[] = Object.freeze([
  "read:current_user",
  "update:current_user_identities",
  "create:current_user_metadata",
  "update:current_user_metadata",
  "delete:current_user_metadata",
  "create:current_user_device_credentials",
  "delete:current_user_device_credentials",
]);
