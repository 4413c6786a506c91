import nock from "nock";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseCimdClientUrl, planCimdClient, readCimdClients } from "../../src/resources/cimd-client.js";
import { applyPlan } from "../../src/plan/apply.js";
import { makePlan } from "../../src/plan/plan.js";
import { testTenant, TENANT_URL, useNock } from "../support/nock.js";

useNock();

const URL_A = "https://claude.ai/oauth/mcp-oauth-client-metadata";
const URL_B = "https://vscode.dev/oauth/client-metadata.json";

describe("--cimd-client", () => {
  it.each(["http://claude.ai/meta", "https://claude.ai", "https://claude.ai/", "https://claude.ai/x#frag", "not a url", "https://u:p@claude.ai/x"])(
    "rejects %j before any request",
    (raw) => {
      expect(() => parseCimdClientUrl(raw)).toThrow(InputError);
    },
  );

  it("reads the imported CIMD clients, plans only the others, and registers them with external_client_id", async () => {
    const tenant = await testTenant();
    const read = nock(TENANT_URL)
      .get("/api/v2/clients")
      .query((q) => q.fields === "client_id,external_client_id,external_metadata_type" && q.include_fields === "true")
      .reply(200, {
        clients: [
          { client_id: "cimd_1", external_client_id: URL_A, external_metadata_type: "cimd" },
          { client_id: "tpc_2", external_client_id: URL_B, external_metadata_type: "dcr" },
          { client_id: "app_3" },
        ],
        start: 0,
        limit: 100,
        total: 3,
      });
    const imported = await readCimdClients(tenant);
    expect([...imported]).toEqual([[URL_A, "cimd_1"]]);
    const [a, b] = [planCimdClient(imported, URL_A), planCimdClient(imported, URL_B)];
    expect(a).toMatchObject({ action: "unchanged", id: "cimd_1" });
    expect(b).toMatchObject({ action: "create", url: URL_B, fields: [{ field: "external_client_id", to: URL_B }] });

    const register = nock(TENANT_URL).post("/api/v2/clients/cimd/register", { external_client_id: URL_B }).reply(201, { client_id: "cimd_9", mapped_fields: {}, validation: {} });
    const report = await applyPlan(tenant, makePlan({ domain: "tenant.test", changes: [b], warnings: [] }), { step: (_label, work) => work(), proceed: () => true });
    expect(report.applied[0]!.written.id).toBe("cimd_9");
    read.done();
    register.done();
  });
});
