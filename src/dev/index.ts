import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { parseEnv } from "node:util";

import type { Agent } from "undici";
import { trustingFetch } from "../tenant/trust.js";

import { loginUser, type LoginOptions, type UserTokens } from "./login.js";

export type { LoginOptions, UserTokens } from "./login.js";

/*
 * `mcp-auth0/dev`: the dev tenant for other projects' test suites. It starts `mcp-auth0 dev`'s
 * tenant in-process on a free port, provisions it by running the real `mcp-auth0 init --local`
 * with the project's config file (no second implementation of init), and hands back what a test
 * needs: the issuer, the CA, a dispatcher that trusts it, and headless user logins.
 */

export interface StartDevTenantOptions {
  /** Default 0: a free port. */
  port?: number;
  /**
   * What `mcp-auth0 init` applies: the path of an mcp-auth0.config.yaml (or .json), or the same
   * document as an object. Without it the tenant is left as `mcp-auth0 dev` starts it (DCR off).
   */
  config?: string | Record<string, unknown>;
  /** Values for `${VAR}` in the config (e.g. MCP_SERVER_URL); default process.env. AUTH0_DOMAIN is the tenant's. */
  env?: Record<string, string | undefined>;
  /** Where state, keys and the CA live; default a temporary directory, removed by stop(). */
  dataDir?: string;
  /** Headless mode for MCP clients under test: this dev user logs in and consents without pages. */
  autoLogin?: string;
  /** Auth0's free-plan limits. */
  plan?: "free";
}

/**
 * What a test needs to reach the tenant, as plain data: a vitest `globalSetup` can `provide()` it
 * to every test file, which then calls `connectDevTenant(inject(...))`.
 */
export interface DevTenantInfo {
  /** `localhost:<port>` — what AUTH0_DOMAIN holds. */
  domain: string;
  /** `https://localhost:<port>/`, with Auth0's trailing slash: the `iss` of every token. */
  issuer: string;
  /** The API identifier `config` provisioned (the audience of user tokens), if any. */
  audience?: string;
  /** That API's scopes: what `loginUser` asks for by default. */
  scopes: string[];
  /** The PEM of the CA that signed the tenant's certificate. */
  caCertPem: string;
  /** That CA as a file, for NODE_EXTRA_CA_CERTS of a child process (an MCP server started by the test). */
  caCertPath: string;
  /** What init wrote to the MCP server's .env (AUTH0_DOMAIN, AUTH0_AUDIENCE, MCP_SERVER_URL); empty without config. */
  env: Record<string, string>;
  /** The dev users (admin@example.com, user@example.com, google.user@example.com). */
  users: Array<{ email: string; connection: string }>;
  /** The catalogued MCP clients' metadata documents the tenant imports without going online, and when they were copied. */
  cimdSnapshot: { takenOn: string; urls: string[] };
}

/** HTTP access to the tenant that trusts its CA, and headless logins. */
export interface DevTenantClient {
  /** An undici dispatcher that trusts the CA: `fetch(url, { dispatcher })` with undici's fetch. */
  dispatcher: Agent;
  /** A fetch through that dispatcher answering the global Response (for the MCP SDK, or jose's `customFetch`). */
  fetch: typeof globalThis.fetch;
  /** Logs a dev user in headlessly (DCR, PKCE, login page, consent, code exchange) and returns their access token. */
  loginUser: (email: string, options?: LoginOptions) => Promise<UserTokens>;
  close(): Promise<void>;
}

export interface DevTenant extends DevTenantInfo, Omit<DevTenantClient, "close"> {
  /** The plain-data part, for `provide()`. */
  info: DevTenantInfo;
  /** Stops the tenant (and removes its temporary data directory). */
  stop(): Promise<void>;
}

/** A client of a running dev tenant, from its info (e.g. in a test file, from a globalSetup). */
export function connectDevTenant(info: DevTenantInfo): DevTenantClient {
  const { fetch: fetchWithCa, dispatcher, close } = trustingFetch(info.caCertPem);
  // One DCR client for every login of this connection, as one MCP client would be.
  let clientId: string | undefined;
  return {
    dispatcher,
    fetch: fetchWithCa,
    loginUser: async (email, login = {}) => {
      const audience = login.audience ?? info.audience;
      if (audience === undefined) throw new Error("loginUser: no audience (pass one, or start the tenant with a config that provisions an API)");
      const scopes = login.scopes ?? (audience === info.audience ? info.scopes : []);
      const tokens = await loginUser(fetchWithCa, info.issuer, email, audience, scopes, clientId);
      clientId = tokens.clientId;
      return tokens;
    },
    close,
  };
}

/** Output of the in-process init, shown only when it fails. */
class Captured extends PassThrough {
  text = "";
  isTTY = false;
  constructor() {
    super();
    this.on("data", (chunk: Buffer) => (this.text += chunk.toString("utf8")));
  }
}

async function provision(workDir: string, dataDir: string, domain: string, options: StartDevTenantOptions): Promise<Record<string, string>> {
  const config = options.config;
  if (config === undefined) return {};
  const file = typeof config === "string" ? resolve(config) : join(workDir, "mcp-auth0.config.json");
  if (typeof config !== "string") await writeFile(file, JSON.stringify(config, null, 2));
  const { runCli } = await import("../cli.js");
  const stdout = new Captured();
  const stderr = new Captured();
  const env = { ...(options.env ?? process.env), AUTH0_DOMAIN: domain };
  const code = await runCli(["init", "--yes", "--config", file, "--local", "--data-dir", dataDir, "--env-path", join(workDir, ".env")], {
    env,
    cwd: workDir,
    stdout,
    stderr,
    stdinIsTTY: false,
  });
  if (code !== 0) throw new Error(`startDevTenant: mcp-auth0 init with ${file} failed (exit ${code}):\n${stderr.text}`);
  return parseEnv(await readFile(join(workDir, ".env"), "utf8")) as Record<string, string>;
}

/** Starts a dev tenant on a free port, provisioned from `config` as `mcp-auth0 init` would. */
export async function startDevTenant(options: StartDevTenantOptions = {}): Promise<DevTenant> {
  const workDir = await mkdtemp(join(tmpdir(), "mcp-auth0-dev-"));
  const dataDir = options.dataDir === undefined ? join(workDir, "data") : resolve(options.dataDir);
  const { startDevTenant: startCliTenant } = await import("../local-tenant/dev.js");
  const tenant = await startCliTenant({
    port: options.port ?? 0,
    dataDir,
    ...(options.autoLogin !== undefined ? { autoLogin: options.autoLogin } : {}),
    ...(options.plan !== undefined ? { plan: options.plan } : {}),
  });
  const stopTenant = async () => {
    await tenant.close();
    await rm(workDir, { recursive: true, force: true });
  };
  let env: Record<string, string>;
  try {
    env = await provision(workDir, dataDir, tenant.domain, options);
  } catch (error) {
    await stopTenant();
    throw error;
  }
  const audience = env["AUTH0_AUDIENCE"];
  const info: DevTenantInfo = {
    domain: tenant.domain,
    issuer: tenant.issuer,
    ...(audience ? { audience } : {}),
    scopes: (audience === undefined ? undefined : tenant.store.resourceServerByIdentifier(audience))?.scopes?.map((s) => s.value) ?? [],
    caCertPem: tenant.caCertPem,
    caCertPath: tenant.caCertPath,
    env,
    users: tenant.users().map(({ email, connection }) => ({ email, connection })),
    cimdSnapshot: { takenOn: tenant.cimdSnapshot.takenOn, urls: Object.keys(tenant.cimdSnapshot.documents) },
  };
  const client = connectDevTenant(info);
  return {
    ...info,
    info,
    dispatcher: client.dispatcher,
    fetch: client.fetch,
    loginUser: client.loginUser,
    stop: async () => {
      await client.close();
      await stopTenant();
    },
  };
}
