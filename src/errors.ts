/**
 * Every failure the CLI reports is one of these. Each carries the exit code of SPEC §3 and a hint
 * that tells the user what to do next; `runCli` is the only place that turns them into output.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  credentials: 3,
  unreachable: 4,
  drift: 5,
  /** Applied or read, but a check of the closing verdict (or doctor) failed: MCP clients would fail. */
  notReady: 6,
  /** Ctrl-C or Esc: the user stopped the command (128 + SIGINT, as shells report it). */
  cancelled: 130,
} as const;

/**
 * The signals that stop a run the way Ctrl-C does (SIGTERM: `docker stop`, a cancelled CI job;
 * SIGHUP: a closed terminal), each with the exit code shells report for it: 128 + its number.
 */
export const STOP_SIGNALS = { SIGINT: ExitCode.cancelled, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** How a message names what stopped the run. */
export const stopCause = (signal: StopSignal): string => (signal === "SIGINT" ? "Ctrl-C" : signal);

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode] | (typeof STOP_SIGNALS)[StopSignal];

/** The stable `error.code` of a --json failure document, one per exit code (README, "--json"); every stop by a signal is `cancelled`. */
export function exitCodeName(code: number): string {
  if ((Object.values(STOP_SIGNALS) as number[]).includes(code)) return "cancelled";
  return (Object.entries(ExitCode).find(([, value]) => value === code)?.[0] ?? "failure").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class CliError extends Error {
  /**
   * The message as the lines it is shown in (`message` joins them): a line break inside a tenant's
   * answer is shown as `\n`, never starts a line of its own.
   */
  readonly lines: readonly string[];
  constructor(
    message: string | readonly string[],
    readonly exitCode: ExitCodeValue,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    const lines = typeof message === "string" ? [message] : message;
    super(lines.join("\n"), options);
    this.lines = lines;
    this.name = new.target.name;
  }
}

/** Bad flags, files or values: nothing was sent to the tenant. */
export class InputError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** The tenant refused the credentials, or the token lacks scopes. */
export class CredentialsError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.credentials, hint);
  }
}

export const GRANT_SCOPES_WHERE = "Grant them in the Auth0 Dashboard → Applications → APIs → Auth0 Management API → Machine to Machine Applications.";

export class MissingScopesError extends CredentialsError {
  /** `anyOf`: Auth0 said any one of the scopes would do. */
  constructor(
    readonly missing: string[],
    anyOf = false,
  ) {
    const what = anyOf && missing.length > 1 ? "one of the scopes" : missing.length === 1 ? "a needed scope" : "needed scopes";
    const why = missing.flatMap((scope) => (SCOPE_REASONS[scope] ? [`${scope}: ${SCOPE_REASONS[scope]}`] : []));
    super(`The Management API token lacks ${what}: ${missing.join(", ")}.`, [GRANT_SCOPES_WHERE, ...why].join(" "));
  }
}

/** Scopes whose need is not obvious from the command: the missing-scopes hint says why. */
const SCOPE_REASONS: Record<string, string> = {
  "read:client_keys":
    "Auth0 shows an application's client secret only with it; mcp-auth0 reads the proxy application's (or the Custom API client's) secret to write it into the .env (it is never printed).",
};

/** DNS, refused connections, TLS failures: the tenant could not be reached at all. */
export class UnreachableError extends CliError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.unreachable, hint, options);
  }
}

/** An answer from Auth0 that the command cannot go on from. */
export class Auth0ApiError extends CliError {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, statusCode === 401 || statusCode === 403 ? ExitCode.credentials : ExitCode.failure, hint, options);
  }
}

/**
 * The user pressed Ctrl-C or Esc, or a stop signal came (`signal`: the exit code is 128 + its
 * number). Before the first write nothing was changed; after it, the message says what was applied
 * (the tenant converges on a re-run, so stopping is always safe).
 */
export class CancelledError extends CliError {
  constructor(message = "Cancelled — nothing was changed.", hint?: string, signal: StopSignal = "SIGINT") {
    super(message, STOP_SIGNALS[signal], hint);
  }
}
