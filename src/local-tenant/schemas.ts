import { z } from "zod";

import { ApiError } from "./http.js";

/*
 * Request bodies of the Management API endpoints the local tenant serves. Every object is strict:
 * Auth0 answers 400 "Additional properties not allowed" for any property its schema does not know,
 * which is how a typo in a field name surfaces instead of being silently ignored. Fields that
 * mcp-auth0 never sends but the auth0 v7 SDK declares are accepted with loose types, so that a
 * valid request is never refused here when Auth0 would take it.
 */

const looseObject = z.record(z.string(), z.unknown());
/** Auth0 rejects `<` and `>` in display names (API, application). */
const safeName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^<>]*$/);

export const SIGNING_ALGS = ["HS256", "RS256", "RS512", "PS256"] as const;
/** The `_authz` dialects add a `permissions` claim; they are only useful with `enforce_policies: true`. */
export const TOKEN_DIALECTS = ["access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"] as const;

// ---- tenant settings ----------------------------------------------------------------------------

export const updateTenantSettingsSchema = z.strictObject({
  // Flags are a bag of booleans; new ones appear regularly (use_scope_descriptions_for_consent is
  // not even in the SDK's types), so any boolean key is accepted.
  flags: z.record(z.string(), z.boolean()).optional(),
  resource_parameter_profile: z.enum(["audience", "compatibility"]).optional(),
  authorization_response_iss_parameter_supported: z.boolean().nullable().optional(),
  default_audience: z.string().max(600).optional(),
  default_directory: z.string().max(200).optional(),
  client_id_metadata_document_supported: z.boolean().optional(),
  dynamic_client_registration_security_mode: z.enum(["strict", "permissive"]).optional(),
  skip_non_verifiable_callback_uri_confirmation_prompt: z.boolean().nullable().optional(),
  friendly_name: z.string().max(255).optional(),
  support_email: z.string().max(255).optional(),
  support_url: z.string().max(255).optional(),
  picture_url: z.string().max(255).optional(),
  allowed_logout_urls: z.array(z.string()).optional(),
  session_lifetime: z.number().optional(),
  session_lifetime_in_minutes: z.number().int().optional(),
  idle_session_lifetime: z.number().optional(),
  idle_session_lifetime_in_minutes: z.number().int().optional(),
  ephemeral_session_lifetime: z.number().optional(),
  idle_ephemeral_session_lifetime: z.number().optional(),
  ephemeral_session_lifetime_in_minutes: z.number().int().optional(),
  idle_ephemeral_session_lifetime_in_minutes: z.number().int().optional(),
  sandbox_version: z.string().optional(),
  legacy_sandbox_version: z.string().optional(),
  default_redirection_uri: z.string().optional(),
  enabled_locales: z.array(z.string()).optional(),
  change_password: looseObject.nullable().optional(),
  device_flow: looseObject.nullable().optional(),
  guardian_mfa_page: looseObject.nullable().optional(),
  error_page: looseObject.nullable().optional(),
  default_token_quota: looseObject.nullable().optional(),
  security_headers: looseObject.nullable().optional(),
  session_cookie: looseObject.nullable().optional(),
  sessions: looseObject.nullable().optional(),
  oidc_logout: looseObject.optional(),
  customize_mfa_in_postlogin_action: z.boolean().nullable().optional(),
  allow_organization_name_in_authentication_api: z.boolean().nullable().optional(),
  acr_values_supported: z.array(z.string()).nullable().optional(),
  mtls: looseObject.nullable().optional(),
  pushed_authorization_requests_supported: z.boolean().nullable().optional(),
  enable_ai_guide: z.boolean().optional(),
  phone_consolidated_experience: z.boolean().optional(),
  include_session_metadata_in_tenant_logs: z.boolean().optional(),
  country_codes: looseObject.nullable().optional(),
});

// ---- resource servers ---------------------------------------------------------------------------

export const resourceServerScopeSchema = z.strictObject({
  value: z.string().min(1).max(280),
  description: z.string().max(500).optional(),
});

/**
 * Who may get tokens for an API (auth0 v7 `ResourceServerSubjectTypeAuthorization`): users through
 * any application (`allow_all`, the default), only applications holding a client grant
 * (`require_client_grant`, what Auth0's On-Behalf-Of guide sets on the downstream API), or none.
 * The SDK lets each entry carry more keys; the policy itself must be one Auth0 knows.
 */
const subjectTypeAuthorizationSchema = z.strictObject({
  user: z.looseObject({ policy: z.enum(["allow_all", "deny_all", "require_client_grant"]).optional() }).optional(),
  client: z.looseObject({ policy: z.enum(["deny_all", "require_client_grant"]).optional() }).optional(),
  anonymous_user: looseObject.optional(),
});

const resourceServerFields = {
  name: safeName.optional(),
  scopes: z.array(resourceServerScopeSchema).optional(),
  signing_alg: z.enum(SIGNING_ALGS).optional(),
  signing_secret: z.string().min(16).optional(),
  allow_offline_access: z.boolean().optional(),
  allow_online_access: z.boolean().optional(),
  allow_online_access_with_ephemeral_sessions: z.boolean().optional(),
  token_lifetime: z.number().int().min(0).max(2592000).optional(),
  token_lifetime_for_web: z.number().int().min(0).max(2592000).optional(),
  token_lifetime_for_anonymous_access_tokens: z.number().int().nullable().optional(),
  token_dialect: z.enum(TOKEN_DIALECTS).optional(),
  skip_consent_for_verifiable_first_party_clients: z.boolean().optional(),
  enforce_policies: z.boolean().optional(),
  token_encryption: looseObject.nullable().optional(),
  consent_policy: z.string().nullable().optional(),
  authorization_details: z.array(z.unknown()).nullable().optional(),
  proof_of_possession: looseObject.nullable().optional(),
  subject_type_authorization: subjectTypeAuthorizationSchema.optional(),
  authorization_policy: looseObject.nullable().optional(),
};

export const createResourceServerSchema = z.strictObject({
  identifier: z.string().min(1).max(600),
  ...resourceServerFields,
});

/** The identifier is immutable: sending it in a PATCH is an unknown property, as on Auth0. */
export const updateResourceServerSchema = z.strictObject(resourceServerFields);

// ---- client grants ------------------------------------------------------------------------------

export const createClientGrantSchema = z.strictObject({
  client_id: z.string().min(1).optional(),
  audience: z.string().min(1).max(600),
  default_for: z.enum(["third_party_clients"]).optional(),
  organization_usage: z.enum(["deny", "allow", "require"]).optional(),
  allow_any_organization: z.boolean().optional(),
  scope: z.array(z.string().min(1).max(280)).optional(),
  subject_type: z.enum(["user", "client"]).optional(),
  authorization_details_types: z.array(z.string()).optional(),
  allow_all_scopes: z.boolean().optional(),
});

export const updateClientGrantSchema = z.strictObject({
  scope: z.array(z.string().min(1).max(280)).nullable().optional(),
  organization_usage: z.enum(["deny", "allow", "require"]).nullable().optional(),
  allow_any_organization: z.boolean().nullable().optional(),
  authorization_details_types: z.array(z.string()).optional(),
  allow_all_scopes: z.boolean().nullable().optional(),
});

// ---- connections --------------------------------------------------------------------------------

/** `name` and `strategy` cannot change after creation, so they are unknown properties here. */
export const updateConnectionSchema = z.strictObject({
  display_name: z.string().max(128).optional(),
  options: looseObject.nullable().optional(),
  enabled_clients: z.array(z.string()).nullable().optional(),
  is_domain_connection: z.boolean().optional(),
  show_as_button: z.boolean().optional(),
  realms: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.string().max(255)).optional(),
  authentication: looseObject.optional(),
  connected_accounts: looseObject.optional(),
  cross_app_access_requesting_app: looseObject.optional(),
  cross_app_access_resource_app: looseObject.nullable().optional(),
});

/**
 * `PATCH /connections/{id}/clients`: a bare array, at most 50 clients per request, each enabled
 * (`status: true`) or disabled for the connection. Clients not listed are left as they are.
 */
export const updateEnabledClientsSchema = z
  .array(
    z.strictObject({
      client_id: z.string().min(1),
      status: z.boolean(),
    }),
  )
  .min(1)
  .max(50);

// ---- roles --------------------------------------------------------------------------------------

export const createRoleSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(500).optional(),
  type: z.string().optional(),
  owner_id: z.string().optional(),
});

export const updateRoleSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(500).optional(),
});

export const rolePermissionsSchema = z.strictObject({
  permissions: z
    .array(
      z.strictObject({
        resource_server_identifier: z.string().min(1).max(600),
        permission_name: z.string().min(1).max(280),
      }),
    )
    .min(1),
});

export const roleUsersSchema = z.strictObject({
  users: z.array(z.string().min(1)).min(1),
});

// ---- clients ------------------------------------------------------------------------------------

/**
 * The token exchanges a client may perform (auth0 v7 `ClientTokenExchangeTypeEnum`, the Terraform
 * provider's `ValidTokenExchangeProfileTypes`): `on_behalf_of_token_exchange` (GA; Auth0's OBO guide
 * turns it on for the Custom API client) and `custom_authentication` (Custom Token Exchange).
 */
const TOKEN_EXCHANGE_TYPES = ["custom_authentication", "on_behalf_of_token_exchange"] as const;
const tokenExchangeSchema = z.strictObject({ allow_any_profile_of_type: z.array(z.enum(TOKEN_EXCHANGE_TYPES)).optional() });

const clientFields = {
  description: z.string().max(140).optional(),
  logo_uri: z.string().optional(),
  callbacks: z.array(z.string()).optional(),
  allowed_origins: z.array(z.string()).optional(),
  web_origins: z.array(z.string()).optional(),
  client_aliases: z.array(z.string()).optional(),
  allowed_clients: z.array(z.string()).optional(),
  allowed_logout_urls: z.array(z.string()).optional(),
  grant_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.enum(["none", "client_secret_post", "client_secret_basic"]).optional(),
  is_token_endpoint_ip_header_trusted: z.boolean().optional(),
  app_type: z.string().min(1).optional(),
  is_first_party: z.boolean().optional(),
  oidc_conformant: z.boolean().optional(),
  jwt_configuration: looseObject.optional(),
  encryption_key: looseObject.nullable().optional(),
  sso: z.boolean().optional(),
  sso_disabled: z.boolean().optional(),
  cross_origin_authentication: z.boolean().optional(),
  cross_origin_loc: z.string().nullable().optional(),
  custom_login_page_on: z.boolean().optional(),
  custom_login_page: z.string().optional(),
  custom_login_page_preview: z.string().optional(),
  form_template: z.string().optional(),
  addons: looseObject.optional(),
  client_metadata: z.record(z.string(), z.string()).optional(),
  mobile: looseObject.optional(),
  initiate_login_uri: z.string().optional(),
  native_social_login: looseObject.nullable().optional(),
  fedcm_login: looseObject.nullable().optional(),
  refresh_token: looseObject.nullable().optional(),
  default_organization: looseObject.nullable().optional(),
  organization_usage: z.string().nullable().optional(),
  organization_require_behavior: z.string().nullable().optional(),
  organization_discovery_methods: z.array(z.string()).nullable().optional(),
  client_authentication_methods: looseObject.nullable().optional(),
  require_pushed_authorization_requests: z.boolean().optional(),
  require_proof_of_possession: z.boolean().optional(),
  signed_request_object: looseObject.optional(),
  token_vault_privileged_access: looseObject.optional(),
  compliance_level: z.string().nullable().optional(),
  skip_non_verifiable_callback_uri_confirmation_prompt: z.boolean().nullable().optional(),
  token_exchange: tokenExchangeSchema.nullable().optional(),
  par_request_expiry: z.number().int().nullable().optional(),
  token_quota: looseObject.nullable().optional(),
  oidc_logout: looseObject.optional(),
  oidc_backchannel_logout: looseObject.optional(),
  session_transfer: looseObject.nullable().optional(),
  identity_assertion_authorization_grant: looseObject.nullable().optional(),
  anonymous_sessions: looseObject.nullable().optional(),
  third_party_security_mode: z.enum(["strict", "permissive"]).optional(),
  redirection_policy: z.string().optional(),
  express_configuration: looseObject.nullable().optional(),
  b2b_integration_configuration: looseObject.optional(),
  my_organization_configuration: looseObject.nullable().optional(),
  async_approval_notification_channels: looseObject.nullable().optional(),
};

export const createClientSchema = z.strictObject({
  name: safeName,
  resource_server_identifier: z.string().optional(),
  ...clientFields,
});

export const updateClientSchema = z.strictObject({
  name: safeName.optional(),
  client_secret: z.string().min(1).optional(),
  ...clientFields,
});

// ---- error messages -----------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

/** `["scopes", 0, "value"]` → `scopes[0].value`, the way Auth0 names a property in its messages. */
function propertyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/**
 * Auth0 validates payloads with a JSON-schema validator and reports the first failure as
 * `Payload validation error: '<reason>' on property <path> (<description>).`; the reasons below use
 * that validator's wording. The property description is omitted here.
 */
function describeIssue(issue: Issue): { reason: string; path: readonly PropertyKey[] } {
  // JSON has no undefined, so an undefined input is a property that was not sent.
  const input: unknown = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys":
      return { reason: `Additional properties not allowed: ${issue.keys[0] ?? ""}`, path: issue.path };
    case "invalid_type":
      if (input === undefined) {
        // A missing property is reported on its parent object.
        return { reason: `Missing required property: ${String(issue.path.at(-1))}`, path: issue.path.slice(0, -1) };
      }
      return { reason: `Expected type ${issue.expected === "int" ? "integer" : issue.expected} but found type ${jsonType(input)}`, path: issue.path };
    case "too_big":
      if (issue.origin === "string") return { reason: `String is too long (${String(input).length} chars), maximum ${String(issue.maximum)}`, path: issue.path };
      if (issue.origin === "array") return { reason: `Array is too long (${Array.isArray(input) ? input.length : "?"}), maximum ${String(issue.maximum)}`, path: issue.path };
      return { reason: `Value ${String(input)} is greater than maximum ${String(issue.maximum)}`, path: issue.path };
    case "too_small":
      if (issue.origin === "string") return { reason: `String is too short (${String(input).length} chars), minimum ${String(issue.minimum)}`, path: issue.path };
      if (issue.origin === "array") return { reason: `Array is too short (${Array.isArray(input) ? input.length : "?"}), minimum ${String(issue.minimum)}`, path: issue.path };
      return { reason: `Value ${String(input)} is less than minimum ${String(issue.minimum)}`, path: issue.path };
    case "invalid_value":
      return { reason: `No enum match for: ${JSON.stringify(input)}`, path: issue.path };
    case "invalid_format":
      if (issue.format === "regex" && "pattern" in issue && typeof issue.pattern === "string") {
        return { reason: `String does not match pattern: ${issue.pattern.replace(/^\/|\/[a-z]*$/g, "")}`, path: issue.path };
      }
      return { reason: `Invalid ${issue.format}`, path: issue.path };
    default:
      return { reason: issue.message, path: issue.path };
  }
}

export function payloadValidationMessage(reason: string, path: readonly PropertyKey[] = []): string {
  const property = propertyPath(path);
  return `Payload validation error: '${reason}'${property ? ` on property ${property}` : ""}.`;
}

/** An unknown property is the most useful thing to report, so it wins over other failures. */
function pickIssue(issues: readonly Issue[]): Issue | undefined {
  const unknown = issues.filter((i) => i.code === "unrecognized_keys").sort((a, b) => a.path.length - b.path.length);
  return unknown[0] ?? issues[0];
}

/** Parses `body` or throws Auth0's 400 `invalid_body`. */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = pickIssue(result.error.issues);
  const { reason, path } = issue ? describeIssue(issue) : { reason: "Invalid payload", path: [] };
  throw new ApiError(400, payloadValidationMessage(reason, path), "invalid_body");
}
