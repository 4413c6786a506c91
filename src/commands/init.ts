import { CancelledError } from "../errors.js";
import type { Context } from "../session/context.js";
import { connectTarget } from "../session/target.js";
import { parseList } from "../input/values.js";
import { askApi, askClients, askConnections, askEnv, askRoles, earlierAnswers, quickRole, saveRolesFile, showTenant, type ApiAnswers, type RolesAnswer } from "../init/wizard.js";
import { assertRolesFit, gatherInitInputs, scopesOfTheApi } from "../init/inputs.js";
import { existsHere, suggest, typedSecretNote } from "../session/suggest.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { cimdImports, planInit, INIT_READ_SCOPES, INIT_WRITE_SCOPES } from "../plan/init-plan.js";
import { readTenantState } from "../resources/tenant-state.js";
import { executePlan } from "../plan/execute.js";
import { makePlan } from "../plan/plan.js";
import { diagnose } from "../doctor/diagnose.js";
import { readUsageFacts, type UsageFacts } from "../doctor/tenant-usage-checks.js";
import type { ApplicationChange } from "../resources/application.js";
import { plannedHoldings } from "../resources/roles.js";
import { settledState } from "../plan/apply.js";
import { assertEnvPathWritable } from "../env/dotenv.js";
import { originOf, proxyScope, usesValue } from "../env/templates.js";
import type { DefaultAudiencePolicy } from "../resources/tenant-settings.js";
import { DEFAULT_API_NAME } from "../resources/resource-server.js";
import { defaultAppName, parseAppName } from "../input/proxy.js";
import { gatherProxy, templateForMode } from "../init/proxy.js";
import { envCredentials, planEnvFile, resolvePath } from "../session/env-file.js";
import { offerToSaveConfig } from "../init/config.js";
import * as obo from "../init/downstream.js";
import type { InitFlags } from "../flags/init.js";
import { initNextSteps } from "../init/next-steps.js";
import { importedCimdClients, readCimdClients } from "../resources/cimd-client.js";

export async function runInit(flags: InitFlags, ctx: Context): Promise<number> {
  if (flags.template === "list") return (await import("../session/templates.js")).showTemplates(ctx);
  const { prompter, deps } = ctx;
  const inputs = await gatherInitInputs(flags, ctx);
  const { config, options, mode, wizard, downstreamApis, cimdClients, cimd, rolesFromFlag } = inputs;
  // In the wizard, proxy mode's callback URLs are asked once the tenant is connected.
  let proxy = inputs.proxy;
  const tenant = await connectTarget(ctx, inputs.target);
  const settings = wizard ? await showTenant(ctx, tenant) : undefined;
  const earlier = wizard ? await earlierAnswers(ctx, options.envPath ?? ".env") : {};
  const api: ApiAnswers = wizard ? await askApi(prompter, inputs.given, earlier) : (inputs.given as ApiAnswers);
  if (wizard) assertRolesFit(rolesFromFlag, api);
  // --role-users: the wizard's quick role (every scope, for these users) as a flag.
  const givenRoles = rolesFromFlag ?? (inputs.roleUsers ? quickRole(api, inputs.roleUsers) : undefined);
  if (mode === "proxy" && wizard) proxy = await gatherProxy({ ...options, cimd }, ctx);
  obo.assertNotTheMcpApi(downstreamApis, api.identifier);

  // The MCP clients the tenant serves: asked before the state is read, which then reads the imported ones too.
  const clients = inputs.namedClients ?? (wizard && mode === "dcr" ? await askClients(prompter, cimd || settings?.client_id_metadata_document_supported === true) : []);
  const imports = cimdImports({ clients, cimdClients });
  const wantsRoles = givenRoles !== undefined || wizard;
  const preset = options.template ?? (wizard ? undefined : mode === "dcr" ? "auth0" : undefined);
  const clientSecret = preset !== undefined && usesValue(await templateForMode(preset, mode), "clientSecret");
  const scopeOptions = { mode, clientSecret, cimdClients: imports.length > 0, obo: downstreamApis.length > 0 };
  assertReadScopes(tenant.scopes, INIT_READ_SCOPES(wantsRoles, scopeOptions), INIT_WRITE_SCOPES(wantsRoles, scopeOptions));

  // The domain MCP clients use (a custom domain in front of the tenant, see tenant/domains.ts): its one read goes with the state's.
  // So do the reads of the closing verdict's checks that init does not plan (the roles that grant
  // the API's permissions, rules, applications), so that it says what doctor says without reading after the writes.
  let usage: Promise<UsageFacts> | undefined;
  // In DCR mode the verdict's listing of the applications carries the imported CIMD clients too: one listing, not two.
  const cimdFromUsage = imports.length > 0 && mode === "dcr";
  const state = await readTenantState(tenant, {
    identifier: api.identifier,
    roles: wantsRoles || (mode === "dcr" && (tenant.scopes === undefined || tenant.scopes.includes("read:roles"))),
    alongside: mode === "dcr" ? () => (usage = readUsageFacts(tenant)) : undefined,
    desiredRoles: givenRoles?.roles,
    mode,
    issuerDomain: true,
    settings,
    cimdClients: imports.length > 0 && !cimdFromUsage,
    downstream: obo.downstreamReads(downstreamApis),
  });
  if (cimdFromUsage) {
    const listed = (await usage!).clients;
    state.cimdClients = Array.isArray(listed) ? importedCimdClients(listed) : await readCimdClients(tenant);
  }
  api.scopes ??= scopesOfTheApi(state, api.identifier);
  const issuerDomain = await tenant.issuerDomain();
  if (issuerDomain.note) ctx.logger.info(issuerDomain.note);

  const connectionNames =
    options.connections !== undefined ? parseList(options.connections) : prompter.interactive ? await askConnections(ctx, state.connections, proxy !== undefined) : [];

  const roles: RolesAnswer | undefined = givenRoles ?? (wizard ? await askRoles(ctx, api) : undefined);
  const { envPath, template: chosenTemplate } = wizard
    ? await askEnv(ctx, mode, { envPath: options.envPath, template: options.template, followSymlinks: options.followSymlinks }, earlier)
    : { envPath: options.envPath ?? ".env", template: options.template };
  const template = await templateForMode(chosenTemplate, mode);
  const envFilePath = resolvePath(deps.cwd, envPath);
  if (options.envPath === undefined && !wizard) await assertEnvPathWritable(envFilePath, { followSymlinks: options.followSymlinks });
  if (usesValue(template, "clientSecret") && !scopeOptions.clientSecret) assertReadScopes(tenant.scopes, INIT_READ_SCOPES(wantsRoles, { mode, clientSecret: true }), []);
  let policy: DefaultAudiencePolicy = options.defaultAudience === true ? "replace" : options.defaultAudience === false ? "never" : (config?.desired.defaultAudience ?? "auto");
  const otherAudience = state.settings.default_audience && state.settings.default_audience !== api.identifier ? state.settings.default_audience : undefined;
  if (policy === "auto" && otherAudience && prompter.interactive) {
    const replace = await prompter.confirm({
      message: `The tenant's default audience is ${otherAudience}. It applies to every application of the tenant. Replace it with ${api.identifier}?`,
      default: false,
    });
    if (replace) policy = "replace";
  }

  const tenantPlan = await planInit(tenant, state, {
    identifier: api.identifier,
    apiName: api.apiName,
    scopes: api.scopes,
    connections: connectionNames,
    roles: roles?.roles ?? [],
    rolesFile: roles?.file,
    defaultAudience: policy,
    cimd: options.cimd === true,
    cimdClients,
    clients,
    mode,
    downstreamApis,
    ...(proxy
      ? { application: { name: proxy.appName ?? parseAppName(defaultAppName(api.apiName ?? state.resourceServer?.name ?? DEFAULT_API_NAME)), callbacks: proxy.callbacks } }
      : {}),
  });

  const application = tenantPlan.changes.find((c): c is ApplicationChange => c.kind === "application");
  const apiScopes = tenantPlan.changes.flatMap((c) => (c.kind === "resource-server" ? c.apiScopes : []));
  const values = {
    domain: issuerDomain.domain,
    audience: api.identifier,
    serverUrl: api.serverUrl,
    // An OAuth proxy serves its callback itself: without --server-url, its origin is the server's.
    baseUrl: api.serverUrl ? undefined : originOf(proxy?.callbacks[0]),
    apiBaseUrl: inputs.apiBaseUrl,
    scope: proxyScope(apiScopes),
    ...obo.exchangeValues(tenantPlan),
  };
  const envFile = await planEnvFile(
    tenant,
    template,
    values,
    { path: envPath, file: envFilePath, followSymlinks: options.followSymlinks, removeStale: !ctx.options.dryRun },
    application ?? obo.envClient(tenantPlan, state),
  );
  const plan = makePlan({ ...tenantPlan, env: envFile.change, warnings: [...tenantPlan.warnings, ...envFile.warnings] });

  const doctor = suggest(ctx, ["doctor", "--api-identifier", api.identifier]);
  const code = await executePlan(ctx, tenant, plan, {
    writeEnv: (report) => envFile.write(...envCredentials(report, plan)),
    recheck: doctor,
    commandsNote: typedSecretNote(ctx),
    nextSteps: await initNextSteps(ctx, {
      envPath,
      domain: issuerDomain.domain,
      identifier: api.identifier,
      serverUrl: api.serverUrl,
      proxy: proxy ? { application: application?.desired.name } : undefined,
    }),
    // The state read for the plan, brought up to date with the answers of apply's writes: no second
    // read — unless a write's answer was lost and its resource read back, which leaves a gap in those answers.
    // The doctor checks what DCR clients meet, so proxy mode has no verdict (yet).
    verdict: proxy
      ? undefined
      : async (report) => {
          const after = report.applied.some((a) => a.written.readBack)
            ? await readTenantState(tenant, { identifier: api.identifier, roles: wantsRoles, mode, downstream: obo.downstreamReads(downstreamApis) })
            : settledState(state, report);
          return diagnose(tenant, {
            identifier: api.identifier,
            connections: connectionNames,
            state: after,
            usage: await usage,
            // The .env just written, checked as doctor checks it.
            envPath: envPath === ".env" ? undefined : envPath,
            envDomain: usesValue(template, "domain") ? issuerDomain.domain : undefined,
            envTemplate: template.name,
            rolePermissions: plannedHoldings(
              plan.changes.flatMap((c) => (c.kind === "role" ? [c] : [])),
              state.roleReads?.states,
            ),
            apiIsNew: plan.changes.some((c) => c.kind === "resource-server" && c.action === "create"),
            command: (words) => suggest(ctx, words),
            rolesFile: roles?.file,
            rolesFileExists: existsHere(ctx),
            downstream: obo.expectedDownstream(plan),
          });
        },
  });
  if (code !== 0 || !wizard || ctx.options.dryRun || ctx.control.phase !== "after") return code;
  try {
    await saveRolesFile(ctx, roles);
    await offerToSaveConfig(ctx, {
      domain: tenant.domain,
      identifier: api.identifier,
      apiName: api.apiName,
      scopes: api.scopes,
      connections: connectionNames,
      // One copy of the roles: the file roles sync edits, unless the quick role was not kept as one.
      roles: !roles ? [] : roles.save === false ? roles.roles : roles.file,
      serverUrl: api.serverUrl,
      envPath,
      template: template.name,
      mode,
      defaultAudience: policy,
      downstreamApis,
      clients,
    });
  } catch (error) {
    // Ctrl-C at the last question: the tenant is set up; only the answers were not kept.
    if (error instanceof CancelledError) throw new CancelledError("Cancelled — the changes above were applied; only the config file was not saved.");
    throw error;
  }
  return code;
}
