import { originOf, presetFit, servesText, type EnvTemplate } from "../env/templates.js";
import type { Check } from "./check.js";

export interface FrameworkFacts {
  /** The preset that wrote the MCP server's .env (recognised from its variables). */
  template: EnvTemplate;
  /** Where the .env is: the framework's package is looked up from there, as Node would load it. */
  dir: string;
  /** The API identifier the .env names. */
  audience: string;
  group: string;
  /** The fix that rewrites the .env with another preset (`env --template`), or sets up another API with it (`init`). */
  fix: { env(template: string): string; init(template: string, identifier: string): string };
}

/**
 * Which framework version the .env serves: a preset writes the names one range of versions reads
 * (mcp-use 1.x and 2.2+ differ; 2.0 and 2.1 read none), and mcp-use 1.x advertises its bare origin
 * as the resource, so its API identifier must be that origin.
 */
export async function frameworkChecks(f: FrameworkFacts): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group: f.group, title, status, detail, fix });
  const t = f.template;
  if (!t.serves) return checks;
  const fit = await presetFit(t, f.dir);
  /** The fix that moves to `to`: the .env alone, unless `to` needs another API identifier too. */
  const moveTo = (to: EnvTemplate) => {
    const origin = originOf(f.audience);
    return to.audience === "origin" && origin !== f.audience ? f.fix.init(to.name, origin ?? f.audience) : f.fix.env(to.name);
  };
  if (!fit)
    add(
      "Framework",
      "note",
      `the ${t.name} preset is for ${servesText(t)} (${t.serves.package} is not installed beside the .env to compare; mcp-auth0 templates lists each preset's versions)`,
    );
  else if (fit.served) add("Framework", "pass", fit.message);
  else add("Framework", fit.fits ? "fail" : "warn", `${fit.message}; the server does not read this .env`, fit.fits ? moveTo(fit.fits) : undefined);

  const origin = originOf(f.audience);
  if (t.audience === "origin" && origin !== f.audience) {
    add(
      "Resource",
      "fail",
      `${t.serves.package} ${servesText(t)} advertises its bare origin ${origin} as the resource, but the API is ${f.audience}: MCP clients ask Auth0 for ${origin} and meet "Service not found"`,
      moveTo(t),
    );
  }
  return checks;
}
