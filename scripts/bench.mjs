#!/usr/bin/env node
// Benchmark (not a test): what the spec's example and a large roles file cost against the local
// tenant, counted at the tenant: calls, writes, round trips under a per-call latency, and the wall
// time under a free-tier and a paid-tier rate limit, each compared with the floor that limit sets;
// and the start-up time of --help against a bare `node -e 0`.
//
//   npm run bench [-- --latency 50 --runs 15 --roles 300 --permissions 20 --users 2000]
import { execFile, spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { startLocalTenant } from "../dist/local-tenant/server.js";
import { scopesNeeded } from "../dist/plan/command-scopes.js";

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin", "mcp-auth0.js");
const { values: opts } = parseArgs({
  options: {
    latency: { type: "string", default: "50" },
    runs: { type: "string", default: "15" },
    roles: { type: "string", default: "300" },
    permissions: { type: "string", default: "20" },
    users: { type: "string", default: "2000" },
  },
});
const latencyMs = Number(opts.latency);
const runs = Number(opts.runs);
const size = { roles: Number(opts.roles), permissions: Number(opts.permissions), users: Number(opts.users) };
/** Auth0's free plan (2 requests/s, burst 2) and a paid one (15/s, burst 30). */
const LIMITS = [
  { perSecond: 2, burst: 2 },
  { perSecond: 15, burst: 30 },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timeRun(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

// 1. Start-up: interleaved, so that machine noise hits both alike.
const startup = { bare: [], help: [], version: [] };
timeRun(["-e", "0"]);
timeRun([bin, "--help"]);
for (let i = 0; i < runs; i++) {
  startup.bare.push(timeRun(["-e", "0"]));
  startup.help.push(timeRun([bin, "--help"]));
  startup.version.push(timeRun([bin, "--version"]));
}

// 2. The workloads, each against its own local tenant.
const identifier = "https://mcp.example.com/mcp";
// On-Behalf-Of (issue 23): the same init with one downstream API, whose permission a role of the file gives.
const DOWNSTREAM = "http://localhost:8787/";
const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-bench-"));
await copyFile(join(root, "examples", "roles.yaml"), join(dir, "roles.yaml"));
await writeFile(
  join(dir, "obo-roles.yaml"),
  (await readFile(join(root, "examples", "roles.yaml"), "utf8")).replace(/(users: \[admin@example.com\]\n)/, `$1    apiPermissions:\n      ${DOWNSTREAM}: [read:private]\n`),
);
const initArgs = (envDir) => [
  bin,
  "init",
  "--yes",
  "--api-identifier",
  identifier,
  "--api-name",
  "Acceptance MCP",
  "--scopes",
  "tool:whoami=Read your identity,tool:greet=Greet someone",
  "--connections",
  "Username-Password-Authentication,google-oauth2",
  "--roles",
  join(dir, "roles.yaml"),
  "--server-url",
  identifier,
  "--env-path",
  join(envDir, ".env"),
];
const oboArgs = (envDir) => [
  ...initArgs(envDir).map((arg) => (arg.endsWith("roles.yaml") ? join(dir, "obo-roles.yaml") : arg)),
  "--downstream-api",
  `${DOWNSTREAM}=read:private=Read private data`,
  "--api-base-url",
  "http://localhost:8787",
];
const SYNC_API = "https://bench.example.com/mcp";
const syncArgs = [bin, "roles", "sync", "--yes", "--file", join(dir, "bench-roles.yaml"), "--api-identifier", SYNC_API];

/** The roles file's roles, already in the tenant with their permissions and users: the converged case. */
async function seedRoles(tenant) {
  const scopes = Array.from({ length: size.permissions }, (_, i) => ({ value: `perm:${i}`, description: `Permission ${i}` }));
  tenant.store.addResourceServer({ identifier: SYNC_API, name: "Bench", scopes });
  const users = Array.from({ length: size.users }, (_, i) => tenant.store.addUser({ email: `user${i}@example.com` }));
  const lines = ["roles:"];
  for (let r = 0; r < size.roles; r++) {
    const role = tenant.store.addRole({ name: `Bench role ${r}`, description: `Role ${r}` });
    tenant.store.addRolePermissions(
      role.id,
      scopes.map((s) => ({ resource_server_identifier: SYNC_API, permission_name: s.value })),
    );
    const members = users.filter((_, i) => i % size.roles === r);
    tenant.store.addRoleUsers(
      role.id,
      members.map((u) => u.user_id),
    );
    lines.push(
      `  - name: Bench role ${r}`,
      `    description: Role ${r}`,
      `    permissions: [${scopes.map((s) => s.value).join(", ")}]`,
      `    users: [${members.map((u) => u.email).join(", ")}]`,
    );
  }
  await writeFile(join(dir, "bench-roles.yaml"), `${lines.join("\n")}\n`);
}

async function withTenant(faults, work) {
  const tenant = await startLocalTenant({ testControls: true, faults });
  const home = await mkdtemp(join(dir, "run-"));
  await writeFile(join(home, "ca.pem"), tenant.caCertPem);
  const env = {
    PATH: process.env.PATH,
    CI: "true",
    NODE_EXTRA_CA_CERTS: join(home, "ca.pem"),
    AUTH0_DOMAIN: tenant.domain,
    AUTH0_CLIENT_ID: tenant.m2m.clientId,
    AUTH0_CLIENT_SECRET: tenant.m2m.clientSecret,
  };
  try {
    return await work(
      tenant,
      async (args, credentials = {}) => {
        tenant.resetCalls();
        const t = Date.now();
        try {
          await exec(process.execPath, args, { env: { ...env, ...credentials }, cwd: home, maxBuffer: 64 << 20 });
        } catch (error) {
          throw new Error(`${args.slice(1, 3).join(" ")} failed: ${error.stderr}`, { cause: error });
        }
        const wall = (Date.now() - t) / 1000;
        const management = tenant.calls.filter((c) => c.path.startsWith("/api/v2/") || c.path.startsWith("/oauth/token"));
        const answered = management.filter((c) => c.status !== 429);
        const token = management.find((c) => c.path.startsWith("/oauth/token"));
        const firstApi = management.find((c) => c.path.startsWith("/api/v2/"));
        return {
          calls: answered.length,
          rejected: management.length - answered.length,
          // The rate limit counts /api/v2 requests only (the token endpoint has its own bucket).
          api: answered.filter((c) => c.path.startsWith("/api/v2/")).length,
          writes: tenant.writes().filter((c) => c.status < 400).length,
          roundTrips: tenant.roundTrips(management),
          // What is left of the SDK's import once the token has arrived: it loads during the token request.
          sdkGap: token && firstApi ? tenant.spanOf(firstApi).start - tenant.spanOf(token).end : undefined,
          wall,
        };
      },
      home,
    );
  } finally {
    await tenant.close();
  }
}

const results = {};
async function workloads(label, faults) {
  const out = await withTenant(faults, async (tenant, measure, home) => {
    // The application `credentials create --scopes-for init,roles` makes: exactly what init needs.
    const exact = tenant.createM2MApplication(scopesNeeded({ commands: ["init", "roles"], mode: "dcr" }));
    const asExact = { AUTH0_CLIENT_ID: exact.clientId, AUTH0_CLIENT_SECRET: exact.clientSecret };
    const fresh = await measure(initArgs(home), asExact);
    const converged = await measure(initArgs(home), asExact);
    // The tenant's own application holds every scope: the custom domains, and the rules and applications the verdict checks, are read too.
    const lookup = await measure(initArgs(home));
    return { fresh, converged, lookup };
  });
  const obo = await withTenant(faults, async (tenant, measure, home) => {
    // What `credentials create --scopes-for init,roles,obo` grants.
    const app = tenant.createM2MApplication(scopesNeeded({ commands: ["init", "roles", "obo"], mode: "dcr" }));
    const as = { AUTH0_CLIENT_ID: app.clientId, AUTH0_CLIENT_SECRET: app.clientSecret };
    const oboFresh = await measure(oboArgs(home), as);
    const oboConverged = await measure(oboArgs(home), as);
    return { oboFresh, oboConverged };
  });
  const sync = await withTenant(faults, async (tenant, measure) => {
    await seedRoles(tenant);
    return measure(syncArgs);
  });
  results[label] = { ...out, ...obo, sync };
}

await workloads("latency", { latencyMs });
for (const limit of LIMITS) {
  process.stderr.write(`… ${limit.perSecond}/s burst ${limit.burst}\n`);
  await workloads(`${limit.perSecond}/${limit.burst}`, { rateLimit: limit });
}

// A free tenant whose clock is 1 s behind or ahead of ours (issue 21): x-ratelimit-reset is a second
// on the tenant's clock, so a client that read it on its own clock collected a 429 for every call.
const skewed = [];
for (const skew of [-1000, 1000]) {
  process.stderr.write(`… ${LIMITS[0].perSecond}/s burst ${LIMITS[0].burst}, the tenant's clock 1 s ${skew < 0 ? "behind" : "ahead"}\n`);
  const fresh = await withTenant({ rateLimit: LIMITS[0], clockSkewMs: skew }, async (tenant, measure, home) => {
    const exact = tenant.createM2MApplication(scopesNeeded({ commands: ["init", "roles"], mode: "dcr" }));
    return measure(initArgs(home), { AUTH0_CLIENT_ID: exact.clientId, AUTH0_CLIENT_SECRET: exact.clientSecret });
  });
  skewed.push({ skew, fresh });
}

// 3. The table: one row per workload.
const floor = (r, limit) => Math.max(0, r.api - limit.burst) / limit.perSecond;
const ratio = (r, limit) => {
  const f = floor(r, limit);
  return f > 0 ? `${(r.wall / f).toFixed(2)} × ${f.toFixed(1)} s` : `${r.wall.toFixed(1)} s (under the burst)`;
};
const rows = [];
const row = (what, key) => {
  const r = results.latency[key];
  rows.push({
    what,
    calls: `${r.calls}`,
    writes: `${r.writes}`,
    "round trips": `${r.roundTrips}`,
    "wall ÷ floor, 2/s burst 2": ratio(results["2/2"][key], LIMITS[0]) + (results["2/2"][key].rejected ? ` (${results["2/2"][key].rejected} × 429)` : ""),
    "wall ÷ floor, 15/s burst 30": ratio(results["15/30"][key], LIMITS[1]) + (results["15/30"][key].rejected ? ` (${results["15/30"][key].rejected} × 429)` : ""),
  });
};
row("init, fresh tenant", "fresh");
row("init, converged re-run", "converged");
row("init, converged, a token holding every scope", "lookup");
row("init with one downstream API (--downstream-api), fresh tenant", "oboFresh");
row("init with one downstream API, converged re-run", "oboConverged");
row(`roles sync ${size.roles} roles × ${size.permissions} permissions × ${size.users} users, converged`, "sync");
const ratioOf = (xs) => (median(xs) / median(startup.bare)).toFixed(2);
const dash = "";
rows.push({
  what: `--help (median of ${runs}, interleaved)`,
  calls: dash,
  writes: dash,
  "round trips": dash,
  "wall ÷ floor, 2/s burst 2": `${median(startup.help).toFixed(0)} ms = ${ratioOf(startup.help)} × node -e 0 (${median(startup.bare).toFixed(0)} ms)`,
  "wall ÷ floor, 15/s burst 30": dash,
});
rows.push({
  what: `--version (median of ${runs}, interleaved)`,
  calls: dash,
  writes: dash,
  "round trips": dash,
  "wall ÷ floor, 2/s burst 2": `${median(startup.version).toFixed(0)} ms = ${ratioOf(startup.version)} × node -e 0`,
  "wall ÷ floor, 15/s burst 30": dash,
});

const headers = Object.keys(rows[0]);
const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => r[h].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
const gap = results.latency.fresh.sdkGap;
console.log(`Local tenant; round trips at ${latencyMs} ms per call; floor = (API calls − burst) ÷ rate; Node ${process.version}`);
console.log(`From the token's answer to the first API call: ${gap.toFixed(0)} ms (the SDK is imported while the token request is on its way)\n`);
console.log(line(headers));
console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const r of rows) console.log(line(headers.map((h) => r[h])));
// Requests per call: every /api/v2 request the tenant saw, 429s included, per call it answered.
console.log("");
for (const { skew, fresh } of skewed) {
  const requests = fresh.api + fresh.rejected;
  console.log(
    `init, fresh tenant, ${LIMITS[0].perSecond}/s burst ${LIMITS[0].burst}, the tenant's clock 1 s ${skew < 0 ? "behind" : "ahead of"} ours: ` +
      `${requests} requests for ${fresh.api} calls = ${(requests / fresh.api).toFixed(2)} requests per call; wall ÷ floor ${ratio(fresh, LIMITS[0])}`,
  );
}
// 4. The dev tenant under 1000 MCP-client logins, 100 concurrent (issue 16): its own script, its own table.
if (spawnSync(process.execPath, [join(root, "scripts", "bench-dev-load.mjs")], { stdio: "inherit" }).status !== 0) process.exitCode = 1;
