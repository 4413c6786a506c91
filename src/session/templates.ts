import type { Context } from "./context.js";
import { ExitCode } from "../errors.js";
import { paint } from "../ui/logger.js";
import { wrapToWidth } from "../ui/wrap.js";
import { listTemplates, servesText, type EnvTemplate } from "../env/templates.js";

const MODE_TEXT = { dcr: "DCR: MCP clients register themselves", proxy: "proxy: init --mode proxy (a Regular Web Application)" } as const;

/** The presets as a user reads them: name, framework, mode, variables, and what to know. */
function renderTemplates(templates: EnvTemplate[], color: boolean): string {
  const p = paint(color);
  const lines = [p.bold(".env presets (--template <name>):")];
  for (const t of templates) {
    lines.push(
      "",
      `  ${p.bold(t.name)}${t.name === "auth0" ? " (default)" : ""} — ${t.framework ?? t.description}`,
      ...(t.serves ? [`      for: ${servesText(t)}`] : []),
      `      mode: ${MODE_TEXT[t.mode]}`,
      `      writes: ${Object.keys(t.variables).join(", ")}`,
      `      ${p.dim(t.description)}`,
    );
  }
  return lines.join("\n");
}

/** The presets, for `mcp-auth0 templates` and `init` / `env --template list`. */
export async function showTemplates(ctx: Context): Promise<number> {
  const templates = await listTemplates();
  ctx.logger.info(wrapToWidth(renderTemplates(templates, ctx.logger.color), ctx.logger.width));
  if (ctx.options.json) {
    ctx.logger.json({
      templates: templates.map((t) => ({
        name: t.name,
        framework: t.framework ?? t.description,
        ...(t.serves ? { serves: t.serves } : {}),
        mode: t.mode,
        description: t.description,
        variables: Object.keys(t.variables),
      })),
    });
  }
  return ExitCode.ok;
}
