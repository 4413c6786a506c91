import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

import { METADATA_SNAPSHOT } from "../clients/metadata-snapshot.js";
import { CONNECTION_FILE, localConnectionSchema, type LocalConnection } from "../tenant/local.js";
import { writeFileAtomic } from "./persistence.js";
import { connectionOf } from "./oauth/policy.js";
import { startLocalTenant, type CimdDocumentSnapshot, type LocalTenant, type TenantPlan } from "./server.js";

export interface DevTenantOptions {
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Where state, keys, the CA and connection.json live. */
  dataDir: string;
  /** Headless mode: log this dev user in and consent without a page (see OAuthSideOptions). */
  autoLogin?: string;
  /** Also serve a custom domain (see LocalTenantOptions.customDomain) on this port (0 = a free one). */
  customDomainPort?: number;
  /** Auth0's free-plan limits (see plan.ts). */
  plan?: TenantPlan;
  /** How Client ID Metadata Documents are fetched on import (see LocalTenantOptions.fetch). */
  fetch?: typeof fetch;
}

export interface DevUser {
  email: string;
  name: string;
  connection: string;
}

export interface DevTenant extends LocalTenant {
  /** `https://localhost:<port>/` */
  issuer: string;
  dataDir: string;
  caCertPath: string;
  /** Where `--local` finds the tenant: domain, credentials, CA path, pid. */
  connectionFile: string;
  /** The catalogued MCP clients' metadata documents it serves on import without going online. */
  cimdSnapshot: CimdDocumentSnapshot;
  users(): DevUser[];
}

/** A dev tenant already serving this data directory, if its process is still alive. */
export function runningDevTenant(dataDir: string): LocalConnection | undefined {
  try {
    const connection = localConnectionSchema.parse(JSON.parse(readFileSync(join(dataDir, CONNECTION_FILE), "utf8")));
    if (connection.pid === undefined || connection.pid === process.pid) return undefined;
    process.kill(connection.pid, 0);
    return connection;
  } catch {
    return undefined;
  }
}

export class DevTenantError extends Error {}
export { DataDirError } from "./persistence.js";

/**
 * The tenant behind `mcp-auth0 dev`: the Management API and the OAuth side on one HTTPS server,
 * with its state in `dataDir`, and `connection.json` written there so that `--local` finds it.
 */
export async function startDevTenant(options: DevTenantOptions): Promise<DevTenant> {
  const dataDir = resolve(options.dataDir);
  const running = runningDevTenant(dataDir);
  if (running) throw new DevTenantError(`A dev tenant for ${dataDir} is already running at https://${running.domain} (pid ${String(running.pid)}).`);

  const tenant = await startLocalTenant({
    port: options.port ?? 4000,
    dataDir,
    oauth: options.autoLogin === undefined ? {} : { autoLogin: options.autoLogin },
    ...(options.customDomainPort !== undefined ? { customDomain: { port: options.customDomainPort } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.plan ? { plan: options.plan } : {}),
    // Importing a catalogued client (init --clients) works offline; any other URL is fetched.
    cimdSnapshot: METADATA_SNAPSHOT,
  });
  const users = (): DevUser[] => tenant.store.users.map((u) => ({ email: u.email, name: u.name, connection: connectionOf(u) ?? "" }));
  if (options.autoLogin !== undefined && !tenant.store.users.some((u) => u.email === options.autoLogin)) {
    await tenant.close();
    throw new DevTenantError(
      `--auto-login ${options.autoLogin}: no such dev user (${users()
        .map((u) => u.email)
        .join(", ")}).`,
    );
  }

  const caCertPath = tenant.caCertPath ?? join(dataDir, "ca.pem");
  const connectionFile = join(dataDir, CONNECTION_FILE);
  const connection: LocalConnection = {
    domain: tenant.domain,
    clientId: tenant.m2m.clientId,
    clientSecret: tenant.m2m.clientSecret,
    caCertPath,
    pid: process.pid,
    ...(tenant.customDomain ? { customDomain: tenant.customDomain.domain } : {}),
  };
  // It holds a client secret: readable by its owner only.
  writeFileAtomic(connectionFile, `${JSON.stringify(connection, null, 2)}\n`, 0o600);

  return {
    ...tenant,
    issuer: `${tenant.url}/`,
    dataDir,
    caCertPath,
    connectionFile,
    cimdSnapshot: METADATA_SNAPSHOT,
    users,
    close: async () => {
      // A stopped tenant leaves no connection.json behind, so `--local` says "start one" rather
      // than failing to connect. The state, keys and CA stay for the next start.
      if (runningDevTenant(dataDir) === undefined) rmSync(connectionFile, { force: true });
      await tenant.close();
    },
  };
}
