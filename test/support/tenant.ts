import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalTenant, type TestLocalTenant, type TestOptions } from "../../src/local-tenant/server.js";

export const IDENTIFIER = "https://mcp.example.com/mcp";

/** The roles file of the README's example, as shipped in examples/. */
export const ROLES_YAML = readFileSync(new URL("../../examples/roles.yaml", import.meta.url), "utf8");

export const PROXY_CALLBACK = "http://localhost:3000/oauth/callback";
export const PROXY_APP_NAME = "Acceptance MCP (MCP proxy)";

/** What a test changes in the example's flags: another value, or `false` to leave the flag out. */
export interface ExampleFlags {
  scopes?: string;
  connections?: string | false;
  /** The roles file (default: the example's, in the fixture's directory). */
  roles?: string | false;
  envPath?: string;
}

function apiArgs(dir: string, flags: ExampleFlags): string[] {
  return [
    "init",
    "--yes",
    "--api-identifier",
    IDENTIFIER,
    "--api-name",
    "Acceptance MCP",
    "--scopes",
    flags.scopes ?? "tool:whoami=Read your identity,tool:greet=Greet someone",
    ...(flags.connections === false ? [] : ["--connections", flags.connections ?? "Username-Password-Authentication,google-oauth2"]),
    ...(flags.roles === false ? [] : ["--roles", flags.roles ?? join(dir, "roles.yaml")]),
    "--env-path",
    flags.envPath ?? join(dir, ".env"),
  ];
}

/** The example of issue 1/8, as flags (credentials come from the environment). */
export function exampleArgs(dir: string, flags: ExampleFlags = {}): string[] {
  return [...apiArgs(dir, flags), "--server-url", IDENTIFIER];
}

/** Issue 5/8's `init --mode proxy` (mcp-use's OAuth proxy) for the example's API. */
export function proxyExampleArgs(dir: string, flags: ExampleFlags = {}): string[] {
  return [...apiArgs(dir, flags), "--mode", "proxy", "--template", "mcp-use-proxy", "--callback-url", PROXY_CALLBACK];
}

export interface Fixture {
  tenant: TestLocalTenant;
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh local tenant, a temp working directory with the example roles file, and env credentials. */
export async function freshFixture(options: Omit<TestOptions, "testControls"> = {}): Promise<Fixture> {
  const tenant = await startLocalTenant({ ...options, testControls: true });
  const dir = await mkdtemp(join(tmpdir(), "mcp-auth0-"));
  await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
  const env = { AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: tenant.m2m.clientId, AUTH0_CLIENT_SECRET: tenant.m2m.clientSecret };
  return { tenant, dir, env };
}

/**
 * The latency each Management API call gets where a test counts round trips: calls sent together
 * overlap and calls that wait for an answer do not, so the tenant's timeline tells the rounds apart.
 * The count does not depend on it; 400 ms (rather than SPEC §6's 50) keeps a loaded machine's pauses
 * between calls sent together (a first round of a dozen reads, three test files on two cores) from
 * reading as extra round trips (at 150 ms, init --downstream-api counted 7 round trips for its 6).
 */
export const ROUND_TRIP_LATENCY_MS = 400;

/** Management API calls (token + /api/v2) the tenant saw. */
export function managementCalls(tenant: TestLocalTenant) {
  return tenant.calls.filter((c) => c.path.startsWith("/api/v2/") || c.path.startsWith("/oauth/token"));
}

/** The tenant's state without generated ids, to compare two runs' end states. */
export function endState(tenant: TestLocalTenant) {
  const s = tenant.store;
  const emailOf = (id: string) => s.users.find((u) => u.user_id === id)?.email ?? id;
  return {
    settings: s.settings,
    resourceServers: s.resourceServers
      .filter((r) => !r.is_system)
      .map(({ id: _id, ...rest }) => rest)
      .sort((a, b) => a.identifier.localeCompare(b.identifier)),
    clientGrants: s.clientGrants.filter((g) => !g.client_id).map(({ id: _id, ...rest }) => ({ ...rest, scope: [...rest.scope].sort() })),
    connections: s.connections.map((c) => ({ name: c.name, domain: c.is_domain_connection, options: c.options })),
    roles: s.roles
      .map((r) => ({
        name: r.name,
        description: r.description,
        permissions: (s.rolePermissions[r.id] ?? []).map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort(),
        users: (s.roleUsers[r.id] ?? []).map(emailOf).sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
