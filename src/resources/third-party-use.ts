import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import { isThirdPartyClient } from "./application.js";

/**
 * Who else in the tenant logs users in as a third-party client, apart from the API being torn
 * down. Auth0 lets third-party applications (DCR registrations, imported CIMD clients) authenticate
 * users only through connections promoted to domain level ("Third-party applications can only
 * authenticate users from connections flagged as domain-level connections"), and domain level is
 * one switch for the whole tenant: demoting a connection for one MCP server takes it away from
 * every other one.
 */
export interface ThirdPartyUse {
  /** Other APIs with a default grant for third-party clients: every DCR or CIMD client may log users in for them. */
  apis: string[];
  /** Third-party clients holding a user grant of their own to another API. */
  clients: Array<{ clientId: string; audience: string }>;
  /** What could not be told apart, and why (the token cannot read clients). */
  unchecked?: string;
}

/**
 * One read of the user grants (`subject_type: user`: the ones that let an application log users in
 * for an API) of every API but `identifier`; applications whose grant alone does not say whether
 * they are third-party (an id without `tpc_`) are looked up when the token may read clients.
 */
export async function readThirdPartyUse(tenant: Tenant, identifier: string): Promise<ThirdPartyUse> {
  const apis = new Set<string>();
  const grants: Array<{ clientId: string; audience: string }> = [];
  for await (const grant of eachItem(tenant.client.clientGrants.list({ subject_type: "user", take: 100 }))) {
    if (!grant.audience || grant.audience === identifier) continue;
    if ((grant as { default_for?: string }).default_for === "third_party_clients") apis.add(grant.audience);
    else if (grant.client_id) grants.push({ clientId: grant.client_id, audience: grant.audience });
  }
  const known = grants.filter((g) => isThirdPartyClient({ client_id: g.clientId }));
  const unknown = grants.filter((g) => !isThirdPartyClient({ client_id: g.clientId }));
  const use: ThirdPartyUse = { apis: [...apis].sort(), clients: known };
  if (!unknown.length) return use;
  if (tenant.scopes && !tenant.scopes.includes("read:clients")) {
    return {
      ...use,
      unchecked: `${unknown.length} application${unknown.length === 1 ? "" : "s"} with a user grant to another API may be third-party (the token has no read:clients to tell)`,
    };
  }
  const thirdParty = new Set<string>();
  for await (const c of eachItem<Management.Client>(tenant.client.clients.list({ is_first_party: false, fields: "client_id", include_fields: true, per_page: 100 }))) {
    if (c.client_id) thirdParty.add(c.client_id);
  }
  return { ...use, clients: [...known, ...unknown.filter((g) => thirdParty.has(g.clientId))] };
}

/** Why domain-level connections must stay, in words for the plan; undefined when nothing else needs them. */
export function thirdPartyReason(use: ThirdPartyUse): string | undefined {
  const reasons = [
    ...(use.apis.length ? [`${use.apis.join(", ")} ${use.apis.length === 1 ? "gives" : "give"} third-party (DCR, CIMD) clients a default grant`] : []),
    ...(use.clients.length
      ? [
          `third-party client${use.clients.length === 1 ? "" : "s"} ${[...new Set(use.clients.map((c) => c.clientId))].join(", ")} hold${use.clients.length === 1 ? "s" : ""} a grant to ${[...new Set(use.clients.map((c) => c.audience))].join(", ")}`,
        ]
      : []),
    ...(use.unchecked ? [use.unchecked] : []),
  ];
  return reasons.length ? `${reasons.join("; ")}: third-party clients log users in only through domain-level connections` : undefined;
}
