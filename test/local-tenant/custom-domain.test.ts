import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { trustingFetch } from "../dev/support/mcp-client.js";
import { API, provision, RawClient } from "../dev/support/oauth.js";
import { rejectionOf, sdkFor } from "./helpers.js";

/*
 * A tenant with a custom domain, as Auth0 serves one: MCP clients on the custom domain see its own
 * issuer; the Management API lives on the canonical domain only, and only for the canonical audience.
 */

let tenant: TestLocalTenant;
let trusted: ReturnType<typeof trustingFetch>;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true, customDomain: true, oauth: { autoLogin: "admin@example.com" } });
  trusted = trustingFetch(tenant.caCertPem);
  provision(tenant.store);
});
afterAll(async () => {
  await tenant?.close();
  await trusted?.close();
});

const custom = () => tenant.customDomain!;
const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });
const tokenRequest = (host: string, audience: string) =>
  trusted
    .fetch(`${host}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: tenant.m2m.clientId, client_secret: tenant.m2m.clientSecret, audience }),
    })
    .then(json);

describe("custom domain", () => {
  it("is its own HTTPS host on 127.0.0.1, trusted through the tenant's CA, with its own issuer", async () => {
    expect(custom()).toMatchObject({ domain: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown as string, issuer: `${custom().url}/` });
    expect(custom().domain).not.toBe(tenant.domain);
    const onCustom = await json(await trusted.fetch(`${custom().url}/.well-known/openid-configuration`));
    expect(onCustom.body).toMatchObject({
      issuer: custom().issuer,
      authorization_endpoint: `${custom().url}/authorize`,
      token_endpoint: `${custom().url}/oauth/token`,
      registration_endpoint: `${custom().url}/oidc/register`,
      jwks_uri: `${custom().url}/.well-known/jwks.json`,
    });
    const onCanonical = await json(await trusted.fetch(`${tenant.url}/.well-known/openid-configuration`));
    expect(onCanonical.body["issuer"]).toBe(`${tenant.url}/`);
  });

  it("an MCP client that registers and logs in on the custom domain gets tokens with the custom issuer", async () => {
    const raw = new RawClient({ ...tenant, url: custom().url }, trusted.fetch);
    expect((await raw.register()).status).toBe(201);
    // The client exists once, for both hosts: the same tenant.
    expect(tenant.store.findClient(raw.clientId)).toMatchObject({ is_first_party: false });
    const flow = await raw.authorize({ audience: API, scope: "tool:whoami" });
    expect(flow.callback?.searchParams.get("iss")).toBe(custom().issuer);
    const token = await raw.exchange(flow);
    expect(token.status).toBe(200);
    expect(decodeJwt(String(token.body["access_token"]))).toMatchObject({ iss: custom().issuer, aud: API, scope: "tool:whoami" });
  });

  it("a Management API token is issued for the canonical audience only, also at the custom domain's /oauth/token", async () => {
    const canonicalAudience = `https://${tenant.domain}/api/v2/`;
    const viaCustom = await tokenRequest(custom().url, canonicalAudience);
    expect(viaCustom.status).toBe(200);
    expect(decodeJwt(String(viaCustom.body["access_token"])).aud).toBe(canonicalAudience);

    const refused = { status: 401, body: { error: "access_denied", error_description: `Service not enabled within domain: https://${custom().domain}/api/v2/` } };
    expect(await tokenRequest(custom().url, `https://${custom().domain}/api/v2/`)).toEqual(refused);
    expect(await tokenRequest(tenant.url, `https://${custom().domain}/api/v2/`)).toEqual(refused);
  });

  it("the Management API answers on the canonical domain only; GET /custom-domains lists the custom domain", async () => {
    const sdk = sdkFor(tenant);
    try {
      const domains = await sdk.client.customDomains.list();
      expect(domains).toEqual([
        expect.objectContaining({
          custom_domain_id: expect.stringMatching(/^cd_/) as unknown as string,
          domain: custom().domain,
          primary: true,
          status: "ready",
          type: "self_managed_certs",
        }),
      ]);
    } finally {
      await sdk.close();
    }

    // The same valid token, sent to the custom host: refused there.
    const token = tenant.issueManagementToken(["read:clients"]);
    const onCustom = await json(await trusted.fetch(`${custom().url}/api/v2/clients`, { headers: { authorization: `Bearer ${token}` } }));
    expect(onCustom).toEqual({
      status: 401,
      body: { statusCode: 401, error: "Unauthorized", message: `Service not enabled within domain: https://${custom().domain}/api/v2/`, errorCode: "invalid_token" },
    });
    const onCanonical = await trusted.fetch(`${tenant.url}/api/v2/clients`, { headers: { authorization: `Bearer ${token}` } });
    expect(onCanonical.status).toBe(200);

    // read:custom_domains is a scope like any other.
    const narrow = sdkFor(tenant, { token: tenant.issueManagementToken(["read:clients"]) });
    try {
      expect(await rejectionOf(narrow.client.customDomains.list())).toMatchObject({
        statusCode: 403,
        body: { message: "Insufficient scope, expected any of: read:custom_domains" },
      });
    } finally {
      await narrow.close();
    }
  });

  it("a tenant started without it lists no custom domain", async () => {
    const plain = await startLocalTenant({ testControls: true, oauth: false });
    const sdk = sdkFor(plain);
    try {
      expect(plain.customDomain).toBeUndefined();
      expect(await sdk.client.customDomains.list()).toEqual([]);
    } finally {
      await sdk.close();
      await plain.close();
    }
  });
});
