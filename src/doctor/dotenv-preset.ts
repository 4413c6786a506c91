import type { EnvTemplate } from "../env/templates.js";

/** What doctor learns from the MCP server's .env once it knows which preset wrote it. */
export interface DotenvFacts {
  template?: EnvTemplate;
  domain?: string;
  audience?: string;
  clientId?: string;
  baseUrl?: string;
  /** On-Behalf-Of (the auth0-obo preset): the downstream API the server exchanges for, and the scopes it asks. */
  downstreamAudience?: string;
  exchangeScope?: string;
}

/** `https://acme.us.auth0.com/…` or a bare `acme.us.auth0.com` → the host[:port]. */
function hostOf(value: string | undefined): string | undefined {
  if (!value?.trim()) return undefined;
  const text = value.trim();
  try {
    return new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The preset whose variables the .env holds (the one naming the most of them, proxy presets first
 * on a tie since they are the more specific), and the values doctor checks: the domain, the
 * audience and, in proxy mode, the application's client id.
 */
export function recognisePreset(dotenv: Record<string, string>, templates: EnvTemplate[]): DotenvFacts {
  let best: { template: EnvTemplate; score: number } | undefined;
  for (const template of templates) {
    const keys = Object.keys(template.variables);
    const optional = ["serverUrl", "scope", "apiBaseUrl", "exchangeScope"];
    if (!keys.every((k) => k in dotenv || optional.includes(template.variables[k]!))) continue;
    const score = keys.filter((k) => k in dotenv).length + (template.mode === "proxy" ? 0.5 : 0);
    if (!best || score > best.score) best = { template, score };
  }
  if (!best) return {};
  const valueOf = (name: string) => {
    const key = Object.entries(best!.template.variables).find(([, v]) => v === name)?.[0];
    return key ? dotenv[key] : undefined;
  };
  return {
    template: best.template,
    domain: hostOf(valueOf("domain") ?? valueOf("issuer") ?? valueOf("configUrl")),
    audience: valueOf("audience"),
    clientId: valueOf("clientId"),
    baseUrl: valueOf("baseUrl"),
    downstreamAudience: valueOf("downstreamAudience"),
    exchangeScope: valueOf("exchangeScope"),
  };
}
