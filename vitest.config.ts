import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // Most of the suite waits on sockets, child processes and rate-limit pacing rather than the CPU
    // (a serial run keeps under one core of two busy): vitest's default of one worker per core but
    // one leaves a two-core machine running the files one at a time.
    maxWorkers: 3,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "mcp-auth0", include: ["test/**/*.test.ts"] } },
      // The example MCP server's own suite (examples/mcp-server/vitest.config.ts: a dev tenant from mcp-auth0/dev).
      "examples/mcp-server",
    ],
  },
});
