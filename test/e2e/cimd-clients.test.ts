import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import { generate } from "selfsigned";
import { cli } from "../support/cli.js";
import { trustingFetch } from "../dev/support/mcp-client.js";
import { exampleArgs, freshFixture, IDENTIFIER, managementCalls, ROUND_TRIP_LATENCY_MS, type Fixture } from "../support/tenant.js";

/*
 * Issue 2/6 (13), CIMD: `--cimd` only advertises Client ID Metadata Documents, so alone it warns;
 * `--cimd-client <url>` (repeatable) imports MCP clients' metadata URLs, once (a converged run
 * writes nothing); doctor warns while CIMD is on and no client is imported.
 */

let fx: Fixture;
let documents: { server: Server; url: string; close: () => Promise<void> };

/** A Client ID Metadata Document on its own HTTPS host, as an MCP client vendor serves one. */
async function documentServer() {
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  let url = "";
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.url !== "/oauth/client.json") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        client_id: url,
        client_name: "CIMD MCP client",
        redirect_uris: ["http://127.0.0.1:53682/callback"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "none",
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/client.json`;
  const trusted = trustingFetch(pems.cert);
  return {
    server,
    url,
    fetch: trusted.fetch,
    close: async () => {
      await trusted.close();
      await new Promise((r) => server.close(r));
    },
  };
}

beforeAll(async () => {
  const served = await documentServer();
  documents = served;
  fx = await freshFixture({ fetch: served.fetch });
});
afterAll(async () => {
  await fx?.tenant.close();
  await documents?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const checkOf = async (title: string) => {
  const doctor = await run(["doctor", "--json"]);
  return (JSON.parse(doctor.stdout).checks as Array<{ title: string; status: string; detail: string; fix?: string }>).find((c) => c.title === title)!;
};

describe("CIMD clients", () => {
  it("--cimd alone names the catalogued clients advertising leaves out; doctor warns until they are imported, and names the one --cimd-client imported", async () => {
    const init = await run([...exampleArgs(fx.dir), "--cimd"]);
    expect(init.code).toBe(0);
    expect(init.stderr).toMatch(/⚠ Advertising Client ID Metadata Documents [^\n]*"Unknown client"[^\n]*--clients claude,claude-code,vscode,chatgpt,codex/);
    expect(fx.tenant.store.settings.client_id_metadata_document_supported).toBe(true);

    const before = await checkOf("Imported CIMD clients");
    expect(before.status).toBe("warn");
    expect(before.detail).toMatch(/^none; the tenant advertises Client ID Metadata Documents, so Claude .*"Unknown client"/);
    expect(before.fix).toBe(
      `npx mcp-auth0 init --api-identifier ${IDENTIFIER} --scopes 'tool:whoami=Read your identity,tool:greet=Greet someone' --clients claude,claude-code,vscode,chatgpt,codex`,
    );
    // A client outside the catalogue: its URL is only the user's to know.
    const imported = await run([...exampleArgs(fx.dir), "--cimd-client", documents.url]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(fx.tenant.store.findCimdClient(documents.url)).toMatchObject({ client_id: expect.stringMatching(/^tpc_/), external_metadata_type: "cimd", is_first_party: false });
    const after = await checkOf("Imported CIMD clients");
    expect(after.detail).toMatch(new RegExp(`^${documents.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; `));
  });

  it("--cimd-client imports only what is not imported yet: a converged run writes nothing, in the converged run's 3 round trips", async () => {
    fx.tenant.resetCalls();
    // Calls sent together overlap under a latency; a read of the imported clients after the others would be a fourth round trip.
    fx.tenant.setFaults({ latencyMs: ROUND_TRIP_LATENCY_MS });
    const again = await run([...exampleArgs(fx.dir), "--cimd-client", documents.url, "--json"]).finally(() => fx.tenant.setFaults({}));
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(fx.tenant.roundTrips(managementCalls(fx.tenant))).toBeLessThanOrEqual(3);
    // One listing of the applications serves the imported clients and the verdict's application checks.
    expect(fx.tenant.calls.filter((c) => c.method === "GET" && /^\/api\/v2\/clients(\?|$)/.test(c.path))).toHaveLength(1);
    const change = JSON.parse(again.stdout).plan.changes.find((c: { kind: string }) => c.kind === "cimd-client");
    expect(change).toMatchObject({ action: "unchanged", label: `CIMD client ${documents.url}` });
    expect(again.stderr).toMatch(/⚠ Advertising Client ID Metadata Documents [^\n]*Claude \(claude\.ai/);
  });

  it("rejects a --cimd-client that is not an https URL with a path, before any request", async () => {
    fx.tenant.resetCalls();
    const bad = await run([...exampleArgs(fx.dir), "--cimd-client", "http://client.example.com/meta.json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cimd-client "http://client.example.com/meta.json" is not a client metadata URL');
    expect(fx.tenant.calls).toEqual([]);
  });

  it("an unknown name in --clients (init) or --client (doctor) is a usage error that lists the known ones, before any request", async () => {
    fx.tenant.resetCalls();
    for (const args of [
      [...exampleArgs(fx.dir), "--clients", "claude,zed"],
      ["doctor", "--client", "zed"],
    ]) {
      const bad = await run(args);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/names an unknown MCP client: zed\.[\s\S]*Known: claude, claude-code, vscode, cursor, chatgpt, codex, inspector\./);
    }
    expect(fx.tenant.calls).toEqual([]);
  });
});
