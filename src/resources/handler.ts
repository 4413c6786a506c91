import type { Tenant } from "../tenant/connect.js";

/**
 * What every resource handler shares: the shape of a change (one entry of the plan, a plain value
 * that the --json document prints as it is: JSON only, never a secret)
 * and the handler contract. Each file of `resources/` owns one Auth0 resource: its change type, its
 * diff, its plan lines, its writes and the scopes they need. `resources/registry.ts` lists them.
 */
export type Action = "create" | "update" | "unchanged" | "delete";

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface BaseChange {
  kind: string;
  /** What a user reads in the plan, e.g. `API https://mcp.example.com/mcp`. */
  label: string;
  action: Action;
  fields: FieldChange[];
}

/**
 * What the writes of one change returned: the id of what they created, and the resource as Auth0
 * answered (the closing verdict reads these instead of reading the tenant again).
 */
export interface Written {
  id?: string;
  object?: unknown;
  /** Something the summary says, e.g. that another run's resource was adopted instead of creating a second. */
  note?: string;
  /**
   * The write's answer was lost (or met a 409) and the resource was read back instead: `object` may
   * then be missing, so whoever relies on the answers (the closing verdict) reads the tenant again.
   */
  readBack?: boolean;
  /**
   * A client secret the write's answer carried (Auth0 returns a new client's secret with
   * `create:clients` alone): for the .env or the file credentials create writes, never printed,
   * never part of the plan.
   */
  secret?: string;
  /**
   * Why the change was not applied although nothing failed: what it would claim was taken by
   * another run meanwhile (the tenant's default audience). The summary says so.
   */
  notApplied?: string;
}

/** What an earlier wave's change of another kind wrote (a grant naming the client that wave created), or undefined. */
export type WrittenBy = (kind: string) => Written | undefined;

/**
 * Apply runs in dependency waves; every write of one wave goes out together.
 * 1: what nothing depends on or what others refer to (the API, connections, role creations);
 * 2: what refers to it (tenant settings with the default audience, the default grant, role permissions and users);
 * 1 or 2: the Custom API client (2 when wave 1 creates the MCP server's API it is linked to); 1 to 3: its downstream
 *   grants (each after the client and the downstream API it names, when this run creates them);
 * 3: CIMD client imports, once wave 2's settings advertise CIMD;
 * 3, 4: teardown's deletions, after the default audience stops naming the API (grants and roles, then the API).
 */
export type Wave = 1 | 2 | 3 | 4;

export type Write = (
  | {
      wave: Wave;
      /**
       * The call, given what this change's earlier waves wrote (a role created in wave 1 has its id
       * in wave 2) and the ids of what other changes refer to (an application's grant, its
       * application created in wave 1). Its answer is merged into the change's `Written`.
       */
      send(tenant: Tenant, written: Written, writtenBy: WrittenBy): Promise<Written | void>;
    }
  | {
      wave: Wave;
      /**
       * Writes of one wave with the same key are one call: their bodies are merged (one level deep,
       * so `flags` keep every flag) and sent once, by the first one's `send`.
       */
      merge: { key: string; body: Record<string, unknown>; send(tenant: Tenant, body: Record<string, unknown>): Promise<Written> };
    }
) & {
  /**
   * What this write does, in a few words ("create", "add permissions tool:greet"), for a change
   * whose writes span waves: when a run stops between them (Ctrl-C, a failure), the summary says
   * which of its writes took effect instead of calling the whole change applied or not.
   */
  what?: string;
};

export interface Handler<C extends BaseChange> {
  kind: C["kind"];
  /** Where the change shows in the plan (and the --json document): the order a reader follows. */
  order: number;
  /** The Management API scopes the change needs (SPEC §2). */
  scopes(change: C): string[];
  /** The plan's line for the change, and the detail lines under it. */
  headline(change: C): string;
  details(change: C): string[];
  /** The progress line while it is applied. */
  describe(change: C): string;
  /** Every write of the change, each in its wave. */
  writes(change: C): Write[];
  /**
   * Reads the resource back and plans the change again, after a write whose outcome is unknown or a
   * create that met what an earlier attempt created (409): a retry never duplicates anything.
   * Needed by handlers with `send` writes; a `merge` write (a PATCH) is resent as it is.
   */
  refresh?(tenant: Tenant, change: C): Promise<C>;
  /**
   * What other runs may claim at the same moment (the tenant's default audience, which each run
   * would set to its own API; an API that a teardown deletes while an init makes it the default).
   * Apply takes the lock of `key(change)` (tenant-lock.ts: one per tenant and key, shared by the
   * runs on this machine; no key, no claim) in the wave before the change's first write, then
   * `recheck` reads the resource again under it and plans the change again: it comes back as it
   * was, changed, unchanged, or with `notApplied` when another run took what it would claim. The
   * lock is held until the change's last write is answered. The first write must be in wave 2 or later.
   */
  claim?: {
    key(change: C): string | undefined;
    recheck(tenant: Tenant, change: C): Promise<{ change: C; written?: Written }>;
  };
  /**
   * Brings what was read before apply (the planner's view of the tenant) up to date with the
   * answers of the change's writes, so that the closing verdict reads nothing again. Each handler
   * touches only its own part of that view.
   */
  settle?(state: object, change: C, written: Written): void;
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

/** A scope reads as `tool:greet ("Greet someone")`, so a changed description shows in the plan. */
const showItem = (v: unknown): string => {
  if (typeof v !== "object" || v === null) return String(v);
  const { value, description } = v as { value?: string; description?: string };
  return value === undefined ? JSON.stringify(v) : description && description !== value ? `${value} ("${description}")` : value;
};

export const show = (value: unknown): string => {
  if (value === undefined || value === null || value === "") return "(none)";
  if (Array.isArray(value)) return value.map(showItem).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
};

/** The plan lines most resources share: each differing field, `from → to` (or only the value for a create). */
export function fieldLines(change: BaseChange): string[] {
  return change.action === "create"
    ? change.fields.filter((f) => f.field !== "identifier").map((f) => `${f.field}: ${show(f.to)}`)
    : change.fields.map((f) => `${f.field}: ${show(f.from)} → ${show(f.to)}`);
}

export const plainHeadline = (change: BaseChange): string => (change.action === "unchanged" ? `${change.label}: up to date` : change.label);

export const isNotFound = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 404;

/** For a delete: already gone (an earlier attempt whose answer was lost) is the goal reached. */
export function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
