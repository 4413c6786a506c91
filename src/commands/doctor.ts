import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { z } from "zod";
import { openTenant, type Context } from "./context.js";
import { ExitCode } from "../errors.js";
import { parseIdentifier, parseList } from "../input/values.js";
import { assertScopes } from "../tenant/scopes.js";
import { diagnose, DOCTOR_SCOPES } from "../doctor/diagnose.js";
import { failed, renderChecks } from "../doctor/check.js";
import { unneededScopeChecks } from "../doctor/scope-checks.js";

const optionsSchema = z.object({
  apiIdentifier: z.string().optional(),
  serverUrl: z.string().optional(),
  connections: z.string().optional(),
  envPath: z.string().default(".env"),
});

/** The MCP server's .env (what init wrote), so that a bare `mcp-auth0 doctor` in its folder knows the API. */
async function readDotenv(path: string): Promise<Record<string, string>> {
  try {
    return parseEnv(await readFile(path, "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Is this tenant ready for MCP clients, and what is missing? Reads only; exit 1 when a check fails. */
export async function runDoctor(raw: unknown, ctx: Context): Promise<number> {
  const options = optionsSchema.parse(raw);
  const env = ctx.deps.env;
  // A .env beside the server (what init wrote) names the API when neither flags nor environment do.
  // Its MCP_SERVER_URL is not probed unless asked: the server need not be running.
  const dotenv = await readDotenv(resolve(ctx.deps.cwd, options.envPath));
  const serverUrl = options.serverUrl ?? env.MCP_SERVER_URL;
  const identifier = parseIdentifier(
    options.apiIdentifier ??
      env.AUTH0_AUDIENCE ??
      serverUrl ??
      dotenv.AUTH0_AUDIENCE ??
      dotenv.MCP_USE_OAUTH_AUTH0_AUDIENCE ??
      (await ctx.prompter.input({ message: "API identifier of the MCP server", flag: "--api-identifier (or AUTH0_AUDIENCE)" })),
  );
  const tenant = await openTenant(ctx);
  assertScopes(tenant.scopes, DOCTOR_SCOPES);
  const checks = await diagnose(tenant, { identifier, serverUrl: serverUrl ? parseIdentifier(serverUrl, "--server-url") : undefined, connections: parseList(options.connections) });
  // The dev tenant's own application holds every scope by design: nothing to narrow there.
  if (!ctx.options.local) checks.push(...unneededScopeChecks(tenant.scopes));
  ctx.logger.info(renderChecks(checks, ctx.logger.color));
  if (ctx.options.json) ctx.logger.json({ domain: tenant.domain, identifier, ok: !failed(checks), checks, calls: tenant.http.calls.length, writes: tenant.http.writes() });
  return failed(checks) ? ExitCode.failure : ExitCode.ok;
}
