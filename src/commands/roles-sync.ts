import { resolve } from "node:path";
import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { InputError } from "../errors.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { ROLES_SYNC_SCOPES } from "../plan/command-scopes.js";
import { parseIdentifier } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile, rolesApis } from "../input/roles-file.js";
import { readResourceServer } from "../resources/resource-server.js";
import { readDesiredRoles, readRoles } from "../resources/roles.js";
import { planRoles } from "../plan/init-plan.js";
import { executePlan } from "../plan/execute.js";
import { makePlan } from "../plan/plan.js";
import { identifierFromContext } from "../session/api-identifier.js";
import type { RolesSyncFlags } from "../flags/roles-sync.js";

/** Converges the roles of a file (SPEC §4) with the same role handler init uses. */
export async function runRolesSync(options: RolesSyncFlags, ctx: Context): Promise<number> {
  const roles = await loadRolesFile(resolve(ctx.deps.cwd, options.file));
  const rawIdentifier =
    options.apiIdentifier ??
    (await identifierFromContext(ctx)) ??
    (await ctx.prompter.input({ message: "API identifier whose permissions the roles grant", flag: "--api-identifier (or AUTH0_AUDIENCE in ./.env)" }));
  const identifier = parseIdentifier(rawIdentifier);
  const tenant = await openTenant(ctx);
  assertReadScopes(tenant.scopes, ROLES_SYNC_SCOPES.reads, ROLES_SYNC_SCOPES.writes);

  // Before the first answer the rate limiter lets only one request go (SPEC §6): the role list goes
  // first, so the roles' own reads go with the API's instead of a round after it.
  const existing = await readRoles(tenant);
  // The downstream APIs the file gives permissions of (apiPermissions), read with the rest.
  const others = rolesApis(roles);
  const [api, reads, ...downstream] = await Promise.all([
    readResourceServer(tenant, identifier),
    readDesiredRoles(tenant, existing, roles, identifier),
    ...others.map((other) => readResourceServer(tenant, other, `apiPermissions in ${options.file}`)),
  ]);
  if (!api) throw new InputError(`There is no API with identifier ${identifier} in ${tenant.domain}.`, "Check --api-identifier, or create the API first with npx mcp-auth0 init.");
  const scopesOf = (rs: NonNullable<typeof api>) => (rs.scopes ?? []).map((s) => s.value);
  // roles sync changes roles only: an API's scopes are init's (--scopes, --downstream-api) or the Dashboard's.
  const addScope = (rs: NonNullable<typeof api>, listed: string[], flag: string) => {
    const missing = [...new Set(listed)].filter((p) => !scopesOf(rs).includes(p));
    return `Add ${missing.join(", ")} to the API's scopes first (mcp-auth0 init with ${flag} listing ${missing.length > 1 ? "them" : "it"} with the others, or the Dashboard: Applications → APIs → Permissions)`;
  };
  assertPermissionsAreScopes(
    roles,
    scopesOf(api),
    identifier,
    options.file,
    false,
    addScope(
      api,
      roles.flatMap((r) => r.permissions),
      `--api-identifier ${identifier} --scopes`,
    ),
  );
  others.forEach((other, i) => {
    const rs = downstream[i];
    if (!rs)
      throw new InputError(
        `The roles file ${options.file} gives permissions of ${other}, which is not an API of ${tenant.domain}.`,
        `Fix the file, or create it with npx mcp-auth0 init --downstream-api ${other}=<scopes>.`,
      );
    assertPermissionsAreScopes(
      roles,
      scopesOf(rs),
      other,
      options.file,
      true,
      addScope(
        rs,
        roles.flatMap((r) => r.apiPermissions?.[other] ?? []),
        `--downstream-api ${other}=<scopes>`,
      ),
    );
  });

  const { changes, warnings } = await planRoles(tenant, existing, roles, identifier, options.prune, reads);
  return executePlan(ctx, tenant, makePlan({ domain: tenant.domain, changes, warnings }));
}
