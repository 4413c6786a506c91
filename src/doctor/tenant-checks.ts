import type { TenantState } from "../resources/tenant-state.js";
import type { RoleHolding } from "../resources/roles.js";
import { API_SETTINGS } from "../resources/resource-server.js";
import type { Check } from "./check.js";
import type { Fixes } from "./fixes.js";
import type { ClientSummary } from "./tenant-usage-checks.js";
import { isThirdPartyClient } from "../resources/application.js";

export interface TenantFacts extends TenantState {
  identifier: string;
  /** Permissions of this API held by each role; undefined skips the role checks. */
  rolePermissions?: RoleHolding[];
  /** Connections the user expects to be domain level (doctor --connections). */
  expectedConnections: string[];
  /** Runnable fixes for this tenant and API. */
  fix: Fixes;
  /** The tenant's applications when read (doctor): they tell an unset DCR security mode. */
  clients?: ClientSummary[];
}

/** What the tenant's DCR security mode means for the clients MCP clients register (AUTH0-FACTS). */
const SECURITY_MODES: Record<string, string> = {
  strict: "strict: DCR clients get tpc_ ids and third-party rules (PKCE, consent, the default grant)",
  permissive:
    "permissive: DCR clients get ordinary ids (no tpc_) and follow the API's own access policy instead of the strict third-party rules; mcp-auth0 tells them apart by is_first_party: false and never changes them",
};

/**
 * The DCR security mode MCP clients' registrations get. A setting of strict or permissive says it.
 * Unset, it proves nothing: Auth0 decides per account, and accounts that were never eligible for
 * permissive are strict (AUTH0-FACTS, third round). What the third-party clients already registered
 * got does tell: strict ones have tpc_ ids and third_party_security_mode "strict", permissive ones
 * ordinary ids. CIMD imports are always strict, whatever the account, so they tell nothing.
 * `clients` undefined: not read (init's verdict), so the check says what would tell.
 */
function securityModeCheck(settings: TenantState["settings"], clients?: ClientSummary[]): Check {
  const T = "Tenant";
  const title = "DCR security mode";
  const mode = (settings as { dynamic_client_registration_security_mode?: string }).dynamic_client_registration_security_mode;
  if (mode === "strict") return { group: T, title, status: "pass", detail: SECURITY_MODES.strict! };
  if (mode) return { group: T, title, status: "note", detail: SECURITY_MODES[mode] ?? mode };
  const registered = (clients ?? []).filter((c) => isThirdPartyClient(c) && c.external_metadata_type !== "cimd");
  const permissive = registered.filter((c) => c.third_party_security_mode === "permissive" || (c.third_party_security_mode !== "strict" && !c.client_id?.startsWith("tpc_")));
  if (permissive.length) {
    const example = permissive[0]!.client_id;
    return {
      group: T,
      title,
      status: "note",
      detail: `unset, and the third-party clients already registered are permissive (${example}, ordinary ids (no tpc_)): this account registers DCR clients permissively; mcp-auth0 tells them apart by is_first_party: false and never changes them`,
    };
  }
  if (registered.length)
    return { group: T, title, status: "pass", detail: `unset, but the third-party clients already registered are strict (tpc_ ids): ${SECURITY_MODES.strict!}` };
  return {
    group: T,
    title,
    status: "note",
    detail: `unset: Auth0 decides per account (strict on accounts never eligible for permissive), and no registered third-party client shows it yet${clients ? "" : " (doctor reads them)"}; a tpc_ id on the next registration means strict`,
  };
}

/** Everything an MCP client meets in the tenant's configuration, as pass / warn / fail with the fix. */
export function tenantChecks(f: TenantFacts): Check[] {
  const checks: Check[] = [];
  const s = f.settings;
  const flags = (s.flags ?? {}) as Record<string, unknown>;
  const add = (group: string, title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group, title, status, detail, fix });
  const T = "Tenant";
  const INIT = f.fix.init();

  add(
    T,
    "Dynamic Client Registration",
    flags.enable_dynamic_client_registration === true ? "pass" : "fail",
    flags.enable_dynamic_client_registration === true ? "on: MCP clients can register at /oidc/register" : "off: MCP clients cannot register themselves",
    INIT,
  );
  const compat = s.resource_parameter_profile === "compatibility";
  const audienceIsThis = s.default_audience === f.identifier;
  add(
    T,
    "Resource parameter compatibility profile",
    compat ? "pass" : audienceIsThis ? "warn" : "fail",
    compat
      ? "on: the RFC 8707 resource parameter selects the API"
      : audienceIsThis
        ? "off: the resource parameter is ignored; tokens still name this API because it is the default audience"
        : "off: MCP clients send resource=…, Auth0 ignores it and issues opaque tokens the server cannot verify",
    INIT,
  );
  add(
    T,
    "Issuer in authorization responses (RFC 9207)",
    s.authorization_response_iss_parameter_supported === true ? "pass" : "warn",
    s.authorization_response_iss_parameter_supported === true ? "on" : "off: clients that check iss (mix-up defence) may reject the login",
    INIT,
  );
  add(
    T,
    "Scope descriptions on the consent screen",
    flags.use_scope_descriptions_for_consent === true ? "pass" : "warn",
    flags.use_scope_descriptions_for_consent === true ? "on" : "off: third-party consent shows raw scope values",
    INIT,
  );
  if (!s.default_audience) add(T, "Default audience", "pass", "none: MCP clients choose the API with the resource parameter");
  else if (audienceIsThis) add(T, "Default audience", "pass", `${f.identifier} (applies to every application of the tenant)`);
  else
    add(
      T,
      "Default audience",
      "warn",
      `${s.default_audience}, another API: requests without audience or resource get tokens for it, not for ${f.identifier}`,
      f.fix.init("--default-audience"),
    );
  // Reported, never changed: mcp-auth0 never sets permissive, and strict would change how the
  // tenant's earlier third-party applications behave.
  checks.push(securityModeCheck(s, f.clients));
  add(
    T,
    "Client ID Metadata Documents",
    s.client_id_metadata_document_supported === true ? "pass" : "note",
    s.client_id_metadata_document_supported === true ? "on" : "off: MCP clients use DCR, which the MCP spec of 2026-07-28 deprecates for CIMD (mcp-auth0 init --clients)",
  );

  const A = `API ${f.identifier}`;
  const api = f.resourceServer;
  const scopes = (api?.scopes ?? []).map((x) => x.value!);
  if (!api) {
    add(A, "Exists", "fail", "no API with this identifier: tokens cannot name it as audience", INIT);
  } else {
    add(A, "Exists", "pass", `${api.name} (${api.id})`);
    add(
      A,
      "Token dialect",
      api.token_dialect === API_SETTINGS.token_dialect ? "pass" : "warn",
      api.token_dialect === API_SETTINGS.token_dialect
        ? "rfc9068_profile_authz: RFC 9068 JWTs with a permissions claim"
        : `${api.token_dialect ?? "access_token"}: no RFC 9068 profile or no permissions claim`,
      INIT,
    );
    add(A, "RBAC", api.enforce_policies === true ? "pass" : "warn", api.enforce_policies === true ? "on: permissions come from roles" : "off: tokens carry no permissions", INIT);
    add(
      A,
      "Offline access",
      api.allow_offline_access === true ? "pass" : "warn",
      api.allow_offline_access === true ? "on: clients get refresh tokens" : "off: no refresh tokens, so users log in again each time the access token expires (hourly by default)",
      INIT,
    );
    add(
      A,
      "Signing algorithm",
      api.signing_alg === "RS256" ? "pass" : "fail",
      api.signing_alg === "RS256" ? "RS256: verifiable with the tenant's JWKS" : `${api.signing_alg}: MCP servers verify tokens with the JWKS and need RS256`,
      INIT,
    );
    add(A, "Scopes", scopes.length ? "pass" : "warn", scopes.length ? scopes.join(", ") : "none: clients cannot ask for any tool permission", f.fix.init());
  }

  // Checked with or without the API: on a fresh tenant both are missing, and a user who creates
  // the API by hand in the Dashboard still has no grant (DCR clients then get no token for it).
  const G = "Default grant for DCR clients";
  const grant = f.defaultGrant;
  if (!grant) add(G, "Exists", "fail", `none: clients registered by DCR cannot get a token for this API (Auth0: 'Client is not authorized to access "${f.identifier}"')`, INIT);
  else {
    add(G, "Exists", "pass", grant.id ?? "");
    add(
      G,
      "Subject type",
      grant.subject_type === "user" ? "pass" : "fail",
      grant.subject_type === "user"
        ? "user"
        : `${grant.subject_type ?? "client"}: covers client credentials only; DCR clients log users in and need "user" (init deletes and re-creates the grant: subject_type cannot be changed by PATCH)`,
      INIT,
    );
    const missing = scopes.filter((x) => !(grant.scope ?? []).includes(x));
    add(G, "Covers every scope", missing.length ? "warn" : "pass", missing.length ? `missing ${missing.join(", ")}` : "yes", INIT);
  }

  if (f.rolePermissions) {
    const R = "Roles";
    const holders = f.rolePermissions.filter((r) => r.permissions.length);
    add(
      R,
      "Roles granting this API's permissions",
      holders.length ? "pass" : "warn",
      holders.length ? holders.map((r) => `${r.role} (${r.permissions.join(", ")})`).join("; ") : "none: tokens carry no permissions",
      f.fix.rolesSync(),
    );
    const granted = new Set(holders.flatMap((r) => r.permissions));
    const orphan = scopes.filter((x) => !granted.has(x));
    if (holders.length && orphan.length) add(R, "Scopes no role grants", "warn", orphan.join(", "), f.fix.rolesSync());
    // Roles nobody holds grant nobody anything: every user's token carries an empty permissions claim.
    if (holders.length && holders.every((r) => r.members === false)) {
      add(R, "Users holding them", "warn", "none: no user can obtain any of this API's permissions", f.fix.rolesSync("list their emails under users"));
    }
  }
  if (api?.enforce_policies === true) {
    add("Roles", "Users without a role", "note", "get no tool permissions (RBAC: an empty permissions claim)", f.fix.rolesSync("list their emails under users"));
  }

  const C = "Connections";
  const domainLevel = f.connections.filter((c) => c.is_domain_connection);
  // The connection to suggest: one the user named, else the tenant's database connection, else any.
  const suggested = f.expectedConnections.find((n) => f.connections.some((c) => c.name === n)) ?? (f.connections.find((c) => c.strategy === "auth0") ?? f.connections[0])?.name;
  add(
    C,
    "Domain-level connections",
    domainLevel.length ? "pass" : "fail",
    domainLevel.length
      ? domainLevel.map((c) => c.name).join(", ")
      : 'none: DCR clients meet an Auth0 error page ("no connections enabled for the client"), never their callback, and wait forever',
    suggested ? f.fix.promote(suggested) : "Create a connection (Dashboard → Authentication), then npx mcp-auth0 promote-connection <name>",
  );
  for (const name of f.expectedConnections) {
    const c = f.connections.find((x) => x.name === name || x.id === name);
    if (!c)
      add(
        C,
        name,
        "warn",
        `no such connection (${f.connections.map((x) => x.name).join(", ") || "the tenant has none"})`,
        `${f.fix.command(["promote-connection"])}  # no names: choose from the tenant's connections`,
      );
    else if (!c.is_domain_connection) add(C, name, "warn", "not domain level: DCR clients cannot use it", f.fix.promote(c.name!));
  }
  return checks;
}
