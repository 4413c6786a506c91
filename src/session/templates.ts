import type { Context } from "./context.js";
import { ExitCode } from "../errors.js";
import { styled, type Line } from "../ui/logger.js";
import { listTemplates, type EnvTemplate } from "../env/templates.js";

const MODE_TEXT = { dcr: "DCR: MCP clients register themselves", proxy: "proxy: init --mode proxy (a Regular Web Application)" } as const;

/** The presets as a user reads them: name, framework, mode, variables, and what to know. */
function renderTemplates(templates: EnvTemplate[]): Line[] {
  const lines: Line[] = [styled("bold", ".env presets (--template <name>):")];
  for (const t of templates) {
    lines.push(
      "",
      ["  ", styled("bold", t.name), `${t.name === "auth0" ? " (default)" : ""} — ${t.framework ?? t.description}`],
      `      mode: ${MODE_TEXT[t.mode]}`,
      `      writes: ${Object.keys(t.variables).join(", ")}`,
      ["      ", styled("dim", t.description)],
    );
  }
  return lines;
}

/** The presets, for `mcp-auth0 templates` and `init` / `env --template list`. */
export async function showTemplates(ctx: Context): Promise<number> {
  const templates = await listTemplates();
  ctx.logger.info(...renderTemplates(templates));
  if (ctx.options.json) {
    ctx.logger.json({
      templates: templates.map((t) => ({ name: t.name, framework: t.framework ?? t.description, mode: t.mode, description: t.description, variables: Object.keys(t.variables) })),
    });
  }
  return ExitCode.ok;
}
