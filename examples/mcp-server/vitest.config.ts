import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

export default defineConfig({
  // Inside the mcp-auth0 repository the package is its own build; in your project,
  // `npm install -D mcp-auth0` resolves "mcp-auth0/dev" and this alias is not needed.
  resolve: { alias: { "mcp-auth0/dev": fileURLToPath(new URL("../../dist/dev/index.js", import.meta.url)) } },
  test: {
    name: "example-mcp-server",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
