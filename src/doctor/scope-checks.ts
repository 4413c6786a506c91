import { scopesAnyCommandNeeds } from "../tenant/command-scopes.js";
import type { Check } from "./check.js";

/**
 * Least privilege: Management API scopes the token holds that no mcp-auth0 command needs, in
 * either mode. A note, not a problem for MCP clients; nothing when the token does not list its
 * scopes (opaque) or holds nothing extra.
 */
export function unneededScopeChecks(granted: string[] | undefined): Check[] {
  if (!granted) return [];
  const needed = new Set(scopesAnyCommandNeeds());
  const extra = [...new Set(granted)].filter((s) => !needed.has(s)).sort();
  if (!extra.length) return [];
  return [
    {
      group: "Management API credentials",
      title: "Scopes no mcp-auth0 command needs",
      status: "note",
      detail: `${extra.join(", ")}: remove ${extra.length === 1 ? "it" : "them"} from the application's grant (Dashboard → Applications → APIs → Auth0 Management API → Machine to Machine Applications)`,
      fix: "mcp-auth0 credentials create --scopes-for <the commands you run> (narrows the grant of the application it creates to exactly those)",
    },
  ];
}
