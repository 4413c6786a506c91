import type { Context } from "../session/context.js";
import { InputError } from "../errors.js";
import { listTemplates, loadTemplate, type EnvTemplate } from "../env/templates.js";
import { parseAbsoluteUrl, parseAppName, parseCallbackUrls } from "../input/proxy.js";
import type { InitMode } from "../input/proxy.js";

/**
 * The preset for `mode`, checked before anything is sent: a proxy preset writes a client secret
 * that only proxy mode creates, and a DCR preset has no variable for one.
 */
export async function templateForMode(name: string | undefined, mode: InitMode): Promise<EnvTemplate> {
  if (name === undefined && mode === "dcr") return loadTemplate("auth0");
  if (name === undefined) {
    const names = (await listTemplates()).filter((t) => t.mode === "proxy").map((t) => t.name);
    throw new InputError("--mode proxy needs a proxy .env preset: missing --template.", `Choose one of: ${names.join(", ")} (npx mcp-auth0 templates describes them).`);
  }
  const template = await loadTemplate(name);
  if (template.mode !== mode) {
    const others = (await listTemplates()).filter((t) => t.mode === mode).map((t) => t.name);
    throw new InputError(
      template.mode === "proxy"
        ? `--template ${name} is for proxy mode (${template.framework ?? template.description}): its server logs users in with a Regular Web Application.`
        : `--template ${name} is for DCR mode (${template.framework ?? template.description}); proxy mode writes a client id and secret that it has no variable for.`,
      template.mode === "proxy" ? "Add --mode proxy (with --callback-url), or choose a DCR preset." : `With --mode proxy choose one of: ${others.join(", ")}.`,
    );
  }
  return template;
}

export interface ProxyOptions {
  callbackUrl?: string[];
  appName?: string;
  cimd?: boolean;
  clients?: string;
}

export interface ProxyAnswers {
  callbacks: string[];
  appName?: string;
}

/** Flags of proxy mode (prompting for the callback URLs when interactive), validated before any request. */
export async function gatherProxy(options: ProxyOptions, ctx: Context): Promise<ProxyAnswers> {
  if (options.cimd) throw new InputError("--cimd applies to DCR mode: in proxy mode MCP clients never register with Auth0.", "Leave out --cimd, or --mode proxy.");
  if (options.clients)
    throw new InputError("--clients applies to DCR mode: in proxy mode MCP clients log in through the MCP server's own application.", "Leave out --clients, or --mode proxy.");
  const raw = options.callbackUrl ?? [
    await ctx.prompter.input({
      message: "Callback URL(s) of your MCP server's OAuth proxy, comma-separated (e.g. http://localhost:3000/oauth/callback)",
      flag: "--callback-url",
      validate: (value) => {
        try {
          parseCallbackUrls([value]);
          return true;
        } catch (error) {
          return (error as Error).message;
        }
      },
    }),
  ];
  return { callbacks: parseCallbackUrls(raw), appName: options.appName !== undefined ? parseAppName(options.appName) : undefined };
}

export function parseApiBaseUrl(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : parseAbsoluteUrl(raw, "--api-base-url", "https://api.example.com");
}

/**
 * Flags of proxy mode given in DCR mode would be silently ignored: they are an error instead.
 * `--api-base-url` also serves DCR mode's On-Behalf-Of preset (the downstream API's URL).
 */
export function assertProxyOnlyFlags(options: { callbackUrl?: string[]; appName?: string; apiBaseUrl?: string }, mode: InitMode, downstream = false): void {
  if (mode !== "dcr") return;
  const given = [
    ...(options.callbackUrl !== undefined ? ["--callback-url"] : []),
    ...(options.appName !== undefined ? ["--app-name"] : []),
    ...(options.apiBaseUrl !== undefined && !downstream ? ["--api-base-url"] : []),
  ];
  if (given.length)
    throw new InputError(
      `${given.join(", ")} applies to proxy mode only${given.includes("--api-base-url") ? " (or to --downstream-api)" : ""}.`,
      "Add --mode proxy (with a proxy preset such as --template mcp-use-proxy).",
    );
}
