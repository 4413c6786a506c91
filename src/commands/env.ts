import type { Context } from "../session/context.js";
import { connectTarget, resolveTarget } from "../session/target.js";
import { InputError } from "../errors.js";
import { parseIdentifier } from "../input/values.js";
import { defaultAppName, parseAppName } from "../input/proxy.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { assertEnvPathWritable } from "../env/dotenv.js";
import { listTemplates, loadTemplate, originOf, proxyScope, usesValue } from "../env/templates.js";
import { DEFAULT_API_NAME, readResourceServer } from "../resources/resource-server.js";
import { findApplication, readApplications, type Application } from "../resources/application.js";
import { executePlan } from "../plan/execute.js";
import { makePlan } from "../plan/plan.js";
import { applicationNeeds, planEnvFile, resolvePath } from "../session/env-file.js";
import { parseApiBaseUrl } from "../init/proxy.js";
import { downstreamFromContext, identifierFromContext, readDotenv } from "../session/api-identifier.js";
import { recognisePreset } from "../doctor/dotenv-preset.js";
import { readCustomApiClient } from "../resources/custom-api-client.js";
import { findDownstreamGrant, readDownstreamGrants } from "../resources/downstream-grant.js";
import type { EnvFlags } from "../flags/env.js";

/**
 * `mcp-auth0 env --template <name>`: the `.env` of any preset from the tenant as it is. Only reads:
 * the API, for proxy presets the application (by name) and its secret, and for the On-Behalf-Of
 * preset the Custom API client (with its secret) and its grant. Nothing in the tenant changes; the
 * plan has no change but the file.
 */
export async function runEnv(options: EnvFlags, ctx: Context): Promise<number> {
  if (options.template === "list") return (await import("../session/templates.js")).showTemplates(ctx);
  const template = await loadTemplate(options.template);
  const apiBaseUrl = parseApiBaseUrl(options.apiBaseUrl);
  const appName = options.appName !== undefined ? parseAppName(options.appName) : undefined;
  const envFilePath = resolvePath(ctx.deps.cwd, options.envPath);
  const target = await resolveTarget(ctx);
  const serverUrl = options.serverUrl !== undefined ? parseIdentifier(options.serverUrl, "--server-url") : undefined;
  // As doctor and roles sync do: the API the .env (any preset's audience) or the config file names.
  const identifier = parseIdentifier(
    options.apiIdentifier ??
      serverUrl ??
      (await identifierFromContext(ctx, options.envPath)) ??
      (await ctx.prompter.input({ message: "API identifier (your MCP server's resource URL)", flag: "--api-identifier (or --server-url)" })),
  );
  await assertEnvPathWritable(envFilePath, { followSymlinks: options.followSymlinks });
  // On-Behalf-Of: the downstream API the .env names already (or --downstream-api): its grant gives the scopes.
  const obo = usesValue(template, "downstreamAudience");
  const downstream = obo ? (await downstreamFromContext(ctx, options.downstreamApi, recognisePreset(await readDotenv(envFilePath), await listTemplates())))[0] : undefined;
  if (obo && !downstream) throw new InputError(`--template ${template.name} needs the downstream API the MCP server exchanges tokens for.`, "Pass --downstream-api <identifier>.");
  const tenant = await connectTarget(ctx, target);

  const { needsSecret, needsApplication } = applicationNeeds(template);
  assertReadScopes(
    tenant.scopes,
    ["read:resource_servers", ...(needsApplication ? ["read:clients"] : []), ...(needsSecret ? ["read:client_keys"] : []), ...(obo ? ["read:client_grants"] : [])],
    [],
  );
  const [resourceServer, applications, customApiClient, grants] = await Promise.all([
    readResourceServer(tenant, identifier),
    needsApplication && !obo ? readApplications(tenant) : Promise.resolve([]),
    obo ? readCustomApiClient(tenant, identifier, true) : undefined,
    downstream ? readDownstreamGrants(tenant, downstream.identifier) : undefined,
  ]);
  if (!resourceServer) {
    throw new InputError(
      `The tenant has no API ${identifier}.`,
      `Create it with npx mcp-auth0 init${template.mode === "proxy" ? " --mode proxy" : ""}, or check --api-identifier.`,
    );
  }
  if (obo && !customApiClient) {
    throw new InputError(
      `No Custom API client is linked to ${identifier}.`,
      `Create it with npx mcp-auth0 init --api-identifier ${identifier} --downstream-api ${downstream!.identifier}=<scopes>.`,
    );
  }
  let application: Application | undefined;
  if (needsApplication && !obo) {
    const name = appName ?? parseAppName(defaultAppName(resourceServer.name ?? DEFAULT_API_NAME));
    application = findApplication(applications, name);
    if (!application) {
      throw new InputError(
        `The tenant has no application named "${name}".`,
        `Create it with npx mcp-auth0 init --mode proxy --template ${template.name} --callback-url <url>, or name an existing Regular Web Application with --app-name.`,
      );
    }
  }

  const issuer = await tenant.issuerDomain();
  if (issuer.note) ctx.logger.info(issuer.note);
  const values = {
    domain: issuer.domain,
    audience: identifier,
    serverUrl,
    baseUrl: serverUrl ? undefined : originOf(application?.callbacks[0]),
    apiBaseUrl,
    scope: proxyScope((resourceServer.scopes ?? []).map((s) => s.value)),
    downstreamAudience: downstream?.identifier,
    exchangeScope: (findDownstreamGrant(grants, customApiClient?.client_id)?.scope ?? downstream?.scopes)?.join(" "),
  };
  const envFile = await planEnvFile(
    tenant,
    template,
    values,
    { path: options.envPath, file: envFilePath, followSymlinks: options.followSymlinks, removeStale: !ctx.options.dryRun },
    customApiClient ? { id: customApiClient.client_id, secret: customApiClient.client_secret } : application ? { id: application.client_id } : undefined,
  );
  const plan = makePlan({ domain: tenant.domain, changes: [], env: envFile.change, warnings: envFile.warnings });
  return executePlan(ctx, tenant, plan, {
    writeEnv: () => envFile.write(),
    nextSteps: [`Start your MCP server; it reads ${options.envPath}.`],
  });
}
