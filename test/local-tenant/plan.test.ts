import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { startLocalTenant, type LocalTenant } from "../../src/local-tenant/server.js";
import { REDIRECT_URI } from "../dev/support/oauth.js";
import { rejectionOf, sdkFor, trustingFetch } from "./helpers.js";

/*
 * `plan: "free"` (`mcp-auth0 dev --plan free`): Auth0's free-plan limits, so a run against the dev
 * tenant takes the time and meets the refusals a free tenant gives.
 */

let free: LocalTenant;
let trusted: ReturnType<typeof trustingFetch>;
let token: string;

const sleepUntil = (unixSeconds: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, unixSeconds * 1000 - Date.now()) + 20));

/** Client ID Metadata Documents the tenant "fetches" from memory: a public client and one with Private Key JWT. */
const CIMD_URL = "https://client.example.com/oauth/metadata.json";
const CONFIDENTIAL_URL = "https://client.example.com/oauth/confidential.json";
const documents = (async (input: URL) => {
  const confidential = input.href === CONFIDENTIAL_URL;
  return Response.json({
    client_id: input.href,
    client_name: "MCP client",
    redirect_uris: [REDIRECT_URI],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: confidential ? "private_key_jwt" : "none",
    ...(confidential ? { jwks_uri: "https://client.example.com/oauth/jwks.json" } : {}),
  });
}) as unknown as typeof fetch;

beforeAll(async () => {
  free = await startLocalTenant({ plan: "free", fetch: documents });
  trusted = trustingFetch(free.caCertPem);
  free.store.settings.flags["enable_dynamic_client_registration"] = true;
  const answer = await trusted.fetch(`${free.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: free.m2m.clientId, client_secret: free.m2m.clientSecret, audience: `https://${free.domain}/api/v2/` }),
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
});
afterAll(async () => {
  await free?.close();
  await trusted?.close();
});

const getClients = () => trusted.fetch(`${free.url}/api/v2/clients`, { headers: { authorization: `Bearer ${token}` } });
const register = () =>
  trusted.fetch(`${free.url}/oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "MCP client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }),
  });

/**
 * Runs `work` with the tenant's clock (Date) stopped, so that no token refills between requests
 * however slowly a loaded machine sends them: the bursts below meet exactly the plan's limits.
 */
async function withClockStopped<T>(work: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  try {
    return await work();
  } finally {
    vi.useRealTimers();
  }
}

describe("the free plan", () => {
  it("Management API: 2 requests per second, burst 2; then 429 'Global limit has been reached' until the reset", async () => {
    const answers = await withClockStopped(async () => [await getClients(), await getClients(), await getClients()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers.map((a) => a.headers.get("x-ratelimit-limit"))).toEqual(["2", "2", "2"]);
    expect(answers.map((a) => a.headers.get("x-ratelimit-remaining"))).toEqual(["1", "0", "0"]);
    expect(await answers[2]!.json()).toEqual({ statusCode: 429, error: "Too Many Requests", message: "Global limit has been reached", errorCode: "too_many_requests" });
    const reset = Number(answers[2]!.headers.get("x-ratelimit-reset"));
    expect(reset * 1000).toBeGreaterThan(Date.now() - 1000);
    await sleepUntil(reset);
    expect((await getClients()).status).toBe(200);
  });

  it("the auth0 SDK waits the limit out: five calls take about two seconds, none fails", async () => {
    await sleepUntil(Math.ceil(Date.now() / 1000) + 1);
    const sdk = sdkFor(free, { token }, { maxRetries: 5 });
    try {
      const started = Date.now();
      for (let i = 0; i < 5; i++) await sdk.client.clients.list();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    } finally {
      await sdk.close();
    }
  });

  it("Private Key JWT is an Enterprise feature: a CIMD client that authenticates with it is not imported", async () => {
    free.store.settings["client_id_metadata_document_supported"] = true;
    const sdk = sdkFor(free, { token }, { maxRetries: 5 });
    try {
      expect(await rejectionOf(sdk.client.clients.registerCimdClient({ external_client_id: CONFIDENTIAL_URL }))).toMatchObject({
        statusCode: 403,
        body: { errorCode: "operation_not_supported" },
      });
    } finally {
      await sdk.close();
    }
    expect(free.store.findCimdClient(CONFIDENTIAL_URL)).toBeUndefined();
  });

  it("/oidc/register: 5 per second, then 429; at most 10 applications, then 403 too_many_entities", async () => {
    const burst = await withClockStopped(() => Promise.all(Array.from({ length: 6 }, () => register())));
    expect(burst.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 201, 429]);
    const limited = burst.find((a) => a.status === 429)!;
    expect(await limited.json()).toEqual({ error: "too_many_requests", error_description: "Global limit has been reached" });
    expect(limited.headers.get("x-ratelimit-limit")).toBe("5");

    // The M2M application and 5 registered clients are 6 applications; 4 more fill the plan.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const more = await Promise.all(Array.from({ length: 4 }, () => register()));
    expect(more.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(free.store.clients).toHaveLength(10);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refused = await register();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: "too_many_entities",
      error_description: "You have reached the maximum number of applications (10) allowed for this tenant's plan",
    });
    expect(free.store.clients).toHaveLength(10);
  });

  it("a CIMD import and a Management API application count too; client grants stop at 100, APIs at 10", async () => {
    const sdk = sdkFor(free, { token }, { maxRetries: 5 });
    const refusal = { statusCode: 403, body: { statusCode: 403, error: "Forbidden", errorCode: "too_many_entities" } };
    try {
      free.store.settings["client_id_metadata_document_supported"] = true;
      expect(await rejectionOf(sdk.client.clients.registerCimdClient({ external_client_id: CIMD_URL }))).toMatchObject(refusal);
      expect(await rejectionOf(sdk.client.clients.create({ name: "One too many" }))).toMatchObject(refusal);
      expect(free.store.clients).toHaveLength(10);

      // The Management API is Auth0's system API: 9 of the tenant's own, then the 10th, then no more.
      for (let i = 1; i <= 9; i++) free.store.addResourceServer({ identifier: `https://api-${i}.example.com` });
      const tenth = await sdk.client.resourceServers.create({ identifier: "https://api-10.example.com", scopes: [{ value: "read" }] });
      expect(await rejectionOf(sdk.client.resourceServers.create({ identifier: "https://api-11.example.com" }))).toMatchObject(refusal);

      // The M2M application's grant and 98 more, then the 100th, then no more.
      for (let i = 1; i <= 98; i++) free.store.addClientGrant({ client_id: free.m2m.clientId, audience: `https://api-${(i % 9) + 1}.example.com`, subject_type: "client" });
      await sdk.client.clientGrants.create({ default_for: "third_party_clients", audience: tenth.identifier!, scope: ["read"], subject_type: "user" });
      expect(free.store.clientGrants).toHaveLength(100);
      expect(
        await rejectionOf(sdk.client.clientGrants.create({ default_for: "third_party_clients", audience: "https://api-1.example.com", scope: [], subject_type: "user" })),
      ).toMatchObject(refusal);
    } finally {
      await sdk.close();
    }
  });

  it("On-Behalf-Of token exchange: 2 per second, burst 2, counting every request; then 429", async () => {
    const accessToken = "urn:ietf:params:oauth:token-type:access_token";
    const exchange = () =>
      trusted.fetch(`${free.url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          client_id: "an unknown client",
          client_secret: "secret",
          subject_token: "not a token",
          subject_token_type: accessToken,
          requested_token_type: accessToken,
          audience: "https://api.example.com/",
        }),
      });
    const answers = await withClockStopped(async () => [await exchange(), await exchange(), await exchange()]);
    expect(answers.map((a) => a.status)).toEqual([401, 401, 429]);
    expect(await answers[2]!.json()).toEqual({ error: "too_many_requests", error_description: "Global limit has been reached" });
    expect(answers[2]!.headers.get("x-ratelimit-limit")).toBe("2");
  });

  it("without a plan there is no limit", async () => {
    const unlimited = await startLocalTenant({ oauth: false });
    const fetcher = trustingFetch(unlimited.caCertPem);
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetcher.fetch(`${unlimited.url}/api/v2/clients`)));
      // Unauthenticated, but never rate limited.
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 401));
    } finally {
      await fetcher.close();
      await unlimited.close();
    }
  });
});
