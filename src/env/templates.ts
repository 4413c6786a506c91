import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { InputError } from "../errors.js";
import { tenantUrls } from "../tenant/urls.js";

/**
 * The presets ship in the npm package at `<package root>/templates/`. Both the source
 * (`src/env/templates.ts`, run by vitest) and the build (`dist/env/templates.js`) sit two levels
 * below the package root, so the same relative URL finds them.
 */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/**
 * The values a template variable can name. `issuer` and `configUrl` are derived from `domain`,
 * `baseUrl` from `serverUrl` unless given; the others are given by the caller (see `EnvValues`).
 */
const ENV_VALUE_NAMES = [
  "domain",
  "issuer",
  "configUrl",
  "audience",
  "serverUrl",
  "baseUrl",
  "apiBaseUrl",
  "clientId",
  "clientSecret",
  "scope",
  "downstreamAudience",
  "exchangeScope",
] as const;

export type EnvValueName = (typeof ENV_VALUE_NAMES)[number];

/** What the CLI knows when it writes the `.env`. Absent or empty values are simply not written. */
export interface EnvValues {
  /** Tenant domain, bare `host[:port]` (a leading `https://` and trailing `/` are stripped). */
  domain?: string;
  /** The API identifier, which is the audience of the access tokens. */
  audience?: string;
  /** The MCP server's public URL. */
  serverUrl?: string;
  /**
   * The public origin of an MCP server (mcp-use `MCP_URL`, FastMCP `base_url`), under
   * which it serves its own OAuth endpoints and callback. Default: the origin of `serverUrl`.
   */
  baseUrl?: string;
  /** The URL of the upstream API that the MCP server's tools call with the user's token (Cloudflare's `API_BASE_URL`). */
  apiBaseUrl?: string;
  /**
   * Client id and secret of the Regular Web Application that OAuth-proxy frameworks log in with, or
   * of the Custom API client an MCP server exchanges tokens with (On-Behalf-Of). Never the
   * Management API application's: SPEC §5 forbids writing those.
   */
  clientId?: string;
  clientSecret?: string;
  /** Space-separated scopes. */
  scope?: string;
  /** On-Behalf-Of: the downstream API's identifier, the `audience` of the exchange. */
  downstreamAudience?: string;
  /** On-Behalf-Of: the space-separated scopes the MCP server asks for in the exchange (its grant's). */
  exchangeScope?: string;
}

const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION = /^\d+\.\d+\.\d+$/;

const envTemplateSchema = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME),
  description: z.string().min(1),
  /** The framework that reads these variables, as `mcp-auth0 templates` lists it. */
  framework: z.string().min(1).optional(),
  /** `dcr`: MCP clients register themselves; `proxy`: the server logs in as a Regular Web Application. */
  mode: z.enum(["dcr", "proxy"]),
  /**
   * The versions of the framework's npm package that read these variables, checked against its
   * source: `from` included, `below` excluded. A preset is for a version range, not for a name.
   */
  serves: z.strictObject({ package: z.string().min(1), from: z.string().regex(VERSION), below: z.string().regex(VERSION).optional() }).optional(),
  /** `origin`: the framework advertises its bare origin as the resource, so the API identifier must be that origin. */
  audience: z.enum(["origin"]).optional(),
  variables: z
    .record(z.string().regex(ENV_KEY, "must be an environment variable name"), z.enum(ENV_VALUE_NAMES))
    .refine((variables) => Object.keys(variables).length > 0, "must name at least one variable"),
});

export type EnvTemplate = z.infer<typeof envTemplateSchema>;

/** Every preset shipped in `dir`, validated, sorted by name. */
export async function listTemplates(dir: string = TEMPLATES_DIR): Promise<EnvTemplate[]> {
  const names = await templateNames(dir);
  return Promise.all(names.map((name) => loadTemplate(name, dir)));
}

/** One preset by name (the value of `--template`). */
export async function loadTemplate(name: string, dir: string = TEMPLATES_DIR): Promise<EnvTemplate> {
  const available = await templateNames(dir);
  // Checking against the listing (not just trying the file) also keeps `--template ../x` out of the file system.
  if (!available.includes(name)) {
    throw new InputError(
      `Unknown .env template "${name}". Available templates: ${available.join(", ")}.`,
      "Choose one of them with --template, or leave it out for the default (auth0).",
    );
  }
  const file = join(dir, `${name}.json`);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`The .env template ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const parsed = envTemplateSchema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`The .env template ${file} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  if (parsed.data.name !== name) {
    throw new Error(`The .env template ${file} is named "${parsed.data.name}"; it must match its file name.`);
  }
  return parsed.data;
}

/**
 * The `.env` entries of a template, in the template's order. A variable whose value is unknown
 * (for example no server URL was given) is left out rather than written empty.
 */
export function envEntries(template: EnvTemplate, values: EnvValues): Array<[string, string]> {
  // A server that advertises its bare origin as the resource has that origin, the API identifier, as its base URL.
  const resolved = resolveValues(template.audience === "origin" ? { ...values, baseUrl: values.baseUrl ?? originOf(values.serverUrl) ?? values.audience } : values);
  const entries: Array<[string, string]> = [];
  for (const [key, valueName] of Object.entries(template.variables)) {
    const value = resolved[valueName];
    if (value !== undefined && value !== "") entries.push([key, value]);
  }
  return entries;
}

function resolveValues(values: EnvValues): Partial<Record<EnvValueName, string>> {
  const domain = values.domain ? bareDomain(values.domain) : undefined;
  return {
    domain,
    issuer: domain ? tenantUrls(domain).issuer : undefined,
    configUrl: domain ? tenantUrls(domain).openidConfiguration : undefined,
    audience: values.audience,
    serverUrl: values.serverUrl,
    baseUrl: values.baseUrl ?? originOf(values.serverUrl),
    apiBaseUrl: values.apiBaseUrl,
    clientId: values.clientId,
    clientSecret: values.clientSecret,
    scope: values.scope,
    downstreamAudience: values.downstreamAudience,
    exchangeScope: values.exchangeScope,
  };
}

/** `https://mcp.example.com/mcp` → `https://mcp.example.com`; undefined for anything that is not a URL. */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Whether the template writes `value` into some variable. */
export function usesValue(template: EnvTemplate, value: EnvValueName): boolean {
  return Object.values(template.variables).includes(value);
}

/**
 * The scopes an OAuth proxy asks for when it logs a user in: OpenID Connect's, `offline_access`
 * for a refresh token (the API allows offline access), and every scope of the API.
 */
export function proxyScope(apiScopes: string[]): string {
  return [...new Set(["openid", "profile", "email", "offline_access", ...apiScopes])].join(" ");
}

/** Frameworks such as mcp-use want the bare domain and add `https://` themselves. */
function bareDomain(domain: string): string {
  return domain
    .trim()
    .replace(/^https:\/\//i, "")
    .replace(/\/+$/, "");
}

async function templateNames(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .filter((name) => TEMPLATE_NAME.test(name))
    .sort();
}

/** `mcp-use >=2.2.0`, `mcp-use >=1.10.0 <2.0.0`: what `templates`, doctor and the plan say a preset serves. */
export function servesText(template: EnvTemplate): string | undefined {
  const serves = template.serves;
  return serves && `${serves.package} >=${serves.from}${serves.below ? ` <${serves.below}` : ""}`;
}

const compareVersions = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split(/[.+-]/, 3).map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) - (y![i] ?? 0);
  return 0;
};

/** Whether the preset serves this version of its framework (a prerelease counts as its release). */
function servesVersion(template: EnvTemplate, version: string): boolean {
  const serves = template.serves;
  return !!serves && compareVersions(version, serves.from) >= 0 && (!serves.below || compareVersions(version, serves.below) < 0);
}

/**
 * The version of `pkg` a project in `dir` would load: the first node_modules/<pkg>/package.json
 * from `dir` up, as Node resolves it. Undefined when not installed (or unreadable).
 */
async function installedVersion(dir: string, pkg: string): Promise<string | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      const { version } = JSON.parse(await readFile(join(at, "node_modules", pkg, "package.json"), "utf8")) as { version?: unknown };
      return typeof version === "string" ? version : undefined;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

/**
 * The framework version installed beside the .env against the versions the preset is for, and
 * when it is not one of them, the preset that is (what the plan and doctor say). Undefined when
 * the preset names no framework package, or the package is not installed there.
 */
export async function presetFit(template: EnvTemplate, dir: string): Promise<{ installed: string; served: boolean; fits?: EnvTemplate; message: string } | undefined> {
  if (!template.serves) return undefined;
  const installed = await installedVersion(dir, template.serves.package);
  if (!installed) return undefined;
  const what = `${template.serves.package} ${installed} is installed here`;
  if (servesVersion(template, installed)) return { installed, served: true, message: `${what}; the ${template.name} preset is for ${servesText(template)}` };
  const fits = (await listTemplates()).find((t) => t.mode === template.mode && t.serves?.package === template.serves!.package && servesVersion(t, installed));
  return {
    installed,
    served: false,
    fits,
    message: fits
      ? `${what}, but the ${template.name} preset is for ${servesText(template)}: that version reads what the ${fits.name} preset writes (--template ${fits.name})`
      : `${what}, but the ${template.name} preset is for ${servesText(template)}, and no preset writes what ${installed} reads: pass the values to the framework in code`,
  };
}

/** A preset whose framework advertises its bare origin as the resource (mcp-use 1.x) needs an API identifier that is that origin. */
export function assertAudienceFits(template: EnvTemplate, audience: string): void {
  if (template.audience !== "origin") return;
  const origin = originOf(audience);
  if (origin === audience) return;
  throw new InputError(
    `The ${template.name} preset is for a server that advertises its bare origin as the resource, but the API identifier is ${audience}: MCP clients would ask Auth0 for ${origin} and meet "Service not found".`,
    `Use --api-identifier ${origin ?? "<the server's origin>"} (the API is matched by its identifier), or the preset of your framework's version (mcp-auth0 templates).`,
  );
}
