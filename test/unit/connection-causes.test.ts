import { describe, expect, it } from "vitest";
import { causeOf, serverRejectedToken, type TokenFacts } from "../../src/connection/causes.js";
import { fixes } from "../../src/doctor/fixes.js";

/*
 * try's 401 to a token the tenant issued, when the server's .env names another audience or issuer:
 * the fix rewrites that .env (--env-path) with the variables its own preset writes. A fix with the
 * default preset's AUTH0_* would leave an mcp-use server's MCP_USE_OAUTH_AUTH0_AUDIENCE on the old
 * API, and one without --env-path would write ./.env, which that server never reads.
 */
const RESOURCE = "http://localhost:3000/mcp";
const token: TokenFacts = { iss: "https://tenant.example.com/", sub: "auth0|1", aud: [RESOURCE], scope: "tool:whoami", clientId: "tpc_1" };
const fix = fixes({ identifier: RESOURCE, scopes: [{ value: "tool:whoami" }], domain: "tenant.example.com", envPath: "server/.env", template: "mcp-use" });

describe("the server answered 401 to a token the tenant issued", () => {
  it("its .env names another audience: the fix is env with that .env and its preset", () => {
    const cause = serverRejectedToken(
      token,
      'Bearer error="invalid_token"',
      "https://tenant.example.com/.well-known/jwks.json",
      { path: "server/.env", audience: "https://old.example.com/mcp", template: "mcp-use" },
      undefined,
      fix,
    );
    expect(cause.detail).toMatch(/it checks the audience https:\/\/old\.example\.com\/mcp \(server\/\.env\), but the token is for http:\/\/localhost:3000\/mcp/);
    expect(cause.fix).toBe(`npx mcp-auth0 env --template mcp-use --api-identifier ${RESOURCE} --env-path server/.env   # then restart the server`);
  });

  it("its .env names another issuer: the same fix", () => {
    const cause = serverRejectedToken(
      token,
      "Bearer",
      "https://tenant.example.com/.well-known/jwks.json",
      { path: "server/.env", domain: "old.example.com", template: "mcp-use" },
      undefined,
      fix,
    );
    expect(cause.detail).toMatch(/it checks the issuer https:\/\/old\.example\.com\/ \(server\/\.env\), but the token's iss is https:\/\/tenant\.example\.com\//);
    expect(cause.fix).toBe(`npx mcp-auth0 env --template mcp-use --api-identifier ${RESOURCE} --env-path server/.env   # then restart the server`);
  });
});

describe("the token endpoint's refusal, read with doctor's table of Auth0's texts", () => {
  const plain = fixes({ identifier: RESOURCE, scopes: [{ value: "tool:whoami" }], domain: "tenant.example.com" });
  it.each([
    ["Service not found: http://localhost:3000/mcp", /^the token endpoint knows no API http:\/\/localhost:3000\/mcp/, true],
    ["Service not enabled within domain: http://localhost:3000/mcp", /^the token endpoint knows no API/, true],
    [
      'Client is not authorized to access "http://localhost:3000/mcp". You need to create a "client-grant" associated to this API.',
      /^no default grant for third-party clients/,
      true,
    ],
    ["Invalid authorization code", /^the token request failed \(invalid_grant: Invalid authorization code\)$/, false],
  ])("%s", (message, detail, hasFix) => {
    const cause = causeOf.tokenRefused(hasFix && message.startsWith("Client") ? "unauthorized_client" : "invalid_grant", message, RESOURCE, plain);
    expect(cause.detail).toMatch(detail);
    expect(cause.fix).toBe(hasFix ? plain.init() : undefined);
  });
});
