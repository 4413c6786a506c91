import { startServer } from "./server.ts";

// The .env that `mcp-auth0 init` wrote: node --env-file=.env --experimental-strip-types src/main.ts
const domain = process.env["AUTH0_DOMAIN"];
const audience = process.env["AUTH0_AUDIENCE"];
if (!domain || !audience) throw new Error("AUTH0_DOMAIN and AUTH0_AUDIENCE must be set (run `npx mcp-auth0 init`)");
const server = await startServer({ domain, audience, port: Number(process.env["PORT"] ?? 3000) });
console.log(`MCP server at ${server.url}`);
