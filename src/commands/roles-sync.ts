import { resolve } from "node:path";
import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { InputError } from "../errors.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { ROLES_SYNC_SCOPES } from "../plan/command-scopes.js";
import { parseIdentifier } from "../input/values.js";
import { assertPermissionsAreScopes, loadRolesFile } from "../input/roles-file.js";
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
  const [api, reads] = await Promise.all([readResourceServer(tenant, identifier), readDesiredRoles(tenant, existing, roles, identifier)]);
  if (!api) throw new InputError(`There is no API with identifier ${identifier} in ${tenant.domain}.`, "Check --api-identifier, or create the API first with npx mcp-auth0 init.");
  assertPermissionsAreScopes(
    roles,
    (api.scopes ?? []).map((s) => s.value),
    identifier,
    options.file,
  );

  const { changes, warnings } = await planRoles(tenant, existing, roles, identifier, options.prune, reads);
  return executePlan(ctx, tenant, makePlan({ domain: tenant.domain, changes, warnings }));
}
