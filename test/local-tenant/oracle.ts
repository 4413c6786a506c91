import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import type { TestLocalTenant as LocalTenant } from "../../src/local-tenant/server.js";
import { MANAGEMENT_SCOPES } from "../../src/local-tenant/server.js";
import { trustingFetch } from "./helpers.js";

/*
 * Replays exchanges recorded against a real Auth0 tenant (extracted by
 * scripts/extract-auth0-recordings.mjs into test/data/auth0-recordings) against a local tenant, and
 * compares what a client can tell apart: status codes, response keys and value types. Values are
 * not compared: ids, timestamps and names differ from tenant to tenant.
 */

/** A type name, an id (`$id`, mapped), an array (`$byId`: elements matched by id), or an object. */
export type Shape = string | { $id: string } | { $array: Shape[]; $byId?: true } | { [key: string]: Shape };

export interface Exchange {
  route: string;
  method: string;
  path: string;
  body?: unknown;
  status: number;
  response?: Shape;
  /** For a CIMD registration: the client metadata document, rebuilt from what Auth0 mapped from it. */
  document?: { client_id: string; [key: string]: unknown };
}

export interface Seed {
  kind: "connection" | "user" | "delete-user" | "delete-connection" | "assign-roles" | "unassign-roles";
  id: string;
  [key: string]: unknown;
}

export interface Recording {
  name: string;
  source: { repo: string; commit: string; file: string };
  exchanges: Array<Exchange | { seed: Seed }>;
}

export interface Difference {
  recording: string;
  index: number;
  route: string;
  kind: "status" | "missing" | "extra" | "type" | "element";
  /** The key path in the response, e.g. `scopes[].value`; "" for the status. */
  key: string;
  detail: string;
}

export const RECORDINGS_DIR = join(import.meta.dirname, "..", "data", "auth0-recordings");

export function loadRecordings(): Recording[] {
  return readdirSync(RECORDINGS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), ...(JSON.parse(readFileSync(join(RECORDINGS_DIR, f), "utf8")) as Omit<Recording, "name">) }));
}

const ID_KEYS = ["id", "client_id", "user_id"];

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isId(shape: Shape): shape is { $id: string } {
  return typeof shape === "object" && "$id" in shape;
}

function isArray(shape: Shape): shape is { $array: Shape[]; $byId?: true } {
  return typeof shape === "object" && "$array" in shape;
}

/** The recorded id of an element shape, with the key it is under. */
function elementId(shape: Shape): { key: string; id: string } | undefined {
  if (typeof shape !== "object" || isId(shape) || isArray(shape)) return undefined;
  for (const key of ID_KEYS) {
    const value = shape[key];
    if (value !== undefined && isId(value)) return { key, id: value.$id };
  }
  return undefined;
}

/** Recorded ids → the ids the local tenant gave the same records. */
export class IdMap {
  private readonly ids = new Map<string, string>();

  set(recorded: string, local: string): void {
    if (!this.ids.has(recorded)) this.ids.set(recorded, local);
  }

  get(recorded: string): string | undefined {
    return this.ids.get(recorded);
  }

  /** Rewrites recorded ids (plain or URL-encoded) and the recorded domain in a path or a JSON text. */
  apply(text: string, domain: string, inPath = false): string {
    let out = text.replaceAll("{domain}", domain);
    for (const [recorded, local] of [...this.ids].sort((a, b) => b[0].length - a[0].length)) {
      // In a path an id is one segment, whatever it contains (a CIMD client's id is a URL).
      out = out.replaceAll(encodeURIComponent(recorded), encodeURIComponent(local)).replaceAll(recorded, inPath ? encodeURIComponent(local) : local);
    }
    return out;
  }
}

/** Compares a recorded shape with a local value; records the ids it meets. */
export function compareShape(shape: Shape, value: unknown, key: string, ids: IdMap, out: Array<Pick<Difference, "kind" | "key" | "detail">>): void {
  if (typeof shape === "string") {
    if (typeName(value) !== shape) out.push({ kind: "type", key, detail: `Auth0 ${shape}, local ${typeName(value)}` });
    return;
  }
  if (isId(shape)) {
    if (typeof value !== "string") out.push({ kind: "type", key, detail: `Auth0 string (id), local ${typeName(value)}` });
    else ids.set(shape.$id, value);
    return;
  }
  if (isArray(shape)) {
    if (!Array.isArray(value)) {
      out.push({ kind: "type", key, detail: `Auth0 array, local ${typeName(value)}` });
      return;
    }
    for (const element of shape.$array) {
      if (shape.$byId) {
        const recorded = elementId(element);
        const local = recorded === undefined ? undefined : ids.get(recorded.id);
        const match = recorded === undefined ? undefined : value.find((v) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[recorded.key] === local);
        if (match === undefined) {
          out.push({ kind: "element", key: `${key}[]`, detail: `Auth0 lists ${recorded?.id ?? "an element"}, local does not` });
          continue;
        }
        compareShape(element, match, `${key}[]`, ids, out);
      } else if (value.length > 0) {
        compareShape(element, value[0], `${key}[]`, ids, out);
      }
    }
    return;
  }
  if (typeName(value) !== "object") {
    out.push({ kind: "type", key, detail: `Auth0 object, local ${typeName(value)}` });
    return;
  }
  const local = value as Record<string, unknown>;
  const prefix = key === "" ? "" : `${key}.`;
  for (const [k, s] of Object.entries(shape)) {
    if (!(k in local)) out.push({ kind: "missing", key: `${prefix}${k}`, detail: `Auth0 sends ${describe(s)}, local does not` });
    else compareShape(s, local[k], `${prefix}${k}`, ids, out);
  }
  for (const k of Object.keys(local)) {
    if (!(k in shape)) out.push({ kind: "extra", key: `${prefix}${k}`, detail: `local sends ${typeName(local[k])}, Auth0 does not` });
  }
}

function describe(shape: Shape): string {
  if (typeof shape === "string") return shape;
  if (isId(shape)) return "an id";
  if (isArray(shape)) return "an array";
  return "an object";
}

/** Applies a seed: creates (or removes) in the store what Terraform made through endpoints the local tenant does not serve. */
function applySeed(tenant: LocalTenant, seed: Seed, ids: IdMap): void {
  const store = tenant.store;
  const local = (id: string): string => ids.get(id) ?? id;
  switch (seed.kind) {
    case "connection": {
      const enabled = ((seed["enabled_clients"] as string[] | undefined) ?? []).map(local);
      const connection = store.addConnection({ name: seed["name"] as string, strategy: seed["strategy"] as string, enabled_clients: enabled });
      ids.set(seed.id, connection.id);
      break;
    }
    case "user": {
      const user = store.addUser({ email: seed["email"] as string, connection: seed["connection"] as string });
      ids.set(seed.id, user.user_id);
      break;
    }
    case "delete-user":
      store.users = store.users.filter((u) => u.user_id !== local(seed.id));
      for (const roleId of Object.keys(store.roleUsers)) store.roleUsers[roleId] = (store.roleUsers[roleId] ?? []).filter((u) => u !== local(seed.id));
      store.changed();
      break;
    case "delete-connection":
      store.connections = store.connections.filter((c) => c.id !== local(seed.id));
      store.changed();
      break;
    case "assign-roles":
      for (const role of seed["roles"] as string[]) store.addRoleUsers(local(role), [local(seed.id)]);
      break;
    case "unassign-roles":
      for (const role of seed["roles"] as string[]) store.roleUsers[local(role)] = (store.roleUsers[local(role)] ?? []).filter((u) => u !== local(seed.id));
      store.changed();
      break;
  }
}

/**
 * What the local tenant's `fetch` option gets for a recording: the CIMD documents its registrations
 * fetched from the network, served from memory.
 */
export function documentFetch(recording: Recording): typeof fetch | undefined {
  const documents = new Map(recording.exchanges.flatMap((e) => ("document" in e && e.document ? [[e.document.client_id, e.document] as const] : [])));
  if (documents.size === 0) return undefined;
  return (async (input: string | URL | Request) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const document = documents.get(url);
    return document ? Response.json(document) : new Response("not found", { status: 404 });
  }) as typeof fetch;
}

/** Replays one recording in order against `tenant`; returns the differences and the number of exchanges compared. */
export async function replay(tenant: LocalTenant, recording: Recording): Promise<{ compared: number; differences: Difference[] }> {
  const ids = new IdMap();
  // The recorded tenant's Management API is the local tenant's.
  ids.set(`https://{domain}/api/v2/`, tenant.store.managementAudience);
  const token = tenant.issueManagementToken([...MANAGEMENT_SCOPES]);
  const trusted = trustingFetch(tenant.caCertPem);
  const differences: Difference[] = [];
  let compared = 0;
  try {
    for (const [index, exchange] of recording.exchanges.entries()) {
      if ("seed" in exchange) {
        applySeed(tenant, exchange.seed, ids);
        continue;
      }
      compared++;
      const body = exchange.body === undefined || exchange.method === "GET" ? undefined : ids.apply(JSON.stringify(exchange.body), tenant.domain);
      const res = await trusted.fetch(`${tenant.url}/api/v2${ids.apply(exchange.path, tenant.domain, true)}`, {
        method: exchange.method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      const at = { recording: recording.name, index, route: exchange.route };
      if (res.status !== exchange.status) {
        differences.push({ ...at, kind: "status", key: "", detail: `Auth0 ${exchange.status}, local ${res.status}: ${text.slice(0, 300)}` });
        // Two successes still have bodies to compare (and ids to map); an error and a success do not.
        if (Math.floor(res.status / 100) !== 2 || Math.floor(exchange.status / 100) !== 2) continue;
      }
      const found: Array<Pick<Difference, "kind" | "key" | "detail">> = [];
      if (exchange.response === undefined) {
        if (text !== "") found.push({ kind: "extra", key: "", detail: `Auth0 sends no body, local sends ${text.slice(0, 100)}` });
      } else {
        compareShape(exchange.response, text === "" ? undefined : JSON.parse(text), "", ids, found);
      }
      differences.push(...found.map((d) => ({ ...at, ...d })));
    }
  } finally {
    await trusted.close();
  }
  return { compared, differences };
}
