/**
 * The fix of a failed check is a command the user can paste as it is: the values doctor already
 * knows (the API identifier, its scopes, the tenant, --local) are filled in, so running the printed
 * line is what turns the check green.
 */
export interface FixTarget {
  identifier: string;
  /** The API's scopes (kept by init; without them init would add its default scope). */
  scopes: string[];
  /** The Management API's host, for the curl fixes of what mcp-auth0 never changes itself. */
  domain: string;
  /** Appended to every mcp-auth0 command so that it reaches the same tenant: " --local", or "". */
  target: string;
  /** The .env doctor read, when not the default one. */
  envPath?: string;
}

/** POSIX single quotes when a word needs them. */
export function q(word: string): string {
  return /^[\w.:/=@,+%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function fixes(t: FixTarget) {
  const envPath = t.envPath ? ` --env-path ${q(t.envPath)}` : "";
  const scopes = t.scopes.length ? ` --scopes ${q(t.scopes.join(","))}` : "";
  const api = `https://${t.domain}/api/v2`;
  const bearer = `-H "authorization: Bearer $AUTH0_ACCESS_TOKEN"`;
  return {
    /** init converges every setting, the API, the grant and the .env; its scopes are kept as they are. */
    init: (extra = "") => `mcp-auth0 init --api-identifier ${q(t.identifier)}${scopes}${extra}${envPath}${t.target}`,
    promote: (connection: string) => `mcp-auth0 promote-connection ${q(connection)}${t.target}`,
    env: (template: string) => `mcp-auth0 env --template ${q(template)} --api-identifier ${q(t.identifier)}${envPath}${t.target}`,
    /** Rules are not mcp-auth0's to change: the user turns one off with the Management API. */
    disableRule: (id: string) => `curl -sS -X PATCH ${q(`${api}/rules/${id}`)} ${bearer} -H 'content-type: application/json' -d '{"enabled":false}'`,
    deleteClient: (id: string) => `curl -sS -X DELETE ${q(`${api}/clients/${id}`)} ${bearer}`,
  };
}

export type Fixes = ReturnType<typeof fixes>;
