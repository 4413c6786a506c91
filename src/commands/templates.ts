import type { Context } from "../session/context.js";
import { showTemplates } from "../session/templates.js";
import type { TemplatesFlags } from "../flags/templates.js";

/** `mcp-auth0 templates`: the .env presets. */
export async function runTemplates(_flags: TemplatesFlags, ctx: Context): Promise<number> {
  return showTemplates(ctx);
}
