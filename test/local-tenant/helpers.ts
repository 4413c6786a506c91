import { ManagementClient } from "auth0";

import type { LocalTenant } from "../../src/local-tenant/server.js";

import { trustingFetch } from "../../src/tenant/trust.js";

/** A fetch that trusts the tenant's CA in this process, for the real auth0 SDK's `fetch` option too. */
export { trustingFetch };

export interface Sdk {
  client: ManagementClient;
  fetch: typeof fetch;
  close: () => Promise<void>;
}

/** The real ManagementClient against the local tenant, with the tenant's M2M credentials unless told otherwise. */
export function sdkFor(tenant: LocalTenant, auth: { clientId: string; clientSecret: string } | { token: string } = tenant.m2m, options: { maxRetries?: number } = {}): Sdk {
  const trusted = trustingFetch(tenant.caCertPem);
  const client = new ManagementClient({
    domain: tenant.domain,
    ...auth,
    fetch: trusted.fetch,
    maxRetries: options.maxRetries ?? 0,
  });
  return { client, fetch: trusted.fetch, close: trusted.close };
}

/** Resolves to the error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ statusCode?: number; body?: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; body?: unknown; message: string };
  }
  throw new Error("Expected the call to fail, but it succeeded");
}
