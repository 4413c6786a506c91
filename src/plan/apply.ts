import type { Tenant } from "../tenant/connect.js";
import { causes, OutcomeUnknownError } from "../tenant/http.js";
import { CliError } from "../errors.js";
import { toCliError } from "../tenant/errors.js";
import { applyDefaultAudience, applyTenantSettings } from "../resources/tenant-settings.js";
import { applyResourceServer, refreshResourceServer } from "../resources/resource-server.js";
import { applyDefaultGrant, refreshDefaultGrant } from "../resources/client-grant.js";
import { applyConnection, refreshConnection } from "../resources/connections.js";
import { applyRole, refreshRole } from "../resources/roles.js";
import { applyApplication, refreshApplication } from "../resources/application.js";
import { applyCimdClient, refreshCimdClient } from "../resources/cimd-client.js";
import { readTenantSettings, planDefaultAudience, planSettingsValues } from "../resources/tenant-settings.js";
import { pendingChanges, type Change, type DeleteChange, type Plan } from "./plan.js";

/**
 * Apply order: the API before what refers to it (grant, roles), the proxy application (which enables
 * its connections itself) before the connections of DCR mode, the tenant-wide default audience last.
 */
const ORDER: Record<Change["kind"], number> = {
  "tenant-settings": 0,
  "resource-server": 1,
  application: 2,
  "client-grant": 3,
  connection: 4,
  role: 5,
  // After the tenant settings that advertise CIMD.
  "cimd-client": 5.5,
  "default-audience": 6,
  // teardown: after the default audience stops naming the API, so no login ever names a deleted one.
  delete: 7,
};

export function orderChanges(changes: Change[]): Change[] {
  return [...changes].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

/** The Management API scopes a change needs (SPEC §2). */
export function scopesFor(change: Change): string[] {
  switch (change.kind) {
    case "tenant-settings":
    case "default-audience":
      return ["update:tenant_settings"];
    case "resource-server":
      return [change.action === "create" ? "create:resource_servers" : "update:resource_servers"];
    case "client-grant":
      return [...(change.replaces ? ["delete:client_grants"] : []), change.action === "create" ? "create:client_grants" : "update:client_grants"];
    case "connection":
      return ["update:connections"];
    case "role":
      return [
        ...(change.id ? [] : ["create:roles"]),
        // Permissions, assignments and a changed description are updates of the role.
        ...(change.fields.some((f) => f.field !== "name" && (change.id || f.field !== "description")) ? ["update:roles"] : []),
      ];
    case "delete":
      return [`delete:${change.resource.replace("-", "_")}s`];
    case "cimd-client":
      return ["create:clients"];
    case "application":
      return [
        ...(change.action === "create" ? ["create:clients"] : Object.keys(change.body).length ? ["update:clients"] : []),
        // PATCH /connections/{id}/clients
        ...(change.enableConnections.length ? ["update:connections"] : []),
      ];
  }
}

async function applyOne(tenant: Tenant, change: Change): Promise<void> {
  switch (change.kind) {
    case "tenant-settings":
      return applyTenantSettings(tenant, change);
    case "default-audience":
      return applyDefaultAudience(tenant, change);
    case "resource-server":
      return applyResourceServer(tenant, change);
    case "client-grant":
      return applyDefaultGrant(tenant, change);
    case "connection":
      return applyConnection(tenant, change);
    case "role":
      return applyRole(tenant, change);
    case "application":
      return applyApplication(tenant, change);
    case "delete":
      return applyDelete(tenant, change);
    case "cimd-client":
      return applyCimdClient(tenant, change);
  }
}

async function applyDelete(tenant: Tenant, change: DeleteChange): Promise<void> {
  try {
    if (change.resource === "resource-server") await tenant.client.resourceServers.delete(change.id);
    else if (change.resource === "client-grant") await tenant.client.clientGrants.delete(change.id);
    else await tenant.client.roles.delete(change.id);
  } catch (error) {
    // Already gone (an earlier attempt whose answer was lost): that is the goal.
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

/** Reads the one resource back and computes its change again. */
async function refresh(tenant: Tenant, change: Change): Promise<Change> {
  switch (change.kind) {
    case "tenant-settings": {
      // Toward the same values as the change (init's, or teardown's reset), whatever is left of them.
      const { flags, ...top } = change.body as { flags?: Record<string, unknown> };
      return planSettingsValues(await readTenantSettings(tenant), { flags: flags ?? {}, top });
    }
    case "delete":
      return change;
    case "default-audience":
      return planDefaultAudience(await readTenantSettings(tenant), change.desired, "replace").change ?? change;
    case "resource-server":
      return refreshResourceServer(tenant, change);
    case "client-grant":
      return refreshDefaultGrant(tenant, change);
    case "connection":
      return refreshConnection(tenant, change);
    case "role":
      return refreshRole(tenant, change);
    case "application":
      return refreshApplication(tenant, change);
    case "cimd-client":
      return refreshCimdClient(tenant, change);
  }
}

const isConflict = (error: unknown) => (error as { statusCode?: number }).statusCode === 409;

/**
 * A write whose connection broke may have taken effect, and a create may meet what an earlier
 * attempt created (409). Either way: read that resource back and apply what is still missing,
 * so a retry never duplicates an API, a grant or a role.
 */
async function applyConverging(tenant: Tenant, change: Change): Promise<Change> {
  let current = change;
  for (let attempt = 1; ; attempt++) {
    try {
      await applyOne(tenant, current);
      return current;
    } catch (error) {
      const outcomeUnknown = causes(error).some((e) => e instanceof OutcomeUnknownError);
      // Bounded: under periodic faults each attempt (read back, then send what is missing) has an even chance.
      if (attempt >= 5 || !(outcomeUnknown || isConflict(error))) throw error;
      current = await refresh(tenant, current);
      if (current.action === "unchanged") return current;
    }
  }
}

export class PartialApplyError extends CliError {
  constructor(
    readonly applied: Change[],
    readonly notApplied: Change[],
    readonly reason: CliError,
  ) {
    super(
      `${reason.message}\nApplied: ${applied.map((c) => c.label).join("; ") || "nothing"}. Not applied: ${notApplied.map((c) => c.label).join("; ")}.`,
      reason.exitCode,
      `${reason.hint ? `${reason.hint} ` : ""}Re-run the same command to complete the rest: it changes only what is still missing.`,
      { cause: reason },
    );
  }
}

export interface ApplyHooks {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
}

/** Applies exactly the plan's differences, in a safe order, one step per change. */
export async function applyPlan(tenant: Tenant, plan: Plan, hooks: ApplyHooks): Promise<Change[]> {
  const todo = orderChanges(pendingChanges(plan));
  const applied: Change[] = [];
  for (const [i, change] of todo.entries()) {
    try {
      const done = await hooks.step(describeStep(change), () => applyConverging(tenant, change));
      Object.assign(change, { id: (done as { id?: string }).id ?? (change as { id?: string }).id });
      applied.push(change);
    } catch (error) {
      throw new PartialApplyError(applied, todo.slice(i), toCliError(error, tenant.domain));
    }
  }
  return applied;
}

export function describeStep(change: Change): string {
  switch (change.kind) {
    case "tenant-settings":
      return "Update tenant settings";
    case "connection":
      return `${change.domainLevel ? "Promote" : "Demote"} connection ${change.name} ${change.domainLevel ? "to" : "from"} domain level`;
    case "default-audience":
      return change.desired ? `Set the tenant's default audience to ${change.desired}` : "Clear the tenant's default audience";
    case "delete":
      return `Delete ${change.label}`;
    case "cimd-client":
      return `Import CIMD client ${change.url}`;
    case "client-grant":
      return `${change.replaces ? "Replace" : change.action === "create" ? "Create" : "Update"} the default grant for DCR clients`;
    case "application": {
      const enable = change.enableConnections.length ? `enable ${change.enableConnections.map((c) => c.name).join(", ")}` : "";
      if (change.action === "create") return `Create application ${change.desired.name}${enable ? `, ${enable}` : ""}`;
      return Object.keys(change.body).length ? `Update application ${change.desired.name}${enable ? `, ${enable}` : ""}` : `Application ${change.desired.name}: ${enable}`;
    }
    default:
      return `${change.action === "create" ? "Create" : "Update"} ${change.label.replace(/^Role/, "role")}`;
  }
}
