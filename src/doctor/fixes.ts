import { tenantUrls } from "../tenant/urls.js";
import { shellAnsiC, UNSAFE_CHARACTER } from "../untrusted.js";
/**
 * The fix of a failed check is a command the user can paste as it is: the values doctor already
 * knows (the API identifier, its scopes, a connection of the tenant, the flags that chose the
 * tenant) are filled in, so running the printed line is what turns the check green.
 */
export interface FixTarget {
  identifier: string;
  /** The API's scopes (kept by init; without them init would add its default scope). */
  scopes: Array<{ value: string; description?: string }>;
  /** A connection to promote when none is domain level (init's own verdict would fail without one). */
  promote?: string;
  /** The Management API's host, for the curl fixes of what mcp-auth0 never changes itself. */
  domain: string;
  /** `mcp-auth0 <words>` as the user runs it here: the flags that chose this tenant appended, words quoted. */
  command?: (words: string[]) => string;
  /** The .env doctor read, when not the default one. */
  envPath?: string;
  /** The preset that wrote that .env: init's fix writes the same variables, not the default preset's. */
  template?: string;
  /** The roles file a `roles sync` fix names (init's own; otherwise roles.yaml), and whether it is there yet. */
  rolesFile?: string;
  rolesFileExists?: (file: string) => boolean;
}

/**
 * POSIX single quotes when a word needs them. A word from a tenant (a scope description, a
 * connection name) may hold a control or format character: single quotes would pass it to the
 * terminal raw, so such a word is written in ANSI-C quotes, which the shell reads back exactly.
 */
export function q(word: string): string {
  if (UNSAFE_CHARACTER.test(word)) return shellAnsiC(word);
  return /^[\w.:/=@,+%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What a fix proposes for an API that has no scope yet: visible in the command, to be changed to the server's tools. */
const SAMPLE_SCOPE = "tool:whoami=Read your identity";

/**
 * How a printed command starts. `npx` finds the copy the README's `npm i -D` installed in the
 * project (and a global one), where a bare `mcp-auth0` is not on PATH: every printed command runs
 * as printed, however the tool was started.
 */
export const RUN_CLI = ["npx", "mcp-auth0"];

const plainCommand = (words: string[]) => [...RUN_CLI, ...words].map(q).join(" ");

export function fixes(t: FixTarget) {
  const command = t.command ?? plainCommand;
  const envPath = t.envPath ? ["--env-path", t.envPath] : [];
  // An mcp-use server reads MCP_USE_OAUTH_AUTH0_*: a fix that wrote AUTH0_* would leave its audience on the old API.
  const template = t.template && t.template !== "auth0" ? ["--template", t.template] : [];
  // init without --scopes keeps the API's scopes and refuses to invent any: with no API (or no scope)
  // yet, the fix names the sample scope it creates, so that nobody gets it unasked.
  const scopes = [
    "--scopes",
    t.scopes.length ? t.scopes.map((s) => (s.description && s.description !== s.value ? `${s.value}=${s.description}` : s.value)).join(",") : SAMPLE_SCOPE,
  ];
  const api = tenantUrls(t.domain).managementApi.replace(/\/$/, "");
  const bearer = `-H "authorization: Bearer $AUTH0_ACCESS_TOKEN"`;
  return {
    command,
    /** init converges every setting, the API, the grant and the .env; its scopes are kept as they are. */
    init: (...extra: string[]) =>
      command(["init", "--api-identifier", t.identifier, ...scopes, ...extra, ...(t.promote ? ["--connections", t.promote] : []), ...template, ...envPath]),
    promote: (connection: string) => command(["promote-connection", connection]),
    /** doctor for this API: it names what is missing, each with its own fix. */
    doctor: () => command(["doctor", "--api-identifier", t.identifier]),
    env: (template: string, ...extra: string[]) => command(["env", "--template", template, "--api-identifier", t.identifier, ...extra, ...envPath]),
    /** roles sync of the roles file; a file not written yet is said, with where its format is shown. */
    rolesSync: (remark?: string) => {
      const file = t.rolesFile ?? "roles.yaml";
      const note = remark ?? (t.rolesFileExists?.(file) === false ? `after writing ${file} (the README's "The roles file" shows its format)` : undefined);
      return `${command(["roles", "sync", "--file", file, "--api-identifier", t.identifier])}${note ? `  # ${note}` : ""}`;
    },
    /** Rules are not mcp-auth0's to change: the user turns one off with the Management API. */
    disableRule: (id: string) => `curl -sS -X PATCH ${q(`${api}/rules/${id}`)} ${bearer} -H 'content-type: application/json' -d '{"enabled":false}'`,
    deleteClient: (id: string) => `curl -sS -X DELETE ${q(`${api}/clients/${id}`)} ${bearer}`,
  };
}

export type Fixes = ReturnType<typeof fixes>;
