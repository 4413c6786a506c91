import type { Tenant } from "../tenant/connect.js";
import { findApplication, planApplication, readApplications, type Application, type ApplicationChange } from "./application.js";
import { planApplicationGrant, readApplicationGrant, type ClientGrant, type ClientGrantChange } from "./client-grant.js";

/**
 * The machine-to-machine application mcp-auth0 itself runs as, and its client grant for the
 * Management API: `credentials create` plans both, matched by name, so a second run changes
 * nothing and a changed set of commands only changes the grant's scopes. They are applied by the
 * application and client-grant handlers, with what protects every application mcp-auth0 creates
 * from a second run doing the same (application.ts).
 */
export interface M2MState {
  application: Application | undefined;
  grant: ClientGrant | undefined;
}

export async function readM2MState(tenant: Tenant, name: string, audience: string): Promise<M2MState> {
  // Any other application of that name (another type, a DCR client, two of them) is an input error before a write.
  const application = findApplication(await readApplications(tenant), name, "non_interactive");
  const grant = application ? await readApplicationGrant(tenant, application.client_id, audience) : undefined;
  return { application, grant };
}

export function planM2MApplication(current: Application | undefined, name: string): ApplicationChange {
  return planApplication(current, new Set(), { name, type: "non_interactive", callbacks: [], connections: [] });
}

/** Exactly `scopes` for the Management API (`audience`), for the application `planM2MApplication` planned. */
export function planManagementGrant(current: ClientGrant | undefined, audience: string, scopes: string[], application: ApplicationChange): ClientGrantChange {
  return planApplicationGrant(current, audience, scopes, { name: application.name, clientId: application.id, grantLabel: "Its grant for the Auth0 Management API" });
}
