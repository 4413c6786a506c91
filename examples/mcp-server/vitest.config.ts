import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// Inside the mcp-auth0 repository (its `npm test` runs this suite) the package is the repository's
// own build; in a copy of this folder, `npm i -D mcp-auth0` (or its tarball) resolves "mcp-auth0/dev".
const repository = new URL("../../package.json", import.meta.url);
const insideMcpAuth0 = existsSync(repository) && (JSON.parse(readFileSync(repository, "utf8")) as { name?: string }).name === "mcp-auth0";

export default defineConfig({
  resolve: insideMcpAuth0 ? { alias: { "mcp-auth0/dev": fileURLToPath(new URL("../../dist/dev/index.js", import.meta.url)) } } : {},
  test: {
    name: "example-mcp-server",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
