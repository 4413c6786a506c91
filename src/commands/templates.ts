import type { Context } from "../session/context.js";
import { showTemplates } from "../session/templates.js";

/** `mcp-auth0 templates`: the .env presets. */
export async function runTemplates(_raw: unknown, ctx: Context): Promise<number> {
  return showTemplates(ctx);
}
