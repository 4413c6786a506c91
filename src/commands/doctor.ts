import { resolve } from "node:path";
import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { ExitCode, InputError } from "../errors.js";
import { parseIdentifier, parseList } from "../input/values.js";
import { assertScopes } from "../tenant/scopes.js";
import { diagnose, DOCTOR_SCOPES } from "../doctor/diagnose.js";
import { failed, renderChecks } from "../doctor/check.js";
import { clientsFromContext, downstreamFromContext, identifierFromContext, readDotenv } from "../session/api-identifier.js";
import { CLIENT_NAMES, parseClientNames } from "../clients/catalogue.js";
import { existsHere, suggest, typedSecretNote } from "../session/suggest.js";
import { unneededScopeChecks } from "../doctor/scope-checks.js";
import { scopesAnyCommandNeeds } from "../plan/command-scopes.js";
import { recognisePreset } from "../doctor/dotenv-preset.js";
import type { DoctorFlags } from "../flags/doctor.js";

/** The .env's domain, bare (the mcp-use preset writes it without https://). */
const bare = (domain: string | undefined) =>
  domain
    ?.trim()
    .replace(/^https:\/\//i, "")
    .replace(/\/+$/, "")
    .toLowerCase() || undefined;

/** Is this tenant ready for MCP clients, and what is missing? Reads only; exit 6 when a check fails (SPEC §3). */
export async function runDoctor(options: DoctorFlags, ctx: Context): Promise<number> {
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
      serverUrl ??
      (await identifierFromContext(ctx, options.envPath)) ??
      (await ctx.prompter.input({ message: "API identifier of the MCP server", flag: "--api-identifier (or AUTH0_AUDIENCE)" })),
  );
  const downstream = proxy ? [] : await downstreamFromContext(ctx, options.downstreamApi, preset);
  // --client alone: the clients the config file names, else the whole catalogue.
  const clients =
    options.client === undefined
      ? undefined
      : parseClientNames(options.client === true ? ((await clientsFromContext(ctx)) ?? CLIENT_NAMES) : parseList(options.client, "--client"), "--client");
  if (clients && proxy)
    throw new InputError(
      "--client checks MCP clients that log in with Auth0 themselves; in proxy mode they log in through the MCP server's application.",
      "Leave out --client, or --mode proxy.",
    );
  const tenant = await openTenant(ctx);
  // Proxy mode reads the application (read:clients) instead of the default third-party grant; the
  // On-Behalf-Of checks read the Custom API client (read:clients).
  assertScopes(tenant.scopes, [
    ...(proxy ? [...DOCTOR_SCOPES.filter((s) => s !== "read:client_grants"), "read:clients"] : DOCTOR_SCOPES),
    ...(downstream.length ? ["read:clients"] : []),
  ]);
  const issuer = await tenant.issuerDomain();
  if (issuer.note) ctx.logger.info(issuer.note);
  const checks = await diagnose(tenant, {
    identifier,
    serverUrl: serverUrl ? parseIdentifier(serverUrl, "--server-url") : undefined,
    connections: parseList(options.connections),
    envPath: options.envPath === ".env" ? undefined : options.envPath,
    envDomain: preset.domain ?? bare(dotenv.AUTH0_DOMAIN ?? dotenv.MCP_USE_OAUTH_AUTH0_DOMAIN),
    envTemplate: preset.template?.name,
    command: (words) => suggest(ctx, words),
    rolesFileExists: existsHere(ctx),
    downstream,
    clients,
    ...(proxy
      ? {
          proxy: {
            template: preset.template?.mode === "proxy" ? preset.template.name : "mcp-use-proxy",
            clientId: preset.clientId,
            appName: options.appName,
            baseUrl: preset.baseUrl,
          },
        }
      : {}),
  });
  // The dev tenant's own application holds every scope by design: nothing to narrow there.
  if (!ctx.options.local) checks.push(...unneededScopeChecks(tenant.scopes, scopesAnyCommandNeeds()));
  const note = failed(checks) || checks.some((c) => c.status === "warn") ? typedSecretNote(ctx) : undefined;
  if (note) ctx.logger.info(note);
  ctx.logger.info(...renderChecks(checks));
  if (failed(checks)) ctx.logger.info("", `Run the fix of each failed check, then check again: ${suggest(ctx, ["doctor", "--api-identifier", identifier])}`);
  if (ctx.options.json)
    ctx.logger.json({ domain: tenant.domain, issuerDomain: issuer.domain, identifier, ok: !failed(checks), checks, calls: tenant.http.calls.length, writes: tenant.http.writes() });
  return failed(checks) ? ExitCode.notReady : ExitCode.ok;
}
