import type { ManagementClient } from "auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { rejectionOf, sdkFor, type Sdk } from "./helpers.js";

/*
 * The Management API side of On-Behalf-Of token exchange (issue 23), through the real auth0 SDK:
 * the Custom API client as go-auth0 and the Terraform provider recorded it against a real tenant
 * (TestClient_CreateLinkedToResourceServer, TestAccClientOnBehalfOfTokenExchange), the downstream
 * API's access policy as Auth0's OBO guide sets it, and the refusals the dev tenant infers.
 */

let tenant: TestLocalTenant;
let sdk: Sdk;
let client: ManagementClient;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true, oauth: false, seed: false });
  sdk = sdkFor(tenant);
  client = sdk.client;
});

afterAll(async () => {
  await sdk.close();
  await tenant.close();
});

async function failure(promise: Promise<unknown>, statusCode: number): Promise<{ message?: string; errorCode?: string }> {
  const error = await rejectionOf(promise);
  expect(error.statusCode).toBe(statusCode);
  return error.body as { message?: string; errorCode?: string };
}

describe("a Custom API client (app_type resource_server)", () => {
  it("is created first-party with no grant types and no ID token lifetime, and its API reads back with its client_id", async () => {
    const api = await client.resourceServers.create({ identifier: "https://mcp.example.com/linked", name: "Linked MCP server" });
    // Recorded: an API created without it does not skip consent for first-party clients.
    expect(api.skip_consent_for_verifiable_first_party_clients).toBe(false);
    const created = await client.clients.create({
      name: "MCP server (OBO)",
      app_type: "resource_server",
      resource_server_identifier: api.identifier,
      token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] },
    });
    expect(created).toMatchObject({
      app_type: "resource_server",
      is_first_party: true,
      grant_types: [],
      jwt_configuration: { secret_encoded: false, alg: "RS256" },
      resource_server_identifier: api.identifier,
      token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] },
    });
    expect(created.client_secret).toEqual(expect.any(String));
    expect(created).not.toHaveProperty("token_endpoint_auth_method");
    expect(created.jwt_configuration).not.toHaveProperty("lifetime_in_seconds");
    expect((await client.resourceServers.get(api.id!)).client_id).toBe(created.client_id);
    expect((await client.clients.list({ app_type: "resource_server" })).data.map((c) => c.client_id)).toEqual([created.client_id]);

    // The exchange is switched on and off by PATCH, as the OBO guide does it.
    await client.clients.update(created.client_id!, { token_exchange: { allow_any_profile_of_type: [] } });
    const enabled = await client.clients.update(created.client_id!, { token_exchange: { allow_any_profile_of_type: ["on_behalf_of_token_exchange"] } });
    expect(enabled.token_exchange).toEqual({ allow_any_profile_of_type: ["on_behalf_of_token_exchange"] });

    // A second client for the same API is refused; once the first is deleted, the API is free again.
    expect(await failure(client.clients.create({ name: "Second", app_type: "resource_server", resource_server_identifier: api.identifier }), 409)).toMatchObject({
      errorCode: "conflict",
    });
    await client.clients.delete(created.client_id!);
    expect(await client.resourceServers.get(api.id!)).not.toHaveProperty("client_id");
    const again = await client.clients.create({ name: "Again", app_type: "resource_server", resource_server_identifier: api.identifier });
    expect((await client.resourceServers.get(api.id!)).client_id).toBe(again.client_id);
  });

  it("is refused for an unknown or system API, without its identifier, or with what a Custom API client cannot have", async () => {
    const api = await client.resourceServers.create({ identifier: "https://mcp.example.com/refusals" });
    const base = { name: "Refused", app_type: "resource_server" as const };
    expect(await failure(client.clients.create({ ...base, resource_server_identifier: "https://nowhere.example.com/" }), 404)).toMatchObject({
      message: "No resource with identifier https://nowhere.example.com/",
      errorCode: "inexistent_resource_server",
    });
    expect(await failure(client.clients.create({ ...base, resource_server_identifier: tenant.store.managementAudience }), 404)).toMatchObject({
      errorCode: "inexistent_resource_server",
    });
    expect(await failure(client.clients.create(base), 400)).toMatchObject({
      message: "Payload validation error: 'Missing required property: resource_server_identifier'.",
      errorCode: "invalid_body",
    });
    expect(await failure(client.clients.create({ name: "Web app", app_type: "regular_web", resource_server_identifier: api.identifier }), 400)).toMatchObject({
      errorCode: "invalid_body",
    });
    for (const contradiction of [{ grant_types: ["client_credentials"] }, { is_first_party: false }, { token_endpoint_auth_method: "none" as const }]) {
      expect(await failure(client.clients.create({ ...base, resource_server_identifier: api.identifier, ...contradiction }), 400)).toMatchObject({ errorCode: "invalid_body" });
    }
    expect(await failure(client.clients.create({ name: "Bad exchange", token_exchange: { allow_any_profile_of_type: ["impersonation" as never] } }), 400)).toMatchObject({
      message: "Payload validation error: 'No enum match for: \"impersonation\"' on property token_exchange.allow_any_profile_of_type[0].",
    });
    // None of the refused requests created a client or linked the API.
    expect(tenant.store.clients.filter((c) => c.app_type === "resource_server" && c["resource_server_identifier"] === api.identifier)).toEqual([]);
    expect(tenant.store.resourceServerByIdentifier(api.identifier!)).not.toHaveProperty("client_id");

    // It stays a Custom API client, and its identifier cannot change.
    const linked = await client.clients.create({ ...base, name: "Linked", resource_server_identifier: api.identifier });
    expect(await failure(client.clients.update(linked.client_id!, { app_type: "regular_web" }), 400)).toMatchObject({ errorCode: "invalid_body" });
    expect(await failure(client.clients.update(linked.client_id!, { grant_types: ["authorization_code"] }), 400)).toMatchObject({ errorCode: "invalid_body" });
    expect(await failure(client.clients.update(linked.client_id!, { resource_server_identifier: "https://other.example.com/" } as never), 400)).toMatchObject({
      message: "Payload validation error: 'Additional properties not allowed: resource_server_identifier'.",
    });
  });
});

describe("the downstream API's access policy and the grant for user-delegated access", () => {
  it("takes Auth0's OBO guide settings: require_client_grant for users, a subject_type user grant for the Custom API client", async () => {
    const mcpApi = await client.resourceServers.create({ identifier: "https://mcp.example.com/policy" });
    const downstream = await client.resourceServers.create({
      identifier: "https://api.example.com/calendar",
      signing_alg: "RS256",
      enforce_policies: true,
      token_dialect: "rfc9068_profile_authz",
      scopes: [{ value: "read:calendar", description: "Read your calendar" }],
      subject_type_authorization: { user: { policy: "require_client_grant" }, client: { policy: "require_client_grant" } },
      skip_consent_for_verifiable_first_party_clients: true,
    });
    expect(downstream).toMatchObject({
      subject_type_authorization: { user: { policy: "require_client_grant" }, client: { policy: "require_client_grant" } },
      skip_consent_for_verifiable_first_party_clients: true,
    });
    // A PATCH naming one subject type keeps the other's policy.
    const patched = await client.resourceServers.update(downstream.id!, { subject_type_authorization: { user: { policy: "allow_all" } } });
    expect(patched.subject_type_authorization).toEqual({ user: { policy: "allow_all" }, client: { policy: "require_client_grant" } });
    expect(await failure(client.resourceServers.update(downstream.id!, { subject_type_authorization: { client: { policy: "allow_all" as never } } }), 400)).toMatchObject({
      message: "Payload validation error: 'No enum match for: \"allow_all\"' on property subject_type_authorization.client.policy.",
    });

    const obo = await client.clients.create({ name: "MCP server", app_type: "resource_server", resource_server_identifier: mcpApi.identifier });
    const grant = await client.clientGrants.create({ client_id: obo.client_id!, audience: downstream.identifier!, scope: ["read:calendar"], subject_type: "user" });
    expect(grant).toMatchObject({ client_id: obo.client_id, audience: downstream.identifier, scope: ["read:calendar"], subject_type: "user" });
  });
});
