import type { ManagementClient } from "auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startLocalTenant, type TestLocalTenant } from "../../src/local-tenant/server.js";
import { sdkFor, type Sdk } from "./helpers.js";

let tenant: TestLocalTenant;
let sdk: Sdk;
let client: ManagementClient;

beforeAll(async () => {
  tenant = await startLocalTenant({ testControls: true });
  for (let i = 0; i < 250; i++) tenant.store.addRole({ name: `Role ${String(i).padStart(3, "0")}`, description: `Role number ${i}` });
  for (let i = 0; i < 120; i++) tenant.store.addConnection({ name: `connection-${i}`, strategy: i % 2 === 0 ? "auth0" : "github" });
  sdk = sdkFor(tenant);
  client = sdk.client;
});

afterAll(async () => {
  await sdk.close();
  await tenant.close();
});

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

function apiCalls(prefix: string): string[] {
  return tenant.calls.filter((c) => c.path.startsWith(prefix)).map((c) => c.path);
}

describe("offset paging (roles)", () => {
  it("for await walks all 250 roles with the SDK's default page size, then stops on an empty page", async () => {
    tenant.resetCalls();
    const roles = await collect(await client.roles.list());
    expect(roles).toHaveLength(250);
    expect(new Set(roles.map((r) => r.id)).size).toBe(250);
    expect(roles[0]?.name).toBe("Role 000");
    expect(roles[249]?.name).toBe("Role 249");
    // 5 full pages of 50, then page 5 is empty and ends the walk.
    expect(apiCalls("/api/v2/roles")).toHaveLength(6);
  });

  it("with per_page=100 the SDK stops after the first short page", async () => {
    tenant.resetCalls();
    const roles = await collect(await client.roles.list({ per_page: 100 }));
    expect(roles).toHaveLength(250);
    expect(apiCalls("/api/v2/roles")).toEqual([
      "/api/v2/roles?per_page=100&page=0&include_totals=true",
      "/api/v2/roles?per_page=100&page=1&include_totals=true",
      "/api/v2/roles?per_page=100&page=2&include_totals=true",
    ]);
  });

  it("answers include_totals with start, limit, length and total, and a bare array without it", async () => {
    const token = tenant.issueManagementToken(["read:roles"]);
    const get = async (query: string) => (await sdk.fetch(`${tenant.url}/api/v2/roles?${query}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<unknown>;
    const page = (await get("page=2&per_page=100&include_totals=true")) as { roles: unknown[] };
    expect({ ...page, roles: page.roles.length }).toEqual({ roles: 50, start: 200, limit: 100, length: 50, total: 250 });
    expect(Array.isArray(await get("per_page=10"))).toBe(true);
    expect(await get("per_page=101")).toMatchObject({ statusCode: 400, errorCode: "invalid_query_string" });
  });
});

describe("checkpoint paging", () => {
  it("for await walks all 122 connections; `next` disappears on the last page", async () => {
    tenant.resetCalls();
    const connections = await collect(await client.connections.list());
    expect(connections).toHaveLength(122);
    expect(new Set(connections.map((c) => c.id)).size).toBe(122);
    const calls = apiCalls("/api/v2/connections");
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBe("/api/v2/connections?include_totals=true&take=50");
    expect(calls[1]).toMatch(/^\/api\/v2\/connections\?include_totals=true&from=[\w-]+&take=50$/);
  });

  it("filters by several strategies while paging", async () => {
    const github = await collect(await client.connections.list({ strategy: ["github"], take: 7 }));
    expect(github).toHaveLength(60);
    expect(github.every((c) => c.strategy === "github")).toBe(true);
  });

  it("walks client grants and the users of a role", async () => {
    const audience = "https://paging.example.com/";
    tenant.store.addResourceServer({ identifier: audience, scopes: [{ value: "s" }] });
    const role = tenant.store.addRole({ name: "Crowded" });
    for (let i = 0; i < 70; i++) {
      const app = tenant.store.addClient({ name: `app ${i}`, app_type: "non_interactive" });
      tenant.store.addClientGrant({ client_id: app.client_id, audience, scope: ["s"], subject_type: "client" });
      tenant.store.addRoleUsers(role.id, [tenant.store.addUser({ email: `member${i}@example.com` }).user_id]);
    }
    expect(await collect(await client.clientGrants.list({ audience }))).toHaveLength(70);
    const members = await collect(await client.roles.users.list(role.id));
    expect(members.map((m) => m.email)).toEqual(Array.from({ length: 70 }, (_, i) => `member${i}@example.com`));
  });
});
