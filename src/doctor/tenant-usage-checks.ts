import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { eachItem } from "../tenant/paging.js";
import type { TenantSettings } from "../resources/tenant-settings.js";
import { isThirdPartyClient } from "../resources/application.js";
import type { Check } from "./check.js";
import type { Fixes } from "./fixes.js";
import { cimdClients } from "../clients/catalogue.js";

/** A free tenant holds at most 10 applications, and every DCR registration is one (AUTH0-FACTS). */
export const FREE_PLAN_APPLICATIONS = 10;

export type ClientSummary = Pick<Management.Client, "client_id" | "name" | "is_first_party" | "app_type" | "grant_types"> & {
  global?: boolean;
  external_metadata_type?: string;
  external_client_id?: string;
  third_party_security_mode?: string;
};

/** What doctor reads beyond init's state. Each read needs an optional scope: without it the check is a note. */
export interface UsageFacts {
  /** Active rules, or why they could not be read. */
  rules: Array<{ id: string; name: string }> | { unreadable: string };
  clients: ClientSummary[] | { unreadable: string };
}

const has = (scopes: string[] | undefined, scope: string) => scopes === undefined || scopes.includes(scope);

async function optionalRead<T>(tenant: Tenant, scope: string, read: () => Promise<T>): Promise<T | { unreadable: string }> {
  if (!has(tenant.scopes, scope)) return { unreadable: `the token has no ${scope} scope` };
  try {
    return await read();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 403) return { unreadable: `Auth0 refused it (403; ${scope} is needed)` };
    throw error;
  }
}

export async function readUsageFacts(tenant: Tenant): Promise<UsageFacts> {
  const [rules, clients] = await Promise.all([
    optionalRead(tenant, "read:rules", async () => {
      const found: Array<{ id: string; name: string }> = [];
      for await (const r of eachItem(tenant.client.rules.list({ enabled: true, fields: "id,name,enabled", include_fields: true, per_page: 100 }))) {
        if (r.enabled !== false) found.push({ id: r.id!, name: r.name ?? r.id! });
      }
      return found;
    }),
    optionalRead(tenant, "read:clients", async () => {
      const found: ClientSummary[] = [];
      const fields = "client_id,name,is_first_party,app_type,grant_types,global,external_metadata_type,external_client_id,third_party_security_mode";
      for await (const c of eachItem(tenant.client.clients.list({ fields, include_fields: true, per_page: 100 }))) found.push(c as ClientSummary);
      return found;
    }),
  ]);
  return { rules, clients };
}

const unreadable = (x: unknown): x is { unreadable: string } => typeof x === "object" && x !== null && "unreadable" in x;

export function usageChecks(facts: UsageFacts, settings: TenantSettings, fix: Fixes): Check[] {
  const checks: Check[] = [];
  const add = (group: string, title: string, status: Check["status"], detail: string, fixText?: string) => checks.push({ group, title, status, detail, fix: fixText });
  // Rules run on every login, and Auth0 fails third-party (DCR) logins on tenants with active Rules.
  if (unreadable(facts.rules))
    add("Rules (legacy login pipeline)", "Active rules", "note", `not checked: ${facts.rules.unreadable}. Active Rules make DCR clients' logins fail; grant read:rules to check`);
  else if (!facts.rules.length) add("Rules (legacy login pipeline)", "Active rules", "pass", "none active");
  else {
    add(
      "Rules (legacy login pipeline)",
      "Active rules",
      "fail",
      `${facts.rules.length} active (${facts.rules.map((r) => r.name).join(", ")}): Auth0 fails third-party clients' logins while Rules are active; move them to Actions and turn them off`,
      facts.rules.map((r) => fix.disableRule(r.id)).join(" && "),
    );
  }

  const A = "Applications";
  if (unreadable(facts.clients)) {
    add(
      A,
      "Third-party applications",
      "note",
      `not counted: ${facts.clients.unreadable}. A free tenant holds ${FREE_PLAN_APPLICATIONS} applications and every DCR registration is one; grant read:clients to count them`,
    );
    if (settings.client_id_metadata_document_supported === true) add(A, "Imported CIMD clients", "note", `not checked: ${facts.clients.unreadable}`);
    return checks;
  }
  const apps = facts.clients.filter((c) => !c.global);
  const thirdParty = apps.filter(isThirdPartyClient);
  const summary = `${apps.length} application${apps.length === 1 ? "" : "s"}, ${thirdParty.length} of them third-party (registered by MCP clients)`;
  if (apps.length >= FREE_PLAN_APPLICATIONS && thirdParty.length) {
    const oldest = thirdParty[0]!;
    add(
      A,
      "Third-party applications",
      "warn",
      `${summary}: a free tenant holds at most ${FREE_PLAN_APPLICATIONS}, so the next DCR registration fails there. Delete registrations no longer used, e.g. ${oldest.name ?? oldest.client_id} (${oldest.client_id})`,
      fix.deleteClient(oldest.client_id!),
    );
  } else {
    add(A, "Third-party applications", "note", `${summary}; a free tenant holds at most ${FREE_PLAN_APPLICATIONS}, and every DCR registration is one`);
  }

  // Advertising CIMD makes every CIMD-capable client present its metadata URL, and Auth0 answers
  // "Unknown client" for one never imported: the catalogued ones left out fail where DCR worked.
  if (settings.client_id_metadata_document_supported === true) {
    const imported = apps.filter((c) => c.external_metadata_type === "cimd").map((c) => c.external_client_id ?? c.client_id!);
    const leftOut = cimdClients().filter((c) => !imported.includes(c.cimdUrl.value));
    const names = imported.map((url) => cimdClients().find((c) => c.cimdUrl.value === url)?.title ?? url);
    if (!leftOut.length) add(A, "Imported CIMD clients", "pass", names.join(", "));
    else {
      add(
        A,
        "Imported CIMD clients",
        "warn",
        `${names.length ? names.join(", ") : "none"}; the tenant advertises Client ID Metadata Documents, so ${leftOut.map((c) => c.title).join(", ")} present their metadata URL and meet "Unknown client" (Auth0 accepts only imported ones)`,
        fix.init("--clients", leftOut.map((c) => c.name).join(",")),
      );
    }
  }
  return checks;
}
