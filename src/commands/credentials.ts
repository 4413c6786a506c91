import { tenantUrls } from "../tenant/urls.js";
import { canonicalFromToken } from "../tenant/domains.js";
import type { Context } from "../session/context.js";
import { connectTarget, credentialsFromOptions, resolveTarget } from "../session/target.js";
import { CancelledError, ExitCode, InputError } from "../errors.js";
import { parseList, parseName } from "../input/values.js";
import { assertEnvPathWritable, writeEnvFile } from "../env/dotenv.js";
import { resolvePath } from "../session/env-file.js";
import { assertReadScopes, assertScopes } from "../tenant/scopes.js";
import { SCOPED_COMMANDS, scopesNeeded, type ScopedCommand } from "../plan/command-scopes.js";
import { applyM2MApplication, applyManagementGrant, planM2MApplication, planManagementGrant, readM2MState } from "../resources/m2m-application.js";
import { readApplicationSecret } from "../resources/application.js";
import { makePlan, pendingChanges } from "../plan/plan.js";
import { renderPlan } from "../plan/render.js";
import type { CredentialsCreateFlags } from "../flags/credentials.js";

function parseCommands(raw: string): ScopedCommand[] {
  const list = parseList(raw);
  const unknown = list.filter((c) => !(SCOPED_COMMANDS as readonly string[]).includes(c));
  if (!list.length || unknown.length) {
    throw new InputError(
      `--scopes-for ${unknown.length ? `names no command mcp-auth0 knows: ${unknown.join(", ")}` : "is empty"}.`,
      `Choose from ${SCOPED_COMMANDS.join(", ")}, e.g. --scopes-for init,roles,doctor.`,
    );
  }
  return list as ScopedCommand[];
}

/**
 * `credentials create`: from a short-lived Management API token, the machine-to-machine
 * application the other commands run as, granted exactly the scopes the chosen commands need
 * (the same table their preflights check). Plan first; matched by name; a second run writes
 * nothing. The client secret goes only to --env-path or, with --show-secret, stdout.
 */
export async function runCredentialsCreate(options: CredentialsCreateFlags, ctx: Context): Promise<number> {
  const name = parseName(options.name, "--name");
  const commands = parseCommands(options.scopesFor);
  const scopes = scopesNeeded({ commands, mode: options.mode });
  const envFile = options.envPath === undefined ? undefined : resolvePath(ctx.deps.cwd, options.envPath);
  const wantsSecret = envFile !== undefined || options.showSecret;

  // The API Explorer's token names the tenant's canonical domain in its `aud` (a custom domain has no Management API).
  const fromToken = canonicalFromToken(credentialsFromOptions(ctx).token);
  // The token names its tenant: with it, --domain is not needed.
  const target = await resolveTarget(ctx, { domain: fromToken });
  if (envFile) await assertEnvPathWritable(envFile);
  const tenant = await connectTarget(ctx, target);
  assertReadScopes(tenant.scopes, ["read:clients", "read:client_grants"], ["create:clients", "create:client_grants", "update:client_grants"]);
  const audience = tenantUrls(fromToken ?? tenant.domain).managementApi;
  const state = await readM2MState(tenant, name, audience);
  // An existing application's secret is read (not rotated) for the file or stdout: that needs read:client_keys.
  if (state.application && wantsSecret) assertScopes(tenant.scopes, ["read:client_keys"]);

  const application = planM2MApplication(state.application, name);
  const grant = planManagementGrant(state.grant, audience, scopes);
  const plan = makePlan({ domain: tenant.domain, changes: [application, grant], warnings: [] });
  const { logger, prompter } = ctx;
  logger.info(...renderPlan(plan));
  const pending = pendingChanges(plan);
  const report = (applied: string[], clientId?: string) => ({
    plan,
    result: { dryRun: ctx.options.dryRun === true, applied, calls: tenant.http.calls.length, writes: tenant.http.writes() },
    scopes,
    ...(clientId ? { credentials: { AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: clientId } } : {}),
  });
  if (ctx.options.dryRun) {
    logger.info("Dry run: nothing was changed and no file was written.");
    if (ctx.options.json) logger.json(report([], state.application?.client_id));
    return ExitCode.ok;
  }
  assertScopes(
    tenant.scopes,
    pending.flatMap((c) => c.scopes),
  );
  if (pending.length && prompter.interactive && !(await prompter.confirm({ message: "Apply these changes?", default: true }))) {
    logger.info("Nothing was changed.");
    return ExitCode.ok;
  }

  const applied: string[] = [];
  // Ctrl-C from here finishes the write in flight and stops before the next (src/plan/execute.ts does the same).
  ctx.control.phase = "applying";
  // The created application's id and secret come back from apply: the plan keeps what it planned.
  const written =
    application.action === "unchanged"
      ? { clientId: application.id! }
      : await logger.step(`${application.action === "create" ? "Create" : "Update"} ${application.label}`, () => applyM2MApplication(tenant, application));
  if (application.action !== "unchanged") applied.push(application.label);
  const { clientId } = written;
  let secret = written.secret;
  if (grant.action !== "unchanged") {
    if (ctx.control.stopRequested) {
      throw new CancelledError(`Cancelled (Ctrl-C) before the next change; applied: ${applied.join("; ") || "nothing"}.`, "Re-run the same command: it completes what is missing.");
    }
    await logger.step(`${grant.action === "create" ? "Grant" : "Narrow or widen"} its Management API scopes`, () => applyManagementGrant(tenant, grant, clientId));
    applied.push(grant.label);
  }
  if (wantsSecret && secret === undefined) secret = await readApplicationSecret(tenant, clientId);
  ctx.control.phase = "after";

  logger.success(applied.length ? `Done: ${applied.length} change${applied.length === 1 ? "" : "s"} applied to ${tenant.domain}.` : "Already up to date: nothing was changed.");
  const entries: Array<[string, string]> = [
    ["AUTH0_DOMAIN", tenant.domain],
    ["AUTH0_CLIENT_ID", clientId],
    ...(secret && wantsSecret ? [["AUTH0_CLIENT_SECRET", secret] as [string, string]] : []),
  ];
  if (wantsSecret && !secret && !envFile)
    logger.warn(`Auth0 did not return the client secret of ${clientId}: copy it from the Dashboard → Applications → the application → Settings.`);
  if (envFile) {
    if (!secret)
      throw new InputError(
        `Auth0 did not return the client secret of ${clientId}, so ${options.envPath} was not written.`,
        "Copy it from the Dashboard → Applications → the application → Settings.",
      );
    const written = await writeEnvFile(envFile, entries);
    logger.info(
      `${written.unchanged ? "Up to date" : "Wrote"}: ${options.envPath} (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET; mode 0600 when created). Keep it out of version control.`,
    );
  }
  logger.info(
    "",
    "Store these where mcp-auth0 runs (e.g. your CI's secrets):",
    `  AUTH0_DOMAIN=${tenant.domain}`,
    `  AUTH0_CLIENT_ID=${clientId}`,
    `  AUTH0_CLIENT_SECRET=${envFile ? `(in ${options.envPath})` : options.showSecret ? "(on stdout)" : "(not shown: run again with --env-path <file> or --show-secret)"}`,
    `Granted: ${scopes.join(" ")}`,
  );
  if (ctx.options.json) {
    const doc = report(applied, clientId);
    logger.json(options.showSecret && secret ? { ...doc, credentials: { ...doc.credentials, AUTH0_CLIENT_SECRET: secret } } : doc);
  } else if (options.showSecret) {
    logger.print(...entries.map(([k, v]) => `${k}=${v}`));
  }
  return ExitCode.ok;
}
