import { tenantUrls } from "../tenant/urls.js";
import { canonicalFromToken } from "../tenant/domains.js";
import type { Context } from "../session/context.js";
import { connectTarget, credentialsFromOptions, resolveTarget } from "../session/target.js";
import { InputError } from "../errors.js";
import { parseList, parseName } from "../input/values.js";
import { assertEnvPathWritable, writeEnvFile } from "../env/dotenv.js";
import { envCredentials, resolvePath, tightenedWarning } from "../session/env-file.js";
import { assertReadScopes, assertScopes } from "../tenant/scopes.js";
import { SCOPED_COMMANDS, scopesNeeded, type ScopedCommand } from "../plan/command-scopes.js";
import { planM2MApplication, planManagementGrant, readM2MState } from "../resources/m2m-application.js";
import { readApplicationSecret } from "../resources/application.js";
import { makePlan } from "../plan/plan.js";
import { executePlan } from "../plan/execute.js";
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

/** Stands for the secret of an application this run creates, in the dry run of the file's write only. */
const NOT_YET = "(created by this run)";

/**
 * `credentials create`: from a short-lived Management API token, the machine-to-machine
 * application the other commands run as, granted exactly the scopes the chosen commands need
 * (the same table their preflights check). Plan first; matched by name; a second run writes
 * nothing; two runs at once make one application (the application handler's protection). The
 * client secret goes only to --env-path or, with --show-secret, stdout.
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
  const grant = planManagementGrant(state.grant, audience, scopes, application);
  const entries = (clientId: string, secret?: string): Array<[string, string]> => [
    ["AUTH0_DOMAIN", tenant.domain],
    ["AUTH0_CLIENT_ID", clientId],
    ...(secret ? [["AUTH0_CLIENT_SECRET", secret] as [string, string]] : []),
  ];
  // The file receives a secret: the one .env writer makes it 0600 when others could read it (as init does), and the plan says so.
  const preview = envFile ? await writeEnvFile(envFile, entries(state.application?.client_id ?? NOT_YET, NOT_YET), { secret: true, dryRun: true }) : undefined;
  const warnings = preview?.tightenedFrom !== undefined ? [tightenedWarning(options.envPath!, preview.tightenedFrom)] : [];
  const plan = makePlan({ domain: tenant.domain, changes: [application, grant], warnings });
  const credentials = (clientId?: string, secret?: string) => (clientId ? { credentials: Object.fromEntries(entries(clientId, secret)) } : {});

  return executePlan(ctx, tenant, plan, {
    document: { scopes, ...credentials(state.application?.client_id) },
    afterApply: async (report) => {
      // A run that found another run's application (or an existing one) has no secret from its creation: it reads it.
      const [id, created] = envCredentials(report, plan);
      const clientId = id!;
      const secret = wantsSecret ? (created ?? (await readApplicationSecret(tenant, clientId))) : undefined;
      if (envFile) {
        if (!secret) {
          throw new InputError(
            `Auth0 did not return the client secret of ${clientId}, so ${options.envPath} was not written.`,
            "Copy it from the Dashboard → Applications → the application → Settings.",
          );
        }
        const written = await writeEnvFile(envFile, entries(clientId, secret), { secret: true });
        const mode = written.tightenedFrom !== undefined ? `made 0600, it was 0${written.tightenedFrom.toString(8)}` : "mode 0600 when created";
        ctx.logger.info(
          `${written.unchanged ? "Up to date" : "Wrote"}: ${options.envPath} (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET; ${mode}). Keep it out of version control.`,
        );
      } else if (wantsSecret && !secret) {
        ctx.logger.warn(`Auth0 did not return the client secret of ${clientId}: copy it from the Dashboard → Applications → the application → Settings.`);
      }
      ctx.logger.info(
        "",
        "Store these where mcp-auth0 runs (e.g. your CI's secrets):",
        `  AUTH0_DOMAIN=${tenant.domain}`,
        `  AUTH0_CLIENT_ID=${clientId}`,
        `  AUTH0_CLIENT_SECRET=${envFile ? `(in ${options.envPath})` : options.showSecret ? "(on stdout)" : "(not shown: run again with --env-path <file> or --show-secret)"}`,
        `Granted: ${scopes.join(" ")}`,
      );
      const shown = options.showSecret ? secret : undefined;
      if (options.showSecret && !ctx.options.json) ctx.logger.print(...entries(clientId, shown).map(([k, v]) => `${k}=${v}`));
      return credentials(clientId, shown);
    },
  });
}
