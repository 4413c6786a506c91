import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "mcp-auth0", include: ["test/**/*.test.ts"] } },
      // The example MCP server's own suite (examples/mcp-server/vitest.config.ts: a dev tenant from mcp-auth0/dev).
      "examples/mcp-server",
    ],
  },
});
