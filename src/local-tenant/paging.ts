import { ApiError, json, type ApiResponse } from "./http.js";

/*
 * The two paging styles of the Management API, answered exactly as the auth0 v7 SDK walks them:
 *
 * - Offset (`page`, `per_page` ≤ 100, `include_totals`): `{<items>, start, limit, total}`. The SDK
 *   asks for the next page while the last one was non-empty (and full, when it set `per_page`), so
 *   a page past the end must be empty.
 * - Checkpoint (`from`, `take` ≤ 100): `{<items>, next}`. The SDK stops when `next` is absent, so it
 *   is only present when more items follow.
 */

const MAX_PER_PAGE = 100;

function queryError(reason: string, property: string): ApiError {
  return new ApiError(400, `Query validation error: '${reason}' on property ${property}.`, "invalid_query_string");
}

function intParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw queryError(`Expected type integer but found type string`, name);
  const value = Number(raw);
  if (value < min) throw queryError(`Value ${value} is less than minimum ${min}`, name);
  if (value > max) throw queryError(`Value ${value} is greater than maximum ${max}`, name);
  return value;
}

export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw queryError(`Expected type boolean but found type string`, name);
}

export interface PageOptions<T> {
  /** Also answer `length` (the number of items in this page), as GET /roles does. */
  withLength?: boolean;
  /** Shapes each item of the page (e.g. `fields` selection) after paging on the full records. */
  project?: (item: T) => unknown;
}

/** Without `include_totals=true` Auth0 answers a bare array. */
export function offsetPage<T>(all: readonly T[], key: string, query: URLSearchParams, options: PageOptions<T> = {}): ApiResponse {
  const page = intParam(query, "page", 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const perPage = intParam(query, "per_page", 1, MAX_PER_PAGE) ?? 50;
  const items = all.slice(page * perPage, page * perPage + perPage).map((item) => (options.project ? options.project(item) : item));
  if (boolParam(query, "include_totals") !== true) return json(200, items);
  return json(200, {
    [key]: items,
    start: page * perPage,
    limit: perPage,
    ...(options.withLength ? { length: items.length } : {}),
    total: all.length,
  });
}

interface Cursor {
  /** Id of the last item already returned. */
  after: string;
  /** Its position, used when that item was deleted in between. */
  index: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(from: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(from, "base64url").toString("utf8")) as Partial<Cursor>;
    if (typeof cursor.after === "string" && typeof cursor.index === "number") return { after: cursor.after, index: cursor.index };
  } catch {
    // fall through
  }
  throw queryError("Invalid checkpoint", "from");
}

export function checkpointPage<T>(all: readonly T[], key: string, query: URLSearchParams, idOf: (item: T) => string, options: PageOptions<T> = {}): ApiResponse {
  const take = intParam(query, "take", 1, MAX_PER_PAGE) ?? 50;
  const from = query.get("from");
  let start = 0;
  if (from) {
    const cursor = decodeCursor(from);
    const found = all.findIndex((item) => idOf(item) === cursor.after);
    start = found >= 0 ? found + 1 : Math.min(cursor.index + 1, all.length);
  }
  const items = all.slice(start, start + take);
  const last = items.at(-1);
  const more = start + take < all.length && last !== undefined;
  const shaped = items.map((item) => (options.project ? options.project(item) : item));
  return json(200, { [key]: shaped, ...(more ? { next: encodeCursor({ after: idOf(last), index: start + items.length - 1 }) } : {}) });
}

/** Endpoints that offer both styles use checkpoint paging as soon as `from` or `take` is sent. */
export function listPage<T>(all: readonly T[], key: string, query: URLSearchParams, idOf: (item: T) => string, options: PageOptions<T> = {}): ApiResponse {
  if (query.has("from") || query.has("take")) return checkpointPage(all, key, query, idOf, options);
  return offsetPage(all, key, query, options);
}

/**
 * The `stuckPaging` test fault: a listing behind a proxy that drops its paging parameters. The
 * endpoint sees the request without `from` and `page`, so it answers the first page again
 * (`firstPageRequest`), and the answer says more follows (`sayingMoreFollows`): a checkpoint listing
 * gives back the `next` it was asked from, a page-number listing claims a million items.
 */
export function firstPageRequest(url: URL): URL {
  const first = new URL(url);
  first.searchParams.delete("from");
  first.searchParams.delete("page");
  return first;
}

export function sayingMoreFollows(response: ApiResponse, asked: URL): ApiResponse {
  const body = response.body;
  if (response.status !== 200 || body === null || typeof body !== "object" || Array.isArray(body)) return response;
  if (asked.searchParams.has("from") || asked.searchParams.has("take")) {
    // A checkpoint that decodes (it points before the first item), so that the listing ends normally once the fault is over.
    return { ...response, body: { ...body, next: asked.searchParams.get("from") || encodeCursor({ after: "", index: -1 }) } };
  }
  return { ...response, body: { ...body, total: 1_000_000 } };
}

/** `fields=a,b` keeps only those fields; with `include_fields=false` it drops them instead. */
export function selectFields<T extends object>(item: T, query: URLSearchParams): Partial<T> {
  const fields = query.get("fields");
  if (!fields) return item;
  const names = new Set(
    fields
      .split(",")
      .map((f) => f.trim())
      .filter(Boolean),
  );
  const include = boolParam(query, "include_fields") ?? true;
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k) === include)) as Partial<T>;
}
