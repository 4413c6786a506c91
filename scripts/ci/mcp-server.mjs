// The test suite's small MCP server (test/dev/support/mcp-server.ts: jose-verified bearer tokens,
// RFC 9728 metadata, one `whoami` tool), as a process for CI's independent clients. Prints its URL
// on the first line, then waits for the `.env` that `mcp-auth0 init` writes (atomically, so once it
// exists it is whole) and starts answering. Runs on Node 22.18+ (type stripping); trusts the tenant
// through NODE_EXTRA_CA_CERTS like any MCP server started after `mcp-auth0 dev`.
//   usage: NODE_EXTRA_CA_CERTS=…/ca.pem node scripts/ci/mcp-server.mjs <path of the .env>
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { createMcpTestServer } from "../../test/dev/support/mcp-server.ts";

const envPath = process.argv[2];
if (!envPath) throw new Error("usage: mcp-server.mjs <path of the .env>");
const server = await createMcpTestServer({ fetch: globalThis.fetch });
console.log(server.url);
while (!existsSync(envPath)) await sleep(50);
await server.start(envPath);
console.log(`ready: ${envPath}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void server.close().then(() => process.exit(0)));
