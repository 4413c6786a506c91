import { describe, expect, it } from "vitest";
import { fixes } from "../../src/doctor/fixes.js";

const target = { identifier: "https://mcp.example.com/mcp", scopes: [], domain: "acme.us.auth0.com" };

describe("the roles sync fix doctor and init print", () => {
  it("names the roles file and the API, and says when the file is not written yet", () => {
    const missing = fixes({ ...target, rolesFileExists: () => false }).rolesSync();
    expect(missing).toBe(
      `npx mcp-auth0 roles sync --file roles.yaml --api-identifier https://mcp.example.com/mcp  # after writing roles.yaml (the README's "The roles file" shows its format)`,
    );
    expect(fixes({ ...target, rolesFile: "config/roles.yaml", rolesFileExists: () => true }).rolesSync()).toBe(
      "npx mcp-auth0 roles sync --file config/roles.yaml --api-identifier https://mcp.example.com/mcp",
    );
  });

  it("keeps the check's own remark, and runs through the command builder that adds the tenant flags", () => {
    const fix = fixes({ ...target, command: (words) => ["mcp-auth0", ...words, "--local"].join(" "), rolesFileExists: () => false }).rolesSync("list their emails under users");
    expect(fix).toBe("mcp-auth0 roles sync --file roles.yaml --api-identifier https://mcp.example.com/mcp --local  # list their emails under users");
  });
});
