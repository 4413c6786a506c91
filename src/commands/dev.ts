import type { Context } from "../session/context.js";
import { CliError, ExitCode, InputError } from "../errors.js";
import { dataDirOf, DEFAULT_DATA_DIR } from "../tenant/local.js";
import type { DevTenant } from "../local-tenant/dev.js";
import { PLAN_LIMITS } from "../local-tenant/plan.js";
import { assertEmail } from "../input/values.js";
import type { DevFlags } from "../flags/dev.js";
import { q, RUN_CLI } from "../doctor/fixes.js";
import { shownPath } from "../session/suggest.js";
import { findConfigFile } from "../config/load.js";

/** Seams for tests: stop the tenant without a signal, and see it once it is up. */
export interface DevHooks {
  /** Resolves when the tenant should stop; default: SIGINT or SIGTERM. */
  until?: Promise<unknown>;
  onReady?: (tenant: DevTenant) => void;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/**
 * `mcp-auth0 dev`: a local Auth0-compatible tenant (Management API, OAuth/OIDC with DCR, dev
 * users) at https://localhost:<port>, until SIGINT or SIGTERM. Everything it needs loads here only.
 */
export async function runDev(options: DevFlags, ctx: Context, _args: string[] = [], hooks: DevHooks = {}): Promise<number> {
  // Its shape now; whether it names a dev user, once the tenant's users are loaded.
  if (options.autoLogin !== undefined) assertEmail(options.autoLogin, "--auto-login");
  const { cwd, env } = ctx.deps;
  // --data-dir is a global option: the same flag tells --local where to look.
  const dataDir = dataDirOf(cwd, ctx.options.dataDir, env);
  const { startDevTenant, DevTenantError, DataDirError } = await import("../local-tenant/dev.js");

  let tenant: DevTenant;
  try {
    // The custom domain's port follows --port, so that a restarted tenant keeps both addresses.
    const customDomainPort = options.customDomain === true ? (options.port === 0 ? 0 : options.port + 1) : options.customDomain;
    tenant = await startDevTenant({
      port: options.port,
      dataDir,
      ...(options.autoLogin ? { autoLogin: options.autoLogin } : {}),
      ...(customDomainPort !== undefined ? { customDomainPort } : {}),
      ...(options.plan ? { plan: options.plan } : {}),
    });
  } catch (error) {
    if (error instanceof DevTenantError) throw new InputError(error.message, "Stop it first, or pass another --data-dir.");
    if (error instanceof DataDirError) throw new InputError(error.message, "Pass a directory of your own with --data-dir (it is created 0700).");
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(`Port ${options.port} is already in use.`, ExitCode.failure, "Pass another one with --port, e.g. npx mcp-auth0 dev --port 4001.");
    }
    throw error;
  }

  const local = shownPath(cwd, dataDir) === DEFAULT_DATA_DIR && !env.MCP_AUTH0_DATA_DIR ? ["--local"] : ["--local", "--data-dir", shownPath(cwd, dataDir)];
  const users = tenant.users();
  const { logger } = ctx;
  const width = Math.max(...users.map((u) => u.email.length), 0);
  for (const note of tenant.notes) logger.warn(note);
  logger.success(`Local Auth0-compatible tenant running at ${tenant.url} (issuer ${tenant.issuer})`);
  logger.info(`  Domain:        ${tenant.domain}`);
  if (tenant.customDomain) {
    logger.info(`  Custom domain: ${tenant.customDomain.domain} (issuer ${tenant.customDomain.issuer}; MCP clients use it, the Management API stays on ${tenant.domain})`);
  }
  logger.info(`  Credentials:   ${shownPath(cwd, tenant.connectionFile)} (a Management API application with every scope; --local reads it)`);
  logger.info(`  CA:            ${tenant.caCertPath}`);
  logger.info(`  State:         ${shownPath(cwd, dataDir)} (settings, APIs, roles, registered clients, keys and CA survive a restart)`);
  const { takenOn, documents } = tenant.cimdSnapshot;
  const bundled = Object.values(documents) as Array<{ client_name?: unknown; jwks_uri?: unknown }>;
  // A Private Key JWT client's keys are not in the snapshot: its import fetches them, as Auth0 does.
  const keysFetched = bundled.filter((d) => typeof d.jwks_uri === "string" && !(d.jwks_uri in documents));
  logger.info(
    `  CIMD documents: ${bundled.map((d) => String(d.client_name)).join(", ")} from a snapshot taken on ${takenOn} (imported offline${keysFetched.map((d) => `; ${String(d.client_name)}'s keys are fetched from ${String(d.jwks_uri)}`).join("")}); other client metadata URLs are fetched`,
  );
  logger.info(`  Dev users (no passwords: pick one on the login page):`);
  for (const u of users) logger.info(`    ${u.email.padEnd(width)}  ${u.connection}`);
  if (options.plan) {
    const { management, registration, tokenExchange, entities } = PLAN_LIMITS[options.plan];
    logger.info(
      `  Plan:          ${options.plan} (Management API ${management?.perSecond} requests/s, /oidc/register ${registration?.perSecond}/s, token exchange ${tokenExchange?.perSecond}/s, at most ${entities?.applications} applications, ${entities?.clientGrants} client grants and ${entities?.resourceServers} APIs)`,
    );
  }
  if (options.autoLogin) logger.info(`  Auto-login:    ${options.autoLogin} (no login page; consent given; login_hint picks another user)`);
  logger.info("");
  // A complete init, runnable as printed: the project's config file when it has one; else an API
  // for the server's URL, the database connection at domain level, and a role with every scope for
  // the user who logs in first (issue 20: without a role every token carries no permission).
  const config = findConfigFile(cwd);
  const roleUser = options.autoLogin ?? users[0]?.email;
  const flags = config
    ? ["--yes"]
    : [
        "--yes",
        "--server-url",
        "http://localhost:3000/mcp",
        "--scopes",
        "tool:whoami=Read your identity",
        "--connections",
        "Username-Password-Authentication",
        ...(roleUser ? ["--role-users", roleUser] : []),
      ];
  logger.info("Next:");
  logger.info(`  ${[...RUN_CLI, "init", ...local, ...flags].map(q).join(" ")}`);
  logger.info(
    config
      ? `      provision it from ${shownPath(cwd, config)}, as you would a real tenant`
      : "      provision it as you would a real tenant (--server-url: your MCP server's URL; without --yes and the flags, init asks)",
  );
  logger.info(`  NODE_EXTRA_CA_CERTS=${tenant.caCertPath} npm start`);
  logger.info("      start your MCP server trusting the tenant's CA (Node reads NODE_EXTRA_CA_CERTS only at start, never from a .env)");
  logger.info("Press Ctrl+C to stop.");
  if (ctx.options.json) {
    logger.json({
      domain: tenant.domain,
      issuer: tenant.issuer,
      dataDir,
      connectionFile: tenant.connectionFile,
      caCertPath: tenant.caCertPath,
      ...(tenant.customDomain ? { customDomain: { domain: tenant.customDomain.domain, issuer: tenant.customDomain.issuer } } : {}),
      users,
      cimdSnapshot: { takenOn, urls: Object.keys(documents) },
      ...(options.autoLogin ? { autoLogin: options.autoLogin } : {}),
    });
  }
  hooks.onReady?.(tenant);

  // Ctrl-C is how dev stops: a clean stop, exit 0, not a cancelled run.
  ctx.control.handlesInterrupt = true;
  await (hooks.until ?? untilSignal());
  await tenant.close();
  logger.info("Local tenant stopped; its state stays in " + shownPath(cwd, dataDir) + ".");
  return ExitCode.ok;
}
