import type { Check } from "./check.js";

/**
 * Least privilege: Management API scopes the token holds that no mcp-auth0 command needs, in
 * either mode. A note, not a problem for MCP clients; nothing when the token does not list its
 * scopes (opaque) or holds nothing extra. `anyCommandNeeds` is the union of every command's
 * preflight (plan/command-scopes.ts), passed in because that table sits above the doctor.
 */
export function unneededScopeChecks(granted: string[] | undefined, anyCommandNeeds: readonly string[]): Check[] {
  if (!granted) return [];
  const needed = new Set(anyCommandNeeds);
  const extra = [...new Set(granted)].filter((s) => !needed.has(s)).sort();
  if (!extra.length) return [];
  return [
    {
      group: "Management API credentials",
      title: "Scopes beyond what any command needs",
      status: "note",
      // No `fix`: printed fixes run as shown, and which commands a user runs is theirs to say.
      detail: `${extra.join(", ")}: remove ${extra.length === 1 ? "it" : "them"} from the application's grant, or create one with exactly what your commands need (the credentials create command, --scopes-for)`,
    },
  ];
}
