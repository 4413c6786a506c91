import nock from "nock";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connectTenant, type Tenant } from "../../src/tenant/connect.js";
import type { HttpOptions } from "../../src/tenant/http.js";

export const TENANT_DOMAIN = "tenant.test";
export const TENANT_URL = `https://${TENANT_DOMAIN}`;
/** A JWT whose payload is {"scope":"read:roles"}: enough for connectTenant, which does not verify signatures. */
export const TEST_TOKEN = "x.eyJzY29wZSI6InJlYWQ6cm9sZXMifQ.x";

/**
 * Every HTTP call of the file goes to nock: nothing reaches the network, and a request no
 * interceptor expects fails the test (nock answers it with a NetConnectNotAllowedError).
 * Each test still asserts its own scopes with `scope.done()`.
 */
export function useNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());
}

/** The real ManagementClient over the global fetch (which nock 14 intercepts), with a token: no token request. */
export function testTenant(options: Omit<HttpOptions, "baseFetch"> = {}): Promise<Tenant> {
  return connectTenant({ domain: TENANT_DOMAIN, token: TEST_TOKEN }, options);
}

/** A JWT-shaped token with the given payload (unsigned: nothing here verifies signatures). */
export function jwtWith(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.signature`;
}
