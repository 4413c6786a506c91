import type { Context } from "../commands/context.js";
import { completeFixes, type FixFacts } from "../commands/suggest.js";
import type { Check } from "./check.js";

/**
 * diagnose prints its fixes as complete commands (built word by word, quoted), which a second
 * completion would split apart. The one it leaves bare is `roles sync --file roles.yaml`: whether
 * that file exists is the command's business (completeFixes says so when it does not).
 */
export const isBareFix = (fix: string | undefined) => fix?.startsWith("mcp-auth0 roles sync --file roles.yaml") === true && !fix.includes("--api-identifier");

export function completeBareFixes(ctx: Context, checks: Check[], facts: FixFacts): Check[] {
  return checks.map((check) => (isBareFix(check.fix) ? completeFixes(ctx, [check], facts)[0]! : check));
}
