import type { Writable } from "node:stream";
import { createLogger, type Logger } from "../ui/logger.js";
import { nonInteractivePrompter, terminalPrompter, type Prompter } from "../ui/prompts.js";
import { ExitCode, InputError } from "../errors.js";
import type { Tenant } from "../tenant/connect.js";
import type { GlobalOptions } from "../flags/program.js";

/** What the outside world gives a command: injected in tests, real in the binary. */
export interface Deps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  stdinIsTTY: boolean;
  /** Replaces the terminal prompter (tests script the answers). */
  prompter?: Prompter;
  /** The fetch under the HTTP layer (nock's global fetch when absent). */
  fetch?: typeof fetch;
  /** An extra CA to trust in-process (the local tenant's), besides --local. */
  ca?: string;
  /** Subscribes to Ctrl-C outside prompts (SIGINT); returns the unsubscribe. Tests trigger it directly. */
  onInterrupt?: (listener: () => void) => () => void;
}

/**
 * Where a run is, for Ctrl-C: before the first write (nothing changed), applying (finish the change
 * in progress, then stop), or after (already applied). Shared by runCli's SIGINT listener and executePlan.
 */
export interface RunControl {
  phase: "before" | "applying" | "after";
  stopRequested?: boolean;
  /** A command that stops on Ctrl-C by itself (dev): the run's listener leaves the signal to it. */
  handlesInterrupt?: boolean;
}

/** The global flags, declared (and their type inferred) in src/flags/program.ts. */
export type { GlobalOptions };

export interface Context {
  options: GlobalOptions;
  deps: Deps;
  logger: Logger;
  prompter: Prompter;
  interactive: boolean;
  /** Set once the tenant is known, for error messages. */
  domain?: string;
  control: RunControl;
  /** The --domain and --client-id the user typed (not the environment's): printed commands repeat them. */
  typed: { domain?: string; clientId?: string };
}

export function createContext(options: GlobalOptions, deps: Deps, control: RunControl = { phase: "before" }): Context {
  // SPEC §3: --yes, CI or a stdin that is not a terminal all mean: never prompt.
  const interactive = !options.yes && !deps.env.CI && deps.stdinIsTTY && !options.json;
  const color = options.color !== false && !deps.env.NO_COLOR && !options.json && deps.stderr.isTTY === true;
  const logger = createLogger({ stdout: deps.stdout, stderr: deps.stderr, color, verbose: options.verbose === true, spinners: color && interactive });
  const prompter = interactive ? (deps.prompter ?? terminalPrompter(deps.stderr)) : nonInteractivePrompter;
  return { options, deps, logger, prompter, interactive, control, typed: { domain: options.domain, clientId: options.clientId } };
}

/** Flags win over the environment (SPEC §3). */
export function credentialsFromOptions(ctx: Context) {
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
 * Resolves the tenant and credentials (flags, env, --local, then prompts), and connects once: the
 * token request checks the credentials at once. Typed answers that the tenant refuses (an unknown
 * domain, wrong credentials) are asked again with the reason, instead of ending the wizard.
 * `validateFirst` runs after every value is known and before the first request.
 */
export async function openTenant(ctx: Context, validateFirst?: () => Promise<void>): Promise<Tenant> {
  const { normalizeDomain, assertCredentials, connectTenant } = await import("../tenant/connect.js");
  const { toCliError } = await import("../tenant/errors.js");
  let creds = credentialsFromOptions(ctx);
  let ca = ctx.deps.ca;
  if (ctx.options.local) {
    const { findLocalTenant } = await import("../tenant/local.js");
    const local = await findLocalTenant(ctx.deps.cwd, ctx.options.dataDir, ctx.deps.env);
    creds = { ...creds, domain: local.domain, clientId: local.clientId, clientSecret: local.clientSecret, token: undefined, canonicalDomain: undefined };
    ca = local.caCertPem;
  }
  const { logger } = ctx;
  for (let first = true; ; first = false) {
    const askedDomain = creds.domain === undefined;
    const domain = normalizeDomain(
      creds.domain ??
        (await ctx.prompter.input({ message: "Auth0 tenant domain (e.g. acme.us.auth0.com)", flag: "--domain (or AUTH0_DOMAIN)", validate: domainValidator(normalizeDomain) })),
    );
    const askedCredentials = !creds.token && !(creds.clientId && creds.clientSecret) && ctx.interactive;
    if (askedCredentials) {
      creds.clientId ??= await ctx.prompter.input({
        message: "Client ID of a machine-to-machine application authorized for the Management API",
        flag: "--client-id",
        validate: required("a client ID"),
      });
      creds.clientSecret ??= await ctx.prompter.password({ message: "Its client secret", flag: "--client-secret", validate: required("the client secret") });
    }
    ctx.domain = domain;
    assertCredentials(creds);
    if (first) await validateFirst?.();
    try {
      return await connectTenant(
        {
          ...creds,
          domain,
          canonicalDomain: creds.canonicalDomain === undefined ? undefined : normalizeDomain(creds.canonicalDomain),
          issuerDomain: creds.issuerDomain === undefined ? undefined : normalizeDomain(creds.issuerDomain),
        },
        {
          fetch: ctx.deps.fetch,
          ca,
          timeoutMs: ctx.options.timeout === undefined ? undefined : ctx.options.timeout * 1000,
          onCall: (c) => logger.debug(`  ${c.method} ${c.path} → ${c.status} ${c.ms}ms${c.attempt > 1 ? ` (retry ${c.attempt - 1})` : ""}`),
          onWait: (seconds, reason) => logger.info(`… waiting ${seconds}s (${reason})`),
        },
      );
    } catch (error) {
      const cli = toCliError(error, domain);
      const retryDomain = askedDomain && cli.exitCode === ExitCode.unreachable;
      const retryCredentials = askedCredentials && cli.exitCode === ExitCode.credentials;
      if (!retryDomain && !retryCredentials) throw cli;
      logger.error(cli.message);
      if (retryDomain) creds = { ...creds, domain: undefined };
      else creds = { ...creds, domain, clientId: undefined, clientSecret: undefined };
    }
  }
}

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
