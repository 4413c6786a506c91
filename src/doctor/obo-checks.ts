import type { TenantState } from "../resources/tenant-state.js";
import { findDownstreamGrant } from "../resources/downstream-grant.js";
import { OBO_PLANS_NOTE, OBO_PROFILE } from "../resources/custom-api-client.js";
import type { Check } from "./check.js";
import type { Fixes } from "./fixes.js";

/** A downstream API the MCP server is expected to call on the user's behalf, and the scopes it asks for there (when known). */
export interface DownstreamExpectation {
  identifier: string;
  scopes?: string[];
}

export interface OboFacts {
  identifier: string;
  state: TenantState;
  downstream: DownstreamExpectation[];
  /** Each role's permissions of each downstream API; undefined skips the role checks. */
  roleApiPermissions?: Array<{ role: string; apiPermissions: Record<string, string[]> }>;
  fix: Fixes;
}

/**
 * What the On-Behalf-Of exchange needs (Auth0's OBO page, "Prerequisites"): a Custom API client
 * linked to the MCP server's API with the exchange switched on, and for each downstream API a
 * user-delegated grant from that client, skip-consent for first-party clients, and roles that give
 * users its permissions (the exchanged token holds the user's permissions there ∩ the grant's).
 */
export function oboChecks(f: OboFacts): Check[] {
  const checks: Check[] = [];
  const add = (group: string, title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group, title, status, detail, fix });
  const { customApiClient: client, downstreamApis = {}, downstreamGrants = {} } = f.state;
  // The fix is init with every expected downstream API and the scopes it is asked for (else those the API has).
  const spec = (d: DownstreamExpectation) => {
    const described = new Map((downstreamApis[d.identifier]?.scopes ?? []).map((s) => [s.value, s.description]));
    const scopes = d.scopes ?? [...described.keys()];
    const item = (s: string) => (described.get(s) && described.get(s) !== s ? `${s}=${described.get(s)}` : s);
    return scopes.length ? `${d.identifier}=${scopes.map(item).join(",")}` : d.identifier;
  };
  const INIT = f.fix.init(...f.downstream.flatMap((d) => ["--downstream-api", spec(d)]));

  const C = "On-Behalf-Of token exchange";
  if (!client) {
    add(C, "Custom API client", "fail", `none linked to ${f.identifier}: Auth0 lets only a Custom API client linked to the token's API exchange it, so every exchange fails`, INIT);
  } else {
    add(C, "Custom API client", "pass", `${client.name ?? "(no name)"} (${client.client_id})`);
    const on = client.token_exchange?.allow_any_profile_of_type?.includes(OBO_PROFILE) === true;
    add(C, "Exchange allowed", on ? "pass" : "fail", on ? OBO_PROFILE : `token_exchange.allow_any_profile_of_type lacks ${OBO_PROFILE}: Auth0 refuses its exchanges`, INIT);
  }
  add(C, "Plans", "note", OBO_PLANS_NOTE);

  for (const d of f.downstream) {
    const G = `Downstream API ${d.identifier}`;
    const api = downstreamApis[d.identifier];
    if (!api) {
      add(G, "Exists", "fail", "no such API in the tenant: the exchange for it fails (Service not found)", INIT);
      continue;
    }
    add(G, "Exists", "pass", `${api.name ?? ""} (${api.id})`);
    add(
      G,
      "Skip consent for first-party clients",
      api.skip_consent_for_verifiable_first_party_clients === true ? "pass" : "fail",
      api.skip_consent_for_verifiable_first_party_clients === true
        ? "on"
        : "off: the exchange has no browser to show consent in, and Auth0's On-Behalf-Of page requires skipping it for first-party clients",
      INIT,
    );
    const grant = findDownstreamGrant(downstreamGrants[d.identifier], client?.client_id);
    if (!grant) add(G, "Grant of the Custom API client", "fail", "none: Auth0 refuses the exchange (the client is not authorized for this API)", INIT);
    else {
      const missing = (d.scopes ?? []).filter((s) => !(grant.scope ?? []).includes(s));
      add(
        G,
        "Grant of the Custom API client",
        missing.length ? "fail" : "pass",
        missing.length
          ? `lacks ${missing.join(", ")}, which the MCP server asks for: exchanged tokens never carry them`
          : `user-delegated: ${(grant.scope ?? []).join(", ") || "no scope"}`,
        INIT,
      );
    }
    if (api.enforce_policies !== true) {
      add(
        G,
        "RBAC",
        "warn",
        "off: exchanged tokens carry every granted scope whatever the user's roles (mcp-auth0 never changes an existing API's RBAC)",
        "Dashboard → Applications → APIs → the API → RBAC Settings",
      );
    } else if (f.roleApiPermissions) {
      const wanted = d.scopes ?? grant?.scope ?? [];
      const holders = f.roleApiPermissions.filter((r) => (r.apiPermissions[d.identifier] ?? []).some((p) => wanted.includes(p)));
      add(
        G,
        "Roles granting its permissions",
        holders.length ? "pass" : "warn",
        holders.length
          ? holders.map((r) => `${r.role} (${r.apiPermissions[d.identifier]!.join(", ")})`).join("; ")
          : "none: users hold no permission there, so exchanged tokens carry none (list them under apiPermissions in the roles file)",
        f.fix.rolesSync(),
      );
    }
  }
  return checks;
}
