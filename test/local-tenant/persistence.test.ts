import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { startLocalTenant } from "../../src/local-tenant/server.js";
import { sdkFor } from "./helpers.js";

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "mcp-auth0-local-tenant-"));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("dataDir persistence", () => {
  it("a restarted tenant keeps its CA, its M2M credentials and its state", async () => {
    const first = await startLocalTenant({ testControls: true, dataDir });
    const sdk = sdkFor(first);
    const role = await sdk.client.roles.create({ name: "Survivor", description: "Outlives a restart" });
    await sdk.client.tenants.settings.update({ flags: { enable_dynamic_client_registration: true } });
    const google = first.store.findConnectionByName("google-oauth2");
    await sdk.client.connections.update(google?.id ?? "", { is_domain_connection: true });
    await sdk.close();
    const remembered = { ca: first.caCertPem, m2m: first.m2m, store: JSON.parse(JSON.stringify(first.store)) as { roles: unknown[] } };
    await first.close();

    const second = await startLocalTenant({ testControls: true, dataDir });
    expect(second.caCertPem).toBe(remembered.ca);
    expect(second.m2m).toEqual(remembered.m2m);
    expect(second.store.roles).toEqual(remembered.store.roles);

    // The same credentials work against the restarted tenant, over the same CA.
    const again = sdkFor(second);
    expect((await again.client.roles.get(role.id ?? "")).name).toBe("Survivor");
    expect((await again.client.tenants.settings.get()).flags?.enable_dynamic_client_registration).toBe(true);
    expect((await again.client.connections.get(google?.id ?? "")).is_domain_connection).toBe(true);
    // The system API follows the tenant's domain, which changes with the port.
    expect((await again.client.resourceServers.get(`https://${second.domain}/api/v2/`)).is_system).toBe(true);
    await again.close();
    await second.close();
  });

  it("writes the CA where NODE_EXTRA_CA_CERTS can use it, and keeps private keys private", async () => {
    const tenant = await startLocalTenant({ testControls: true, dataDir });
    expect(tenant.caCertPath).toBe(join(dataDir, "ca.pem"));
    expect(await readFile(tenant.caCertPath ?? "", "utf8")).toBe(tenant.caCertPem);
    for (const file of ["ca-key.pem", "server-key.pem", "signing-key.pem", "state.json"]) {
      expect((await stat(join(dataDir, file))).mode & 0o077).toBe(0);
    }

    // A separate Node process trusts the tenant through NODE_EXTRA_CA_CERTS alone, as `--local` will.
    const script = `fetch(${JSON.stringify(`${tenant.url}/api/v2/roles`)}).then(async (r) => console.log(r.status, (await r.json()).message))`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tenant.caCertPath ?? "" },
    });
    expect(stdout.trim()).toBe("401 Missing authentication");
    await tenant.close();
  });

  it("state.json reaches the latest state shortly after a change, off the request path, and on close at the latest", async () => {
    const tenant = await startLocalTenant({ testControls: true, dataDir });
    const saved = async () => (JSON.parse(await readFile(join(dataDir, "state.json"), "utf8")) as { roles: Array<{ name: string }> }).roles.map((r) => r.name);
    tenant.store.addRole({ name: "Seeded by a test" });
    const sdk = sdkFor(tenant);
    await sdk.client.roles.create({ name: "Created through the API" });
    await sdk.close();
    // Debounced: written within a fraction of a second, without waiting for close.
    await vi.waitFor(async () => expect(await saved()).toEqual(["Seeded by a test", "Created through the API"]), { timeout: 2000, interval: 20 });

    // A change just before close is on disk once close resolves, and no temporary file is left.
    tenant.store.addRole({ name: "Last words" });
    await tenant.close();
    expect(await saved()).toEqual(["Seeded by a test", "Created through the API", "Last words"]);
    expect((await readdir(dataDir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
