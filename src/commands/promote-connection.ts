import type { Context } from "../session/context.js";
import { openTenant } from "../session/target.js";
import { InputError } from "../errors.js";
import { assertReadScopes } from "../tenant/scopes.js";
import { PROMOTE_CONNECTION_SCOPES } from "../plan/command-scopes.js";
import { planConnection, readConnections, resolveConnections, staysDomainLevel } from "../resources/connections.js";
import { suggest } from "../session/suggest.js";
import { executePlan } from "../plan/execute.js";
import { makePlan } from "../plan/plan.js";
import type { PromoteConnectionFlags } from "../flags/promote-connection.js";

/**
 * Promotes (or with --demote, demotes) connections to domain level, on the same connection
 * handler init uses. With no names, ticked connections are promoted; as in init's list, unticking
 * a domain-level one demotes nothing (other MCP servers' clients may rely on it) and says so:
 * demoting is --demote, always explicit.
 */
export async function runPromoteConnection({ demote }: PromoteConnectionFlags, ctx: Context, names: string[]): Promise<number> {
  const tenant = await openTenant(ctx);
  assertReadScopes(tenant.scopes, PROMOTE_CONNECTION_SCOPES.reads, PROMOTE_CONNECTION_SCOPES.writes);
  const all = await readConnections(tenant);

  let changes;
  if (names.length) {
    changes = resolveConnections(all, names).map((c) => planConnection(c, !demote));
  } else if (ctx.prompter.interactive) {
    const chosen = new Set(
      await ctx.prompter.checkbox({
        message: demote ? "Connections to demote from domain level" : "Connections to promote to domain level (MCP clients may log users in with them)",
        flag: "[connections…]",
        choices: all.map((c) => ({
          name: `${c.name} (${c.strategy})${c.is_domain_connection ? " — domain level" : ""}`,
          value: c.id,
          checked: demote ? false : c.is_domain_connection,
        })),
      }),
    );
    changes = all.filter((c) => chosen.has(c.id)).map((c) => planConnection(c, !demote));
    const unticked = demote ? [] : all.filter((c) => c.is_domain_connection && !chosen.has(c.id)).map((c) => c.name);
    if (unticked.length) ctx.logger.warn(staysDomainLevel(unticked, suggest(ctx, ["promote-connection", "--demote", ...unticked])));
  } else {
    throw new InputError("Name the connections to promote.", `Available: ${all.map((c) => `${c.name} (${c.id})`).join(", ") || "none"}.`);
  }
  return executePlan(ctx, tenant, makePlan({ domain: tenant.domain, changes, warnings: [] }));
}
