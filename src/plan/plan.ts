/**
 * The plan is a plain value: for each resource, what will be created, updated or left alone, with
 * the fields that differ. Computing it never writes; rendering and applying it are separate steps.
 */
export type Action = "create" | "update" | "unchanged" | "delete";

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

interface BaseChange {
  /** What a user reads in the plan, e.g. `API https://mcp.example.com/mcp`. */
  label: string;
  action: Action;
  fields: FieldChange[];
}

export interface TenantSettingsChange extends BaseChange {
  kind: "tenant-settings";
  /** The PATCH body: only the fields (and flags) that differ. */
  body: Record<string, unknown>;
}

export interface ResourceServerDesired {
  identifier: string;
  name?: string;
  scopes: Array<{ value: string; description?: string }>;
}

export interface ResourceServerChange extends BaseChange {
  kind: "resource-server";
  id?: string;
  desired: ResourceServerDesired;
  body: Record<string, unknown>;
  /** Every scope the API will have after the change (the default grant and roles refer to these). */
  scopes: string[];
}

export interface ClientGrantChange extends BaseChange {
  kind: "client-grant";
  id?: string;
  audience: string;
  body: Record<string, unknown>;
  scopes: string[];
  /** A create that first deletes this grant (one whose subject_type PATCH cannot change), and why. */
  replaces?: { id: string; why: string };
}

export interface ConnectionChange extends BaseChange {
  kind: "connection";
  id: string;
  name: string;
  strategy: string;
  domainLevel: boolean;
}

export interface RoleDesired {
  name: string;
  description?: string;
  permissions: string[];
  users: string[];
}

export interface RoleChange extends BaseChange {
  kind: "role";
  id?: string;
  desired: RoleDesired;
  apiIdentifier: string;
  prune: boolean;
  addPermissions: string[];
  removePermissions: string[];
  /** Users found by email and not yet holding the role. */
  addUsers: Array<{ email: string; userId: string }>;
  /** Emails with no user: a warning, not an error (they may sign up later). */
  unknownEmails: string[];
  /** This API's permissions the role holds once the change is applied. */
  permissionsAfter: string[];
}

export interface DefaultAudienceChange extends BaseChange {
  kind: "default-audience";
  current: string | undefined;
  desired: string;
}

export interface ApplicationDesired {
  name: string;
  /** Callback URLs the application must allow; the application's other callbacks are kept. */
  callbacks: string[];
  /** Connections the application must be enabled for (by id, with the name for the plan). */
  connections: Array<{ id: string; name: string }>;
}

/**
 * The Regular Web Application of proxy mode: an MCP server that mediates the OAuth flow logs users
 * in with it (authorization code + refresh token, with its client secret). Its secret is never
 * part of a plan: it is read only when the `.env` is written.
 */
export interface ApplicationChange extends BaseChange {
  kind: "application";
  /** The client id; set by apply after a create. */
  id?: string;
  desired: ApplicationDesired;
  /** The POST body, or the PATCH body with only the fields that differ (empty when none do). */
  body: Record<string, unknown>;
  /** Connections not yet enabled for the application: `PATCH /connections/{id}/clients` each. */
  enableConnections: Array<{ id: string; name: string }>;
  /** Set by apply when a concurrent run's application was adopted instead (printed in the summary). */
  note?: string;
}

/** An MCP client's metadata URL imported as a CIMD client (`POST /clients/cimd/register`). */
export interface CimdClientChange extends BaseChange {
  kind: "cimd-client";
  url: string;
  /** The Auth0 client id, once imported. */
  id?: string;
}

/** teardown: an API, a grant or a role to remove (never a client, never a tpc_ one). */
export interface DeleteChange extends BaseChange {
  kind: "delete";
  action: "delete";
  resource: "resource-server" | "client-grant" | "role";
  id: string;
}

export type Change =
  | TenantSettingsChange
  | ResourceServerChange
  | ClientGrantChange
  | ConnectionChange
  | RoleChange
  | DefaultAudienceChange
  | ApplicationChange
  | CimdClientChange
  | DeleteChange;

export interface EnvFileChange {
  path: string;
  template: string;
  action: Action;
  set: string[];
}

export interface Plan {
  domain: string;
  changes: Change[];
  env?: EnvFileChange;
  warnings: string[];
}

export function isChange(change: Change): boolean {
  return change.action !== "unchanged";
}

export function pendingChanges(plan: Plan): Change[] {
  return plan.changes.filter(isChange);
}

export function isConverged(plan: Plan): boolean {
  return pendingChanges(plan).length === 0 && (!plan.env || plan.env.action === "unchanged");
}

/** The fields of `current` that differ from `desired` (only the keys `desired` names). */
export function diffFields(current: Record<string, unknown>, desired: Record<string, unknown>, prefix = ""): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [key, value] of Object.entries(desired)) {
    if (value === undefined) continue;
    if (!sameValue(current[key], value)) changes.push({ field: prefix + key, from: current[key], to: value });
  }
  return changes;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
