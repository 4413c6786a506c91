#!/usr/bin/env node
// Extracts the Management API exchanges that mcp-auth0 (or an MCP client) depends on from the
// Terraform provider's recordings of a real Auth0 tenant, into the small JSON files under
// test/data/auth0-recordings/ that test/local-tenant/auth0-oracle.test.ts replays against the dev
// tenant. Only what the replay compares is kept: the request (method, path, body), the status and
// the response's shape (keys and value types; the values of ids, which the replay maps).
//
//   node scripts/extract-auth0-recordings.mjs <git dir of auth0/terraform-provider-auth0>
//
// The git dir is a mirror (e.g. from `git clone --mirror`); recordings are read at its HEAD.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { parse } from "yaml";

const REPO = "auth0/terraform-provider-auth0";
const RECORDED_HOST = "terraform-provider-auth0-dev.eu.auth0.com";

/** The recordings of the endpoints listed in issue 15 (tenant settings … CIMD clients). */
const RECORDINGS = [
  "TestAccTenant_Main",
  "TestAccTenantDefaults",
  "TestAccTenant_DynamicClientRegistrationSecurityMode",
  "TestAccResourceServer",
  "TestAccResourceServerScopes",
  "TestAccResourceServerIsSystem",
  "TestAccClientGrant",
  "TestAccClientGrant_DefaultFor",
  "TestAccConnectionClient",
  "TestAccConnectionClients",
  "TestAccRole",
  "TestAccRolePermissions",
  "TestAccUserRoles",
  "TestAccClient_ThirdPartySecurityMode",
  "TestAccClientCIMD",
  // Custom API clients (On-Behalf-Of token exchange, issue 23).
  "TestAccClientResourceServer",
  "TestAccClientOnBehalfOfTokenExchange",
  "TestAccClientMixedTokenExchangeProfiles",
];

/** The routes the dev tenant serves (src/local-tenant/endpoints), compared one to one. */
const COMPARED = [
  "GET /tenants/settings",
  "PATCH /tenants/settings",
  "GET /resource-servers",
  "POST /resource-servers",
  "GET /resource-servers/:id",
  "PATCH /resource-servers/:id",
  "DELETE /resource-servers/:id",
  "GET /client-grants",
  "POST /client-grants",
  "GET /client-grants/:id",
  "PATCH /client-grants/:id",
  "DELETE /client-grants/:id",
  "GET /connections",
  "GET /connections/:id",
  "PATCH /connections/:id",
  "GET /connections/:id/clients",
  "PATCH /connections/:id/clients",
  "GET /roles",
  "POST /roles",
  "GET /roles/:id",
  "PATCH /roles/:id",
  "DELETE /roles/:id",
  "GET /roles/:id/permissions",
  "POST /roles/:id/permissions",
  "DELETE /roles/:id/permissions",
  "GET /roles/:id/users",
  "POST /roles/:id/users",
  "GET /users-by-email",
  "GET /users/:id",
  "GET /users/:id/roles",
  "GET /clients",
  "POST /clients",
  "GET /clients/:id",
  "PATCH /clients/:id",
  "DELETE /clients/:id",
  "POST /clients/cimd/register",
];

/**
 * Requests of endpoints the dev tenant does not serve, which later compared requests depend on: the
 * replay creates the record in the store instead (from the fields kept here) and maps its id.
 */
const SEEDS = {
  "POST /connections": (req, res) => ({
    kind: "connection",
    id: res.id,
    name: req.name,
    strategy: req.strategy,
    ...(req.enabled_clients ? { enabled_clients: req.enabled_clients } : {}),
  }),
  "POST /users": (req, res) => ({ kind: "user", id: res.user_id, email: req.email, connection: req.connection }),
  "DELETE /users/:id": (_req, _res, path) => ({ kind: "delete-user", id: decodeURIComponent(path.split("/")[2] ?? "") }),
  "DELETE /connections/:id": (_req, _res, path) => ({ kind: "delete-connection", id: path.split("/")[2] }),
  // mcp-auth0 assigns roles through /roles/{id}/users; Terraform's user-role resource uses these.
  "POST /users/:id/roles": (req, _res, path) => ({ kind: "assign-roles", id: decodeURIComponent(path.split("/")[2] ?? ""), roles: req.roles }),
  "DELETE /users/:id/roles": (req, _res, path) => ({ kind: "unassign-roles", id: decodeURIComponent(path.split("/")[2] ?? ""), roles: req.roles }),
};

const ID_KEYS = new Set(["id", "client_id", "user_id"]);

function routeOf(method, path) {
  const segments = path.split("/").slice(1);
  for (const route of [...COMPARED, ...Object.keys(SEEDS)]) {
    const [m, p] = route.split(" ");
    if (m !== method) continue;
    const pattern = p.split("/").slice(1);
    if (pattern.length === segments.length && pattern.every((s, i) => s.startsWith(":") || s === segments[i])) return route;
  }
  return undefined;
}

/**
 * The response's shape: key → shape for objects, a type name for other values, ids kept as
 * `{$id: value}` (to map them), arrays as `{$array: [element shapes]}` — with `$byId`, only the
 * elements this recording created, matched by id at replay.
 */
function shape(value, known, key) {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    const objects = value.filter((v) => v !== null && typeof v === "object" && !Array.isArray(v));
    if (objects.length === 0) return { $array: value.length === 0 ? [] : [shape(value[0], known)] };
    // Records that this recording created can be matched to the dev tenant's; the tenant's others cannot.
    const withIds = objects.filter((o) => [...ID_KEYS].some((k) => typeof o[k] === "string"));
    if (withIds.length > 0) return { $array: withIds.filter((o) => [...ID_KEYS].some((k) => known.has(o[k]))).map((o) => shape(o, known)), $byId: true };
    return { $array: [shape(objects[0], known)] };
  }
  if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, known, k)]));
  if (typeof value === "string" && ID_KEYS.has(key)) return { $id: value };
  return typeof value;
}

function parseBody(text) {
  if (text === undefined || text === null || String(text).trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return String(text);
  }
}

const gitDir = resolve(process.argv[2] ?? "");
const commit = execFileSync("git", ["--git-dir", gitDir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const outDir = resolve(import.meta.dirname, "..", "test", "data", "auth0-recordings");
mkdirSync(outDir, { recursive: true });

let total = 0;
for (const name of RECORDINGS) {
  const file = `test/data/recordings/${name}.yaml`;
  const doc = parse(execFileSync("git", ["--git-dir", gitDir, "show", `${commit}:${file}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }));
  const raw = doc.interactions.map((it) => {
    const url = new URL(it.request.url);
    return {
      method: it.request.method,
      path: url.pathname.replace(/^\/api\/v2/, ""),
      query: url.search,
      api: url.pathname.startsWith("/api/v2/"),
      request: parseBody(it.request.body),
      status: it.response.code,
      response: parseBody(it.response.body),
    };
  });
  // Ids this recording created (or seeded): only those can be mapped to the dev tenant's.
  const known = new Set();
  for (const r of raw) {
    if (!r.api || r.method !== "POST" || r.response === null || typeof r.response !== "object") continue;
    for (const k of ID_KEYS) if (typeof r.response[k] === "string") known.add(r.response[k]);
  }

  const exchanges = [];
  const skipped = {};
  for (const r of raw) {
    const route = r.api ? routeOf(r.method, r.path) : undefined;
    if (route === undefined) {
      const key = r.api ? `${r.method} /${r.path.split("/")[1]}…` : `${r.method} ${r.path} (not the Management API)`;
      skipped[key] = (skipped[key] ?? 0) + 1;
      continue;
    }
    if (route in SEEDS) {
      exchanges.push({ seed: SEEDS[route](r.request ?? {}, r.response ?? {}, r.path) });
      continue;
    }
    // Registering a CIMD client makes Auth0 fetch the metadata document over the network; the
    // replay serves the document rebuilt from the fields Auth0 mapped from it.
    const mapped = route === "POST /clients/cimd/register" ? r.response?.mapped_fields : undefined;
    exchanges.push({
      ...(mapped
        ? {
            document: {
              client_id: mapped.external_client_id,
              client_name: mapped.name,
              redirect_uris: mapped.callbacks,
              ...(mapped.logo_uri ? { logo_uri: mapped.logo_uri } : {}),
              grant_types: mapped.grant_types,
              token_endpoint_auth_method: mapped.token_endpoint_auth_method,
            },
          }
        : {}),
      route,
      method: r.method,
      path: `${r.path}${r.query}`,
      ...(r.request !== undefined ? { body: r.request } : {}),
      status: r.status,
      ...(r.response !== undefined ? { response: shape(r.response, known) } : {}),
    });
  }
  const compared = exchanges.filter((e) => !e.seed).length;
  total += compared;
  const out = {
    source: { repo: REPO, commit, file, recordedHost: RECORDED_HOST },
    note: "Extracted by scripts/extract-auth0-recordings.mjs; replayed by test/local-tenant/auth0-oracle.test.ts.",
    skipped,
    exchanges,
  };
  // One exchange a line: small, and a diff names the exchange that changed.
  const lines = exchanges.map((e) => `  ${JSON.stringify(e)}`).join(",\n");
  const head = JSON.stringify({ source: out.source, note: out.note, skipped: out.skipped });
  const text = `${head.slice(0, -1)},\n "exchanges": [\n${lines}\n ]\n}`.replaceAll(RECORDED_HOST, "{domain}");
  writeFileSync(join(outDir, `${name}.json`), `${text}\n`);
  console.log(`${name}: ${compared} exchanges, ${exchanges.length - compared} seeds, skipped ${JSON.stringify(skipped)}`);
}
console.log(`${total} exchanges in ${RECORDINGS.length} recordings`);
