import { INIT_READ_SCOPES, INIT_WRITE_SCOPES } from "./init-plan.js";
import type { InitMode } from "../input/proxy.js";
import { DOCTOR_SCOPES } from "../doctor/diagnose.js";

/**
 * The Management API scopes each command's preflight asks for, in one table: the commands check
 * their token against it, `credentials create` grants exactly its union for the chosen commands,
 * and `doctor` notes what a token holds beyond every command's needs.
 */
export interface CommandScopes {
  reads: string[];
  writes: string[];
}

export const ROLES_SYNC_SCOPES: CommandScopes = { reads: ["read:resource_servers", "read:roles", "read:users"], writes: ["create:roles", "update:roles"] };

export const PROMOTE_CONNECTION_SCOPES: CommandScopes = { reads: ["read:connections"], writes: ["update:connections"] };

/** `clients`: reads and deletes clients — the Custom API client of `downstreamApis`, or the CIMD imports --remove-clients removes. */
export function teardownScopes(roles: boolean, clients = false): CommandScopes {
  return {
    reads: ["read:tenant_settings", "read:resource_servers", "read:client_grants", "read:connections", ...(roles ? ["read:roles"] : []), ...(clients ? ["read:clients"] : [])],
    writes: [
      "update:tenant_settings",
      "delete:resource_servers",
      "delete:client_grants",
      "update:connections",
      ...(roles ? ["delete:roles"] : []),
      ...(clients ? ["delete:clients"] : []),
    ],
  };
}

/**
 * The commands `credentials create --scopes-for` accepts. `roles` and `obo` are not commands but
 * parts of a setup that widen the others: a roles file, and downstream APIs (On-Behalf-Of).
 */
export const SCOPED_COMMANDS = ["init", "roles", "obo", "doctor", "teardown", "plan", "promote-connection", "env"] as const;
export type ScopedCommand = (typeof SCOPED_COMMANDS)[number];

export interface ScopeNeeds {
  commands: readonly ScopedCommand[];
  mode: InitMode;
}

/**
 * What the chosen commands need in the chosen mode. `roles` in the list also means that the setup
 * has roles: `init --roles`, a config file with roles, and teardown of those roles.
 */
export function scopesNeeded({ commands, mode }: ScopeNeeds): string[] {
  const roles = commands.includes("roles");
  // On-Behalf-Of is DCR mode's (its preset, auth0-obo, writes the Custom API client's secret).
  const obo = commands.includes("obo") && mode === "dcr";
  // Every proxy preset writes the application's client secret, which only read:client_keys shows.
  const init = { mode, clientSecret: mode === "proxy" || obo, obo };
  const table: Record<ScopedCommand, CommandScopes> = {
    init: { reads: INIT_READ_SCOPES(roles, init), writes: INIT_WRITE_SCOPES(roles, init) },
    plan: { reads: INIT_READ_SCOPES(roles, init), writes: [] },
    roles: ROLES_SYNC_SCOPES,
    obo: { reads: [], writes: [] },
    doctor: { reads: [...DOCTOR_SCOPES, ...(obo ? ["read:clients"] : [])], writes: [] },
    teardown: teardownScopes(roles, obo),
    "promote-connection": PROMOTE_CONNECTION_SCOPES,
    env: { reads: ["read:resource_servers", ...(mode === "proxy" || obo ? ["read:clients", "read:client_keys"] : []), ...(obo ? ["read:client_grants"] : [])], writes: [] },
  };
  return [...new Set(commands.flatMap((c) => [...table[c].reads, ...table[c].writes]))].sort();
}

/** Every scope some mcp-auth0 command may need, in either mode. */
export function scopesAnyCommandNeeds(): string[] {
  const all = (["dcr", "proxy"] as const).flatMap((mode) => scopesNeeded({ commands: SCOPED_COMMANDS, mode }));
  return [...new Set(all)].sort();
}
