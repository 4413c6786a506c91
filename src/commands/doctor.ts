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
import { q } from "../doctor/fixes.js";
import { recognisePreset } from "../doctor/dotenv-preset.js";

/** SPEC §3: read, but the tenant is not ready for MCP clients. */
const NOT_READY = 6;

/** The .env's domain, bare (the mcp-use preset writes it without https://). */
const bare = (domain: string | undefined) => domain?.trim().replace(/^https:\/\//i, "").replace(/\/+$/, "").toLowerCase() || undefined;

/** The flags that made doctor reach this tenant, for the fix commands it prints (credentials stay in the environment). */
function targetOf(ctx: Context): string {
  const o = ctx.options;
  if (o.local) return typeof o.local === "string" ? ` --local ${q(o.local)}` : " --local";
  return [
    o.domain ? ` --domain ${q(o.domain)}` : "",
    o.canonicalDomain ? ` --canonical-domain ${q(o.canonicalDomain)}` : "",
    o.issuerDomain ? ` --issuer-domain ${q(o.issuerDomain)}` : "",
  ].join("");
}

const optionsSchema = z.object({
  apiIdentifier: z.string().optional(),
  serverUrl: z.string().optional(),
  connections: z.string().optional(),
  envPath: z.string().default(".env"),
  mode: z.enum(["dcr", "proxy"]).optional(),
  appName: z.string().optional(),
});

/** The MCP server's .env (what init wrote), so that a bare `mcp-auth0 doctor` in its folder knows the API. */
async function readDotenv(path: string): Promise<Record<string, string>> {
  try {
    return parseEnv(await readFile(path, "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Is this tenant ready for MCP clients, and what is missing? Reads only; exit 6 when a check fails. */
export async function runDoctor(raw: unknown, ctx: Context): Promise<number> {
  const options = optionsSchema.parse(raw);
  const env = ctx.deps.env;
  // A .env beside the server (what init wrote) names the API when neither flags nor environment do.
  // Its MCP_SERVER_URL is not probed unless asked: the server need not be running.
  const dotenv = await readDotenv(resolve(ctx.deps.cwd, options.envPath));
  const { listTemplates } = await import("../env/templates.js");
  const preset = recognisePreset(dotenv, await listTemplates());
  // Proxy mode when asked, or when the .env is a proxy preset's (it holds the application's client id).
  const proxy = (options.mode ?? preset.template?.mode) === "proxy";
  const serverUrl = options.serverUrl ?? env.MCP_SERVER_URL;
  // The .env's audience is what the server checks tokens against: it wins over the server's URL.
  const identifier = parseIdentifier(
    options.apiIdentifier ??
      env.AUTH0_AUDIENCE ??
      preset.audience ??
      dotenv.AUTH0_AUDIENCE ??
      dotenv.MCP_USE_OAUTH_AUTH0_AUDIENCE ??
      serverUrl ??
      (await ctx.prompter.input({ message: "API identifier of the MCP server", flag: "--api-identifier (or AUTH0_AUDIENCE)" })),
  );
  const tenant = await openTenant(ctx);
  // Proxy mode reads the application (read:clients) instead of the default third-party grant.
  assertScopes(tenant.scopes, proxy ? [...DOCTOR_SCOPES.filter((s) => s !== "read:client_grants"), "read:clients"] : DOCTOR_SCOPES);
  const issuer = await tenant.issuerDomain();
  if (issuer.note) ctx.logger.info(issuer.note);
  const checks = await diagnose(tenant, {
    identifier,
    serverUrl: serverUrl ? parseIdentifier(serverUrl, "--server-url") : undefined,
    connections: parseList(options.connections),
    envPath: options.envPath === ".env" ? undefined : options.envPath,
    envDomain: preset.domain ?? bare(dotenv.AUTH0_DOMAIN ?? dotenv.MCP_USE_OAUTH_AUTH0_DOMAIN),
    envTemplate: preset.template?.name,
    target: targetOf(ctx),
    ...(proxy
      ? { proxy: { template: preset.template?.mode === "proxy" ? preset.template.name : "mcp-use-proxy", clientId: preset.clientId, appName: options.appName, baseUrl: preset.baseUrl } }
      : {}),
  });
  ctx.logger.info(renderChecks(checks, ctx.logger.color));
  if (ctx.options.json) {
    ctx.logger.json({ domain: tenant.domain, issuerDomain: issuer.domain, identifier, ok: !failed(checks), checks, calls: tenant.http.calls.length, writes: tenant.http.writes() });
  }
  return failed(checks) ? NOT_READY : ExitCode.ok;
}
