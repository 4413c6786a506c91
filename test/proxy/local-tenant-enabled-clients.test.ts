import { afterEach, describe, expect, it } from "vitest";
import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { rejectionOf, sdkFor, type Sdk } from "../local-tenant/helpers.js";

let tenant: TestLocalTenant;
let sdk: Sdk;
afterEach(async () => {
  await sdk?.close();
  await tenant?.close();
});

/** The local tenant answers the enabled-clients endpoints of a connection as Auth0 does, through the real SDK. */
describe("local tenant: /connections/{id}/clients", () => {
  it("PATCH enables and disables only the listed clients; GET pages them with checkpoints", async () => {
    tenant = await startLocalTenant({ testControls: true, oauth: false });
    sdk = sdkFor(tenant);
    const connection = tenant.store.findConnectionByName("google-oauth2")!;
    const apps = Array.from({ length: 3 }, (_, i) => tenant.store.addClient({ name: `App ${i}`, app_type: "regular_web" }));
    const other = tenant.store.addClient({ name: "Other", app_type: "spa" });
    connection.enabled_clients.push(other.client_id);

    await sdk.client.connections.clients.update(
      connection.id,
      apps.map((a) => ({ client_id: a.client_id, status: true })),
    );
    await sdk.client.connections.clients.update(connection.id, [{ client_id: apps[1]!.client_id, status: false }]);
    expect(connection.enabled_clients).toEqual([other.client_id, apps[0]!.client_id, apps[2]!.client_id]);

    const seen: string[] = [];
    for await (const c of await sdk.client.connections.clients.get(connection.id, { take: 2 })) seen.push(c.client_id);
    expect(seen).toEqual(connection.enabled_clients);
    expect(tenant.calls.filter((c) => c.path.includes("/clients?")).length).toBe(2);
  });

  it("rejects an empty list, unknown properties and unknown clients like Auth0, and needs update:connections", async () => {
    tenant = await startLocalTenant({ testControls: true, oauth: false });
    sdk = sdkFor(tenant);
    const connection = tenant.store.findConnectionByName("google-oauth2")!;
    const empty = await rejectionOf(sdk.client.connections.clients.update(connection.id, []));
    expect(empty.statusCode).toBe(400);
    const extra = await rejectionOf(sdk.client.connections.clients.update(connection.id, [{ client_id: "x", status: true, enabled: true } as never]));
    expect(extra.statusCode).toBe(400);
    expect(JSON.stringify(extra.body)).toContain("Additional properties not allowed: enabled");
    const unknown = await rejectionOf(sdk.client.connections.clients.update(connection.id, [{ client_id: "nope", status: true }]));
    expect(unknown.statusCode).toBe(404);

    const readOnly = sdkFor(tenant, { token: tenant.issueManagementToken(["read:connections"]) });
    const denied = await rejectionOf(readOnly.client.connections.clients.update(connection.id, [{ client_id: tenant.m2m.clientId, status: true }]));
    await readOnly.close();
    expect(denied.statusCode).toBe(403);
    expect(connection.enabled_clients).toEqual([]);
  });
});
