import { resolve } from "node:path";
import type { Context } from "../session/context.js";
import { ExitCode, InputError } from "../errors.js";
import { assertEmail, parseIdentifier } from "../input/values.js";
import { readDotenv } from "../session/api-identifier.js";
import { existsHere, shownPath, suggest } from "../session/suggest.js";
import { recognisePreset } from "../doctor/dotenv-preset.js";
import { renderChecks } from "../doctor/check.js";
import { parseCimdClientUrl } from "../resources/cimd-client.js";
import { dataDirOf, findLocalTenant } from "../tenant/local.js";
import type { TryFlags } from "../flags/try.js";
import { clip } from "../untrusted.js";

/** The dev user `try --local` logs in when --user does not say: the one the README's examples give every role. */
const DEFAULT_DEV_USER = "admin@example.com";

function parseArguments(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InputError(`--arguments is not JSON: ${raw}`, `Give a JSON object, e.g. --arguments '{"name":"Ada"}'.`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new InputError("--arguments must be a JSON object.", `E.g. --arguments '{"name":"Ada"}'.`);
  return value as Record<string, unknown>;
}

/**
 * `mcp-auth0 try`: the connection an MCP client makes, made here (src/connection/check.ts). With
 * --local the dev tenant's pages are answered for a dev user; otherwise the system browser opens
 * and the login comes back to a loopback redirect URI. Exit 6 when a step fails (SPEC §3), 4 when
 * the tenant cannot be reached at all.
 */
export async function runTry(flags: TryFlags, ctx: Context): Promise<number> {
  const { env, cwd } = ctx.deps;
  const local = ctx.options.local === true;
  // Everything given is checked before the first request.
  const args = parseArguments(flags.arguments);
  if (flags.user !== undefined && !local) throw new InputError("--user picks a dev user of the local tenant: add --local.", "On a real tenant the user logs in in the browser.");
  if (flags.user !== undefined) assertEmail(flags.user, "--user");
  const clientMetadataUrl = flags.clientMetadataUrl === undefined ? undefined : parseCimdClientUrl(flags.clientMetadataUrl, "--client-metadata-url");
  const envPath = resolve(cwd, flags.envPath);
  const dotenv = await readDotenv(envPath);
  const serverUrl = parseIdentifier(
    flags.serverUrl ??
      env.MCP_SERVER_URL ??
      dotenv.MCP_SERVER_URL ??
      (await ctx.prompter.input({ message: "Your MCP server's URL (e.g. http://localhost:3000/mcp)", flag: "--server-url (or MCP_SERVER_URL)" })),
    "--server-url",
  );
  const { listTemplates } = await import("../env/templates.js");
  const preset = recognisePreset(dotenv, await listTemplates());

  // The dev tenant of this directory, when there is one: --local trusts its CA; either way its CA
  // file is what an MCP server needs in NODE_EXTRA_CA_CERTS.
  const devTenant = local ? await findLocalTenant(cwd, ctx.options.dataDir, env) : await findLocalTenant(cwd, ctx.options.dataDir, env).catch(() => undefined);
  const { trustingFetch } = await import("../tenant/trust.js");
  const ca = local ? devTenant!.caCertPem : ctx.deps.ca;
  const trusted = ca ? trustingFetch(ca) : undefined;
  // Through the global fetch when nothing is trusted beyond the system (NODE_EXTRA_CA_CERTS included).
  const fetchFn = trusted?.fetch ?? ctx.deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const devUser = local ? (flags.user ?? DEFAULT_DEV_USER) : undefined;

  const { checkConnection } = await import("../connection/check.js");
  const { registrationsFile } = await import("../connection/registrations.js");
  const { openBrowser } = await import("../connection/user-agent.js");
  try {
    const report = await checkConnection({
      serverUrl,
      tool: flags.tool,
      arguments: args,
      devUser,
      consent: async ({ client, scopes }) =>
        !ctx.prompter.interactive ||
        ctx.prompter.confirm({
          message: `Consent screen: ${clip(client, 100)} asks ${devUser} for ${scopes.length ? scopes.map((s) => clip(s, 100)).join(", ") : "no permission of the API"}. Accept?`,
          default: true,
        }),
      clientMetadataUrl,
      registrations: registrationsFile(env, local ? dataDirOf(cwd, ctx.options.dataDir, env) : undefined),
      fetch: fetchFn,
      openBrowser: (url) => openBrowser(url, env),
      loginTimeoutMs: flags.loginTimeout * 1000,
      say: (...lines) => ctx.logger.info(...lines),
      serverEnv: { path: flags.envPath, domain: preset.domain, audience: preset.audience, ...(preset.template ? { template: preset.template.name } : {}) },
      command: (words) => suggest(ctx, words),
      rolesFileExists: existsHere(ctx),
      devTenant: devTenant && {
        hosts: [devTenant.domain, ...(devTenant.customDomain ? [devTenant.customDomain] : [])],
        caPath: shownPath(cwd, devTenant.caCertPath),
      },
    });
    ctx.logger.info(...renderChecks(report.checks, { ok: "Connected: an MCP client logged in and called a tool", failed: "Not connected" }));
    if (ctx.options.json) ctx.logger.json({ serverUrl, ok: report.ok, client: report.client, token: report.token, tool: report.tool, checks: report.checks });
    return report.ok ? ExitCode.ok : report.unreachable ? ExitCode.unreachable : ExitCode.notReady;
  } finally {
    await trusted?.close();
  }
}
