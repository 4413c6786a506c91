import type http from "node:http";
import { resolve } from "node:path";

import { cimdRoutes, type CimdDocumentSnapshot } from "./endpoints/cimd.js";
import { customDomainRoutes, newCustomDomain, type CustomDomain } from "./custom-domain.js";
import { FaultInjector, TokenBucket, type FaultOptions } from "./faults.js";
import type { OAuthSide, OAuthSideOptions } from "./oauth/index.js";
import { send, serialize } from "./http.js";
import { listenHeld } from "./listen.js";
import { ManagementApi } from "./management-api.js";
import { ensureDir, loadState, saveState, StateWriter } from "./persistence.js";
import { createRouter, type CallRecord, type Host, type RequestHandler } from "./router.js";
import { PLAN_LIMITS, withPlanLimit, type PlanLimits, type TenantPlan } from "./plan.js";
import { MANAGEMENT_SCOPES } from "./scopes.js";
import { addM2MApplication, initTenant, seedSampleData } from "./seed.js";
import { TenantStore } from "./store.js";
import { loadOrCreateTls } from "./tls.js";
import { ManagementTokenEndpoint } from "./token-endpoint.js";
import { TenantSigningKey } from "./tokens.js";

export type { CimdDocumentSnapshot } from "./endpoints/cimd.js";
export type { CustomDomain } from "./custom-domain.js";
export type { FaultOptions } from "./faults.js";
export type { TenantPlan } from "./plan.js";
export type { OAuthSide, OAuthSideOptions } from "./oauth/index.js";
export type { CallRecord } from "./router.js";
export { MANAGEMENT_SCOPES };
export { TenantStore } from "./store.js";

export interface LocalTenantOptions {
  port?: number; // 0 or undefined = random free port; listen on 127.0.0.1
  dataDir?: string; // when given: load state/keys/CA from here if present, else create and save them; state changes are saved within 100 ms and on close (state.json, written atomically)
  seed?: boolean; // default true: seed a fresh tenant (connections and users; settings, the Management API and the M2M app always exist)
  oauth?: false | OAuthSideOptions; // the OAuth/OIDC side (src/local-tenant/oauth); false = none (unknown paths answer 404)
  /**
   * Also serve the tenant on a custom domain (see custom-domain.ts): a second HTTPS listener at
   * `127.0.0.1:<port>` (default a free port) with its own issuer for MCP clients, no Management API,
   * and listed by GET /api/v2/custom-domains.
   */
  customDomain?: boolean | { port?: number };
  /** Auth0's free-plan limits (see plan.ts); default none. */
  plan?: TenantPlan;
  /** How the tenant fetches Client ID Metadata Documents on import (POST /clients/cimd/register); default the global fetch. */
  fetch?: typeof fetch;
  /** Metadata documents served from this copy instead of the network (the catalogue's clients: the dev tenant works offline). */
  cimdSnapshot?: CimdDocumentSnapshot;
  /** Test-only: the controls of TestControls (calls, faults, extra M2M apps, minted tokens). Never on in `mcp-auth0 dev`. */
  testControls?: boolean;
}

/** What only a test may do to a tenant: see and reset its calls, inject faults, mint credentials. */
export interface TestOptions extends LocalTenantOptions {
  testControls: true;
  faults?: FaultOptions;
  fallback?: RequestHandler; // requests matching no route of ours go here instead of the OAuth side
}

export interface LocalTenant {
  domain: string; // "localhost:PORT"
  url: string; // "https://localhost:PORT"
  caCertPem: string; // PEM of the CA that signed the server certificate
  caCertPath?: string; // when dataDir is given: path of the CA PEM file (for NODE_EXTRA_CA_CERTS)
  notes: string[]; // what the one who started it should know (a data directory whose mode was tightened)
  m2m: { clientId: string; clientSecret: string }; // M2M application granted EVERY Management API scope
  store: TenantStore; // live state
  oauth?: OAuthSide; // the OAuth/OIDC side of the canonical domain, when mounted (issuer `${url}/`)
  customDomain?: CustomDomain & { oauth?: OAuthSide }; // when started with `customDomain`
  close(): Promise<void>;
}

export interface TestControls {
  calls: CallRecord[]; // every request received on any host, in order (including /oauth/token)
  writes(): CallRecord[]; // calls.filter(c => c.write)
  resetCalls(): void;
  /**
   * How many round trips the calls took: the longest chain of calls each of which started only
   * after the one before it had been answered. Independent calls sent together count once.
   */
  roundTrips(records?: CallRecord[]): number;
  /** When a call arrived and was answered (performance.now() of this process). */
  spanOf(record: CallRecord): { start: number; end: number } | undefined;
  setFaults(f: FaultOptions): void;
  createM2MApplication(scopes: string[]): { clientId: string; clientSecret: string }; // an M2M app granted only these Management API scopes ([] = an app with no grant at all → token request 403)
  issueManagementToken(scopes: string[], opts?: { expiresInSeconds?: number }): string; // a signed Management API JWT with exactly these scopes
}

export type TestLocalTenant = LocalTenant & TestControls;

/** Without the OAuth side (`oauth: false`), unknown paths answer a plain 404. */
function notFound(req: http.IncomingMessage, res: http.ServerResponse): void {
  send(res, serialize({ status: 404, body: { statusCode: 404, error: "Not Found", message: `No route for ${req.method ?? "GET"} ${req.url ?? "/"}` } }));
}

/** The OAuth side's share of the plan: one registration and one exchange bucket for both hosts, as for one tenant. */
function limitsOf(limits: PlanLimits): { registrationLimit?: TokenBucket; tokenExchangeLimit?: TokenBucket } {
  return {
    ...(limits.registration ? { registrationLimit: new TokenBucket(limits.registration.perSecond, limits.registration.burst) } : {}),
    ...(limits.tokenExchange ? { tokenExchangeLimit: new TokenBucket(limits.tokenExchange.perSecond, limits.tokenExchange.burst) } : {}),
  };
}

function loadStore(dataDir: string | undefined, domain: string, seed: boolean): TenantStore {
  // The domain is only known once listening, and the system API's identifier depends on it.
  const loaded = dataDir === undefined ? undefined : loadState(dataDir);
  if (loaded) {
    loaded.rebindDomain(domain);
    return loaded;
  }
  const store = TenantStore.empty(domain);
  initTenant(store);
  if (seed) seedSampleData(store);
  return store;
}

/**
 * Starts a local HTTPS tenant that behaves like Auth0's Management API v2 (and its client-credentials
 * token endpoint) and its OAuth side for everything mcp-auth0 and MCP clients touch, with optional
 * persistence, a custom domain, and — for tests only — fault injection and call records.
 */
export async function startLocalTenant(options: TestOptions): Promise<TestLocalTenant>;
export async function startLocalTenant(options?: LocalTenantOptions): Promise<LocalTenant>;
export async function startLocalTenant(options: LocalTenantOptions | TestOptions = {}): Promise<LocalTenant | TestLocalTenant> {
  const test = options.testControls === true ? (options as TestOptions) : undefined;
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const dataDirNote = dataDir === undefined ? undefined : ensureDir(dataDir);
  const [tls, signingKey] = await Promise.all([loadOrCreateTls(dataDir), TenantSigningKey.loadOrCreate(dataDir)]);

  // Listening first fixes the ports (the domains name them); requests wait until all is ready.
  const canonical = await listenHeld(options.port ?? 0, tls);
  const wantsCustom = options.customDomain !== undefined && options.customDomain !== false;
  const customPort = typeof options.customDomain === "object" ? (options.customDomain.port ?? 0) : 0;
  const customServer = wantsCustom
    ? await listenHeld(customPort, tls).catch(async (error: unknown) => {
        await canonical.close();
        throw error;
      })
    : undefined;
  const servers = [canonical, ...(customServer ? [customServer] : [])];
  try {
    const domain = `localhost:${canonical.port}`;
    const url = `https://${domain}`;
    const customDomain: CustomDomain | undefined = customServer ? newCustomDomain(customServer.port) : undefined;

    const store = loadStore(dataDir, domain, options.seed ?? true);
    // Changes are saved off the request path (debounced, atomic), and flushed on close.
    const stateWriter = dataDir === undefined ? undefined : new StateWriter(dataDir, store);
    if (dataDir !== undefined && stateWriter !== undefined) {
      store.onChange(() => stateWriter.schedule());
      saveState(dataDir, store);
    }
    let m2mClient = store.m2mClientId === undefined ? undefined : store.findClient(store.m2mClientId);
    if (!m2mClient) {
      // A state file edited by hand may have lost it; the tenant is unusable without one.
      m2mClient = addM2MApplication(store, "mcp-auth0 local (Management API)", MANAGEMENT_SCOPES);
      store.m2mClientId = m2mClient.client_id;
      store.changed();
    }
    const m2m = { clientId: m2mClient.client_id, clientSecret: m2mClient.client_secret ?? "" };

    const limits = options.plan === undefined ? {} : PLAN_LIMITS[options.plan];
    // Both sides create applications (the Management API, DCR, CIMD imports): the store holds the plan they count against.
    store.plan = limits;
    // The OAuth side loads oidc-provider (and Koa) only here, so nothing else pays for it.
    let oauth: OAuthSide | undefined;
    let customOAuth: OAuthSide | undefined;
    if (test?.fallback === undefined && options.oauth !== false) {
      const { createOAuthSide } = await import("./oauth/index.js");
      const sideOptions = { store, signingKey, ...(options.oauth ?? {}), ...limitsOf(limits) };
      oauth = await createOAuthSide({ ...sideOptions, issuer: `${url}/` });
      if (customDomain) customOAuth = await createOAuthSide({ ...sideOptions, issuer: customDomain.issuer });
    }

    const faults = new FaultInjector(test?.faults);
    const calls: CallRecord[] = [];
    // When each call arrived and was answered; kept beside the records so that their shape stays as it is.
    const spans = new WeakMap<CallRecord, { start: number; end: number }>();
    const deps = {
      api: new ManagementApi(store, signingKey, [
        ...customDomainRoutes(customDomain),
        ...cimdRoutes({ fetch: options.fetch ?? fetch, ...(options.cimdSnapshot ? { snapshot: options.cimdSnapshot } : {}) }),
      ]),
      tokenEndpoint: new ManagementTokenEndpoint(store, signingKey),
      customDomain,
      decide: withPlanLimit(
        limits,
        (request) => faults.next(request),
        () => faults.now(),
      ),
      // Only a test reads them; `mcp-auth0 dev` keeps none, however long it runs.
      ...(test
        ? {
            onCall: (record: CallRecord, res: http.ServerResponse) => {
              calls.push(record);
              const span = { start: performance.now(), end: Number.POSITIVE_INFINITY };
              spans.set(record, span);
              res.once("close", () => (span.end = performance.now()));
            },
          }
        : {}),
    };
    const canonicalHost: Host = { url, fallback: test?.fallback ?? oauth?.handle ?? notFound };
    canonical.ready(createRouter(canonicalHost, deps));
    if (customServer && customDomain) customServer.ready(createRouter({ url: customDomain.url, custom: customDomain, fallback: customOAuth?.handle ?? notFound }, deps));

    const tenant: LocalTenant = {
      domain,
      url,
      caCertPem: tls.caCertPem,
      notes: dataDirNote ? [dataDirNote] : [],
      ...(tls.caCertPath !== undefined ? { caCertPath: tls.caCertPath } : {}),
      m2m,
      store,
      ...(oauth ? { oauth } : {}),
      ...(customDomain ? { customDomain: { ...customDomain, ...(customOAuth ? { oauth: customOAuth } : {}) } } : {}),
      close: async () => {
        await Promise.all(servers.map((s) => s.close()));
        await stateWriter?.close();
      },
    };
    if (!test) return tenant;
    const controls: TestControls = {
      calls,
      writes: () => calls.filter((c) => c.write),
      resetCalls: () => {
        // Emptied in place: `tenant.calls` stays the live list.
        calls.length = 0;
      },
      spanOf: (record) => spans.get(record),
      roundTrips: (records = calls) => roundTrips(records.map((r) => spans.get(r)).filter((s) => s !== undefined)),
      setFaults: (f) => faults.set(f),
      createM2MApplication: (scopes) => {
        const client = addM2MApplication(store, `M2M application ${store.clients.length + 1}`, scopes);
        return { clientId: client.client_id, clientSecret: client.client_secret ?? "" };
      },
      issueManagementToken: (scopes, opts) => signingKey.signManagementToken(store.domain, { clientId: m2m.clientId, scopes, expiresInSeconds: opts?.expiresInSeconds ?? 86400 }),
    };
    return { ...tenant, ...controls };
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
}

/** The depth of the longest chain of spans where each starts after the previous one ended. */
export function roundTrips(spans: Array<{ start: number; end: number }>): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  sorted.forEach((span, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= span.start) before = Math.max(before, depth[j]!);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}
