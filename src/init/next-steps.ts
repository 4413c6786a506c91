import type { Context } from "../session/context.js";
import { shownPath, suggest } from "../session/suggest.js";
import { findLocalTenant } from "../tenant/local.js";

export interface NextStepsFacts {
  envPath: string;
  domain: string;
  identifier: string;
  serverUrl?: string;
  /** Proxy mode: the application whose client id and secret the .env holds. */
  proxy?: { application?: string };
}

/**
 * What to do once init is ready. With --local the MCP server must trust the dev tenant's CA, which
 * Node reads only from NODE_EXTRA_CA_CERTS at start (never from a .env): without it the server's
 * JWKS fetch fails and it answers 401 to every valid token. `try` then proves the whole way an MCP
 * client goes, up to a tool call; it is offered when the server's URL is known.
 */
export async function initNextSteps(ctx: Context, f: NextStepsFacts): Promise<string[]> {
  const inspector = `Connect MCP Inspector: npx @modelcontextprotocol/inspector, enter ${f.serverUrl ?? (f.proxy ? "your MCP server's URL" : f.identifier)}, then Open Auth Settings → Quick OAuth Flow`;
  if (f.proxy) {
    return [
      `Start your MCP server; it reads ${f.envPath} (the client id and secret of application ${f.proxy.application}, audience ${f.identifier}). Keep ${f.envPath} out of version control: it holds the client secret.`,
      `${inspector}; your server's proxy logs you in through Auth0.`,
    ];
  }
  const reads = `it reads ${f.envPath} (domain ${f.domain}, audience ${f.identifier})`;
  const { cwd, env } = ctx.deps;
  const ca = ctx.options.local ? shownPath(cwd, (await findLocalTenant(cwd, ctx.options.dataDir, env)).caCertPath) : undefined;
  const start = ca
    ? `Start your MCP server trusting the dev tenant (Node reads NODE_EXTRA_CA_CERTS only at start, never from a .env); ${reads}: NODE_EXTRA_CA_CERTS=${ca} npm start`
    : `Start your MCP server; ${reads}.`;
  const envPath = f.envPath === ".env" ? [] : ["--env-path", f.envPath];
  return [
    start,
    ...(f.serverUrl ? [`Check that an MCP client logs in and calls a tool: ${suggest(ctx, ["try", "--server-url", f.serverUrl, ...envPath])}`] : []),
    `${inspector}.`,
    `Check the whole setup at any time: ${suggest(ctx, ["doctor", "--api-identifier", f.identifier])}`,
  ];
}
