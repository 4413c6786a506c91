import type { Context } from "./context.js";
import { ExitCode, InputError } from "../errors.js";
import type { Tenant } from "../tenant/connect.js";

/**
 * The one place that decides which tenant a run talks to, and as whom: flags, then the
 * environment (SPEC §3), then a domain the command knows from elsewhere (a config file, a token's
 * audience), `--local`'s dev tenant, and at the terminal the prompts. The context is read, never
 * written; only the run's record of its tenant (`control.domain`, for error messages and printed
 * commands) is set, where the connection is made.
 */
export interface Target {
  domain: string;
  /** The tenant's canonical domain when `domain` is a custom one (src/tenant/domains.ts). */
  canonicalDomain?: string;
  /** The domain MCP clients use, when given. */
  issuerDomain?: string;
  clientId?: string;
  clientSecret?: string;
  token?: string;
  /** An extra CA to trust in-process: the dev tenant's with --local. */
  ca?: string;
  /** Values typed at the prompts: asked again when the tenant refuses them. */
  asked: { domain: boolean; credentials: boolean };
}

/** Flags win over the environment (SPEC §3). */
export function credentialsFromOptions(ctx: Pick<Context, "options" | "deps">) {
  const { options, deps } = ctx;
  return {
    domain: options.domain ?? deps.env.AUTH0_DOMAIN,
    clientId: options.clientId ?? deps.env.AUTH0_CLIENT_ID,
    clientSecret: options.clientSecret ?? deps.env.AUTH0_CLIENT_SECRET,
    token: options.token ?? deps.env.AUTH0_ACCESS_TOKEN,
    // Custom domains (src/tenant/domains.ts): the Management API's host, and the one MCP clients use.
    canonicalDomain: options.canonicalDomain ?? deps.env.AUTH0_CANONICAL_DOMAIN,
    issuerDomain: options.issuerDomain ?? deps.env.AUTH0_ISSUER_DOMAIN,
  };
}

/**
 * Every value of the target, asked for what flags and the environment leave open (when the run may
 * prompt), and checked — before any request, so that a command validates its own input between
 * this and `connectTarget`. `known.domain` is the domain the command learned elsewhere: it stands
 * where neither a flag nor the environment gives one (config files agree with them, see
 * src/config/domain.ts).
 */
export async function resolveTarget(ctx: Context, known: { domain?: string } = {}): Promise<Target> {
  const { normalizeDomain, assertCredentials } = await import("../tenant/connect.js");
  const given = credentialsFromOptions(ctx);
  let creds = { ...given, domain: given.domain ?? known.domain };
  let ca = ctx.deps.ca;
  if (ctx.options.local) {
    const { findLocalTenant } = await import("../tenant/local.js");
    const local = await findLocalTenant(ctx.deps.cwd, ctx.options.dataDir, ctx.deps.env);
    creds = { ...creds, domain: local.domain, clientId: local.clientId, clientSecret: local.clientSecret, token: undefined, canonicalDomain: undefined };
    ca = local.caCertPem;
  }
  const askedDomain = creds.domain === undefined;
  const domain = normalizeDomain(creds.domain ?? (await askDomain(ctx)));
  const askedCredentials = !creds.token && !(creds.clientId && creds.clientSecret) && ctx.interactive;
  if (askedCredentials) {
    creds.clientId ??= await askClientId(ctx);
    creds.clientSecret ??= await askClientSecret(ctx);
  }
  assertCredentials(creds);
  return {
    ...creds,
    domain,
    canonicalDomain: creds.canonicalDomain === undefined ? undefined : normalizeDomain(creds.canonicalDomain),
    issuerDomain: creds.issuerDomain === undefined ? undefined : normalizeDomain(creds.issuerDomain),
    ca,
    asked: { domain: askedDomain, credentials: askedCredentials },
  };
}

/**
 * Connects once: the token request checks the credentials at once. Typed answers that the tenant
 * refuses (an unknown domain, wrong credentials) are asked again with the reason, instead of
 * ending the wizard.
 */
export async function connectTarget(ctx: Context, first: Target): Promise<Tenant> {
  const { normalizeDomain, connectTenant } = await import("../tenant/connect.js");
  const { toCliError } = await import("../tenant/errors.js");
  const { logger } = ctx;
  for (let target = first; ;) {
    ctx.control.domain = target.domain;
    try {
      const { asked: _asked, ca, ...credentials } = target;
      return await connectTenant(credentials, {
        fetch: ctx.deps.fetch,
        ca,
        timeoutMs: ctx.options.timeout === undefined ? undefined : Math.round(ctx.options.timeout * 1000),
        onCall: (c) => logger.debug(`  ${c.method} ${c.path} → ${c.status} ${c.ms}ms${c.attempt > 1 ? ` (retry ${c.attempt - 1})` : ""}`),
        onWait: (seconds, reason) => logger.info(`… waiting ${seconds}s (${reason})`),
      });
    } catch (error) {
      const cli = toCliError(error, target.domain);
      const retryDomain = target.asked.domain && cli.exitCode === ExitCode.unreachable;
      const retryCredentials = target.asked.credentials && cli.exitCode === ExitCode.credentials;
      if (!retryDomain && !retryCredentials) throw cli;
      // The reason and what to do, as the error sink would say them (issue 20: a bare "TLS failure" left the person guessing).
      logger.error(cli.message);
      if (cli.hint) logger.info(`  ${cli.hint}`);
      target = retryDomain
        ? { ...target, domain: normalizeDomain(await askDomain(ctx)) }
        : { ...target, clientId: await askClientId(ctx), clientSecret: await askClientSecret(ctx) };
    }
  }
}

/** The target of a command that has nothing to check between resolving it and connecting. */
export async function openTenant(ctx: Context, known: { domain?: string } = {}): Promise<Tenant> {
  return connectTarget(ctx, await resolveTarget(ctx, known));
}

async function askDomain(ctx: Context): Promise<string> {
  const { normalizeDomain } = await import("../tenant/connect.js");
  return ctx.prompter.input({ message: "Auth0 tenant domain (e.g. acme.us.auth0.com)", flag: "--domain (or AUTH0_DOMAIN)", validate: domainValidator(normalizeDomain) });
}

const askClientId = (ctx: Context) =>
  ctx.prompter.input({ message: "Client ID of a machine-to-machine application authorized for the Management API", flag: "--client-id", validate: required("a client ID") });

const askClientSecret = (ctx: Context) => ctx.prompter.password({ message: "Its client secret", flag: "--client-secret", validate: required("the client secret") });

const required = (what: string) => (value: string) => (value.trim() ? true : `Enter ${what}.`);

function domainValidator(normalize: (raw: string) => string) {
  return (value: string) => {
    try {
      normalize(value);
      return true as const;
    } catch (error) {
      return error instanceof InputError ? error.message : String(error);
    }
  };
}
