import nock from "nock";
import { describe, expect, it } from "vitest";
import { CliError, CredentialsError, InputError } from "../../src/errors.js";
import { connectTenant } from "../../src/tenant/connect.js";
import { canonicalFromToken, resolveDomains } from "../../src/tenant/domains.js";
import { jwtWith, useNock } from "../support/nock.js";

/*
 * Issue 2/6 (13), custom domains: the Management API token is for the canonical audience and every
 * Management API call goes to the canonical host; the issuer MCP clients see (the .env's domain) is
 * the custom domain. With only a custom domain and client credentials, a clear error asks for
 * --canonical-domain instead of a bare 401.
 */

useNock();

const CANONICAL = "acme.us.auth0.com";
const CUSTOM = "login.example.com";
const creds = { clientId: "m2m", clientSecret: "secret" };
const tokenFor = (scope: string) => jwtWith({ aud: `https://${CANONICAL}/api/v2/`, iss: `https://${CANONICAL}/`, scope });

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe("resolveDomains", () => {
  it.each([
    [{ domain: CANONICAL }, { management: CANONICAL, issuer: undefined }],
    [
      { domain: CUSTOM, canonicalDomain: CANONICAL },
      { management: CANONICAL, issuer: CUSTOM },
    ],
    [
      { domain: CUSTOM, token: tokenFor("") },
      { management: CANONICAL, issuer: CUSTOM },
    ],
    [
      { domain: CANONICAL, token: tokenFor("") },
      { management: CANONICAL, issuer: undefined },
    ],
    [
      { domain: CANONICAL, issuerDomain: CUSTOM },
      { management: CANONICAL, issuer: CUSTOM },
    ],
    [{ domain: CUSTOM }, { management: CUSTOM, issuer: undefined }],
  ])("%j → %j", (inputs, expected) => {
    expect(resolveDomains(inputs)).toEqual(expected);
  });

  it("reads the canonical domain from a token's aud, a string or an array", () => {
    expect(canonicalFromToken(jwtWith({ aud: [`https://${CANONICAL}/api/v2/`, "https://x/userinfo"] }))).toBe(CANONICAL);
    expect(canonicalFromToken(jwtWith({ aud: "https://mcp.example.com/mcp" }))).toBeUndefined();
    expect(canonicalFromToken("opaque")).toBeUndefined();
  });
});

describe("connectTenant with a custom domain", () => {
  it("--domain custom + --canonical-domain: token for the canonical audience from the canonical host, calls there, issuer custom", async () => {
    const token = nock(`https://${CANONICAL}`)
      .post("/oauth/token", (body) => body.audience === `https://${CANONICAL}/api/v2/` && body.client_id === "m2m")
      .reply(200, { access_token: tokenFor("read:tenant_settings"), scope: "read:tenant_settings", token_type: "Bearer" });
    const api = nock(`https://${CANONICAL}`).get("/api/v2/tenants/settings").reply(200, {});
    const tenant = await connectTenant({ domain: CUSTOM, canonicalDomain: CANONICAL, ...creds });
    expect(tenant.domain).toBe(CANONICAL);
    await tenant.client.tenants.settings.get();
    // Known from the flags: no lookup.
    expect(await tenant.issuerDomain()).toEqual({ domain: CUSTOM });
    token.done();
    api.done();
  });

  it("--domain custom + a --token for the canonical audience: calls go to the canonical host", async () => {
    const api = nock(`https://${CANONICAL}`).get("/api/v2/tenants/settings").reply(200, {});
    const tenant = await connectTenant({ domain: CUSTOM, token: tokenFor("read:tenant_settings") });
    await tenant.client.tenants.settings.get();
    expect(tenant.domain).toBe(CANONICAL);
    expect((await tenant.issuerDomain()).domain).toBe(CUSTOM);
    api.done();
  });

  it("--domain canonical: GET /custom-domains finds the ready one; looked up once", async () => {
    const api = nock(`https://${CANONICAL}`)
      .get("/api/v2/custom-domains")
      .once()
      .reply(200, [
        { custom_domain_id: "cd_1", domain: "Login.Example.com", primary: true, status: "ready", type: "auth0_managed_certs" },
        { custom_domain_id: "cd_2", domain: "new.example.com", primary: false, status: "pending_verification", type: "auth0_managed_certs" },
      ]);
    const tenant = await connectTenant({ domain: CANONICAL, token: tokenFor("read:custom_domains") });
    const issuer = await tenant.issuerDomain();
    expect(issuer.domain).toBe(CUSTOM);
    expect(issuer.note).toMatch(/Custom domain login\.example\.com: the \.env names it[^]*Management API calls go to acme\.us\.auth0\.com/);
    expect(await tenant.issuerDomain()).toBe(issuer);
    api.done();
  });

  it("several ready custom domains: Auth0's default wins; without one, an input error names --issuer-domain", async () => {
    const ready = (domain: string, is_default = false) => ({ custom_domain_id: domain, domain, primary: false, is_default, status: "ready", type: "self_managed_certs" });
    nock(`https://${CANONICAL}`)
      .get("/api/v2/custom-domains")
      .reply(200, [ready("a.example.com"), ready("b.example.com", true)]);
    const withDefault = await connectTenant({ domain: CANONICAL, token: tokenFor("read:custom_domains") });
    expect((await withDefault.issuerDomain()).domain).toBe("b.example.com");

    nock(`https://${CANONICAL}`)
      .get("/api/v2/custom-domains")
      .reply(200, [ready("a.example.com"), ready("b.example.com")]);
    const ambiguous = await connectTenant({ domain: CANONICAL, token: tokenFor("read:custom_domains") });
    const error = await rejection(ambiguous.issuerDomain());
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain("a.example.com, b.example.com");
    expect(error.hint).toContain("--issuer-domain");

    // --issuer-domain chooses without a lookup (nock has no interceptor left: a request would fail).
    const chosen = await connectTenant({ domain: CANONICAL, issuerDomain: "a.example.com", token: tokenFor("read:custom_domains") });
    expect((await chosen.issuerDomain()).domain).toBe("a.example.com");
  });

  it("without read:custom_domains: no call, the canonical domain, and a note that says what to do", async () => {
    const tenant = await connectTenant({ domain: CANONICAL, token: tokenFor("read:tenant_settings") });
    const issuer = await tenant.issuerDomain();
    expect(issuer.domain).toBe(CANONICAL);
    expect(issuer.note).toMatch(/no read:custom_domains scope[^]*--issuer-domain/);
  });

  it("an opaque token refused by GET /custom-domains (403): the canonical domain, with a note", async () => {
    nock(`https://${CANONICAL}`)
      .get("/api/v2/custom-domains")
      .reply(403, { statusCode: 403, error: "Forbidden", message: "Insufficient scope, expected any of: read:custom_domains", errorCode: "insufficient_scope" });
    const tenant = await connectTenant({ domain: CANONICAL, token: "opaque" });
    const issuer = await tenant.issuerDomain();
    expect(issuer).toMatchObject({ domain: CANONICAL, note: expect.stringContaining("403") });
  });

  it("only a custom domain and client credentials: the token request's refusal asks for --canonical-domain", async () => {
    nock(`https://${CUSTOM}`)
      .post("/oauth/token")
      .reply(403, { error: "access_denied", error_description: `Service not enabled within domain: https://${CUSTOM}/api/v2/` });
    const error = await rejection(connectTenant({ domain: CUSTOM, ...creds }));
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/login\.example\.com looks like a custom domain/);
    expect(error.hint).toMatch(/--canonical-domain \(or AUTH0_CANONICAL_DOMAIN\)/);
  });

  it('a Management API call answered 401 "Service not enabled within domain" asks for --canonical-domain too', async () => {
    nock(`https://${CUSTOM}`)
      .post("/oauth/token")
      .reply(200, { access_token: jwtWith({ aud: `https://${CUSTOM}/api/v2/`, scope: "read:tenant_settings" }), token_type: "Bearer" });
    nock(`https://${CUSTOM}`)
      .get("/api/v2/tenants/settings")
      .reply(401, { statusCode: 401, error: "Unauthorized", message: "Service not enabled within domain: https://login.example.com/api/v2/" });
    const tenant = await connectTenant({ domain: CUSTOM, ...creds });
    const { toCliError } = await import("../../src/tenant/errors.js");
    const error = await tenant.client.tenants.settings.get().then(
      () => undefined,
      (e: unknown) => toCliError(e, tenant.domain),
    );
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error!.hint).toContain("--canonical-domain");
  });
});
