import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import { generate } from "selfsigned";
import { cli } from "../support/cli.js";
import { cliArgs } from "../support/shell.js";
import { trustingFetch } from "../dev/support/mcp-client.js";
import { exampleArgs, freshFixture, IDENTIFIER, managementCalls, type Fixture } from "../support/tenant.js";

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
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ client_id: url, client_name: "CIMD MCP client", redirect_uris: ["http://127.0.0.1:53682/callback"], token_endpoint_auth_method: "none" }));
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
  it("--cimd alone warns what advertising means; doctor warns until a client is imported, and its fix imports one", async () => {
    const init = await run([...exampleArgs(fx.dir), "--cimd"]);
    expect(init.code).toBe(0);
    expect(init.stderr).toMatch(/⚠ --cimd only advertises Client ID Metadata Documents[^\n]*--cimd-client <url>/);
    expect(fx.tenant.store.settings.client_id_metadata_document_supported).toBe(true);

    const before = await checkOf("Imported CIMD clients");
    expect(before.status).toBe("warn");
    expect(before.detail).toMatch(/Auth0 accepts a CIMD client only once its URL is imported/);
    expect(before.fix).toBe(
      `npx mcp-auth0 init --api-identifier ${IDENTIFIER} --scopes 'tool:whoami=Read your identity,tool:greet=Greet someone' --cimd --cimd-client '<client-metadata-url>'`,
    );
    // The one placeholder is the URL only the user knows: their MCP client's metadata document.
    const fixed = await run(cliArgs(before.fix!.replace("<client-metadata-url>", documents.url)));
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fx.tenant.store.findClient(documents.url)).toMatchObject({ external_metadata_type: "cimd", is_first_party: false });
    const after = await checkOf("Imported CIMD clients");
    expect(after).toMatchObject({ status: "pass", detail: documents.url });
  });

  it("--cimd-client imports only what is not imported yet: a converged run writes nothing, in the converged run's 3 round trips", async () => {
    fx.tenant.resetCalls();
    // Calls sent together overlap under a latency; a read of the imported clients after the others would be a fourth round trip.
    fx.tenant.setFaults({ latencyMs: 150 });
    const again = await run([...exampleArgs(fx.dir), "--cimd-client", documents.url, "--json"]).finally(() => fx.tenant.setFaults({}));
    expect(again.code).toBe(0);
    expect(fx.tenant.writes()).toEqual([]);
    expect(fx.tenant.roundTrips(managementCalls(fx.tenant))).toBeLessThanOrEqual(3);
    const change = JSON.parse(again.stdout).plan.changes.find((c: { kind: string }) => c.kind === "cimd-client");
    expect(change).toMatchObject({ action: "unchanged", label: `CIMD client ${documents.url}` });
    expect(again.stderr).not.toMatch(/--cimd only advertises/);
  });

  it("rejects a --cimd-client that is not an https URL with a path, before any request", async () => {
    fx.tenant.resetCalls();
    const bad = await run([...exampleArgs(fx.dir), "--cimd-client", "http://client.example.com/meta.json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cimd-client "http://client.example.com/meta.json" is not a client metadata URL');
    expect(fx.tenant.calls).toEqual([]);
  });
});
