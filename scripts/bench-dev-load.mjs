#!/usr/bin/env node
// Benchmark (not a test), issue 16: a dev tenant on this machine (127.0.0.1, state persisted in a
// data directory, as `mcp-auth0 dev` runs it) under N MCP-client logins, C at a time. Each flow is
// what an MCP client does: the authorization server metadata, Dynamic Client Registration,
// /authorize (auto-login, headless), and the token exchange with PKCE. Prints failures and latencies; exits 1 unless 0 failures and register
// p95 < 2 s. The tenant runs in its own process, so the load generator does not share its event loop.
//
//   node scripts/bench-dev-load.mjs [--flows 1000] [--concurrency 100]
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Agent, fetch } from "undici";

const root = resolve(import.meta.dirname, "..");
const { values: opts } = parseArgs({
  options: {
    flows: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "100" },
  },
});
const flows = Number(opts.flows);
const concurrency = Number(opts.concurrency);
const API = "https://bench.example.com/mcp";
const REDIRECT_URI = "http://127.0.0.1:53682/callback";

// The tenant's process: provisioned as `mcp-auth0 init` leaves a tenant for DCR clients.
const tenantScript = `
import { startLocalTenant } from ${JSON.stringify(join(root, "dist", "local-tenant", "server.js"))};
const tenant = await startLocalTenant({ dataDir: process.argv[1], oauth: { autoLogin: "user@example.com" } });
const store = tenant.store;
store.settings.flags.enable_dynamic_client_registration = true;
store.addResourceServer({ identifier: ${JSON.stringify(API)}, name: "Bench", scopes: [{ value: "tool:whoami", description: "Read your identity" }] });
store.addClientGrant({ audience: ${JSON.stringify(API)}, default_for: "third_party_clients", subject_type: "user", scope: ["tool:whoami"] });
store.findConnectionByName("Username-Password-Authentication").is_domain_connection = true;
store.changed();
process.stdout.write(JSON.stringify({ url: tenant.url, ca: tenant.caCertPem }) + "\\n");
process.once("SIGTERM", () => tenant.close().then(() => process.exit(0)));
`;

const dataDir = await mkdtemp(join(tmpdir(), "mcp-auth0-bench-dev-"));
const child = spawn(process.execPath, ["--input-type=module", "-e", tenantScript, dataDir], { stdio: ["ignore", "pipe", "inherit"] });
const { url, ca } = await new Promise((resolveReady, reject) => {
  let buffered = "";
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    const newline = buffered.indexOf("\n");
    if (newline >= 0) resolveReady(JSON.parse(buffered.slice(0, newline)));
  });
  child.once("exit", (code) => reject(new Error(`the tenant exited with ${code}`)));
});

const agent = new Agent({ connect: { ca }, connections: concurrency, keepAliveTimeout: 30_000 });
const request = (path, init = {}) => fetch(new URL(path, url), { ...init, dispatcher: agent, redirect: "manual" });

const registerMs = [];
const flowMs = [];
const failures = new Map();
const fail = (step, detail) => failures.set(`${step}: ${detail}`, (failures.get(`${step}: ${detail}`) ?? 0) + 1);

async function flow(i) {
  const started = performance.now();
  // An MCP client reads the authorization server's metadata first, then registers.
  const metadata = await request("/.well-known/oauth-authorization-server");
  const { registration_endpoint: registrationEndpoint } = await metadata.json();
  if (metadata.status !== 200 || !registrationEndpoint) return fail("metadata", metadata.status);
  const registering = performance.now();
  const registered = await request(registrationEndpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: `Bench client ${i}`,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    }),
  });
  const client = await registered.json();
  registerMs.push(performance.now() - registering);
  if (registered.status !== 201) return fail("register", registered.status);

  const verifier = randomBytes(32).toString("base64url");
  const authorize = new URL("/authorize", url);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    audience: API,
    scope: "openid tool:whoami",
    state: String(i),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }))
    authorize.searchParams.set(k, v);
  let next = authorize;
  let code;
  for (let hop = 0; hop < 10 && code === undefined; hop++) {
    const response = await request(next);
    await response.arrayBuffer();
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) return fail("authorize", response.status);
    next = new URL(location, next);
    if (next.href.startsWith(REDIRECT_URI)) code = next.searchParams.get("code") ?? "";
  }
  if (!code) return fail("authorize", next.searchParams.get("error") ?? "no code");

  const token = await request("/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: client.client_id, code, code_verifier: verifier, redirect_uri: REDIRECT_URI }).toString(),
  });
  const body = await token.json();
  if (token.status !== 200 || typeof body.access_token !== "string") return fail("token", `${token.status} ${body.error ?? ""}`);
  flowMs.push(performance.now() - started);
}

const t0 = performance.now();
let nextFlow = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (nextFlow < flows) {
      const i = nextFlow++;
      await flow(i).catch((error) => fail("network", error.cause?.code ?? error.message));
    }
  }),
);
const wall = (performance.now() - t0) / 1000;
await agent.close();

child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
// Persistence kept up: every registered client is in state.json after the tenant stopped.
const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
const persisted = state.clients.filter((c) => c.name.startsWith("Bench client ")).length;
const stateBytes = (await stat(join(dataDir, "state.json"))).size;
await rm(dataDir, { recursive: true, force: true });

const pct = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
const p95 = pct(registerMs, 95);
const met = failed === 0 && p95 < 2000 && persisted === flows - failed;
console.log(`\nDev tenant load (127.0.0.1, data dir): ${flows} DCR + login flows, ${concurrency} concurrent; Node ${process.version}\n`);
console.log(`| flows ok | failures | register p50 | register p95 | flow p95 | wall   | flows/s | state.json            |`);
console.log(`| -------- | -------- | ------------ | ------------ | -------- | ------ | ------- | --------------------- |`);
console.log(
  `| ${String(flowMs.length).padEnd(8)} | ${String(failed).padEnd(8)} | ${`${pct(registerMs, 50).toFixed(0)} ms`.padEnd(12)} | ${`${p95.toFixed(0)} ms`.padEnd(12)} | ${`${pct(flowMs, 95).toFixed(0)} ms`.padEnd(8)} | ${`${wall.toFixed(1)} s`.padEnd(6)} | ${(flowMs.length / wall).toFixed(0).padEnd(7)} | ${`${persisted} clients, ${(stateBytes / 1024).toFixed(0)} kB`.padEnd(21)} |`,
);
for (const [what, n] of failures) console.log(`  failed ${n} ×  ${what}`);
console.log(`Target (0 failures, register p95 < 2 s, every client persisted): ${met ? "met" : "MISSED"}`);
if (!met) process.exitCode = 1;
