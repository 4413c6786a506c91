import type { Tenant } from "../tenant/connect.js";
import type { Connection } from "../resources/connections.js";
import { isThirdPartyClient, PROXY_APPLICATION_SETTINGS, readApplications, readEnabledConnections, type Application } from "../resources/application.js";
import type { Check } from "./check.js";

export interface ProxyFacts {
  /** The preset of the .env (its variables name the client id). */
  template: string;
  /** The client id the .env holds. */
  clientId?: string;
  /** --app-name, or init's default name. */
  appName: string;
  identifier: string;
  scopes: string[];
  baseUrl?: string;
  connections: Connection[];
  /** `mcp-auth0 <words>` as the user runs it here. */
  command: (words: string[]) => string;
  envPath?: string;
  /** Already read (the proxy state read): saves a call. */
  applications?: Application[];
}

/**
 * Proxy mode: the MCP server logs users in itself with one Regular Web Application. What it needs:
 * the application, as a Regular Web Application with callbacks and the code + refresh grants, at
 * least one connection enabled for it, and its client id in the .env.
 */
export async function proxyChecks(tenant: Tenant, f: ProxyFacts): Promise<Check[]> {
  const G = `Proxy application ${f.appName}`;
  const checks: Check[] = [];
  const add = (title: string, status: Check["status"], detail: string, fix?: string) => checks.push({ group: G, title, status, detail, fix });
  const apps = (f.applications ?? (await readApplications(tenant))).filter((a) => !isThirdPartyClient(a));
  const app: Application | undefined = apps.find((a) => a.client_id === f.clientId) ?? apps.find((a) => a.name === f.appName);
  const connectionNames = (enabled: string[]) =>
    enabled.length ? enabled : [(f.connections.find((c) => c.strategy === "auth0") ?? f.connections[0])?.name].filter((n): n is string => !!n);
  const envPath = f.envPath ? ["--env-path", f.envPath] : [];
  const init = (callbacks: string[], connections: string[], appName = app?.name ?? f.appName) =>
    f.command([
      "init",
      "--mode",
      "proxy",
      "--template",
      f.template,
      "--api-identifier",
      f.identifier,
      ...(f.scopes.length ? ["--scopes", f.scopes.join(",")] : []),
      "--app-name",
      appName,
      ...(callbacks.length ? callbacks : [`${(f.baseUrl ?? "<server origin>").replace(/\/+$/, "")}/oauth/callback`]).flatMap((c) => ["--callback-url", c]),
      ...(connections.length ? ["--connections", connections.join(",")] : []),
      ...envPath,
    ]);
  const envFix = (name: string) => f.command(["env", "--template", f.template, "--api-identifier", f.identifier, "--app-name", name, ...envPath]);
  if (!app) {
    add(
      "Exists",
      "fail",
      `no Regular Web Application ${f.clientId ? `with the .env's client id ${f.clientId} or ` : ""}named "${f.appName}": the MCP server cannot log anyone in`,
      init([], connectionNames([])),
    );
    return checks;
  }
  const enabledIds = await readEnabledConnections(
    tenant,
    app.client_id,
    f.connections.map((c) => ({ id: c.id! })),
  );
  const enabled = f.connections.filter((c) => enabledIds.has(c.id!)).map((c) => c.name!);
  const fix = init(app.callbacks, connectionNames(enabled));
  add("Exists", "pass", `${app.name} (${app.client_id})`);
  add(
    "Regular Web Application",
    app.app_type === PROXY_APPLICATION_SETTINGS.app_type ? "pass" : "fail",
    app.app_type === PROXY_APPLICATION_SETTINGS.app_type
      ? "yes: it has a client secret for the proxy"
      : `${app.app_type ?? "unknown type"}: a proxy needs a Regular Web Application (a confidential client)`,
    // A proxy application of another name is created as a Regular Web Application.
    app.app_type === PROXY_APPLICATION_SETTINGS.app_type ? undefined : init(app.callbacks, connectionNames(enabled), `${app.name} (proxy)`),
  );
  add("Callbacks", app.callbacks.length ? "pass" : "fail", app.callbacks.length ? app.callbacks.join(", ") : "none: Auth0 refuses to send the login back to the MCP server", fix);
  const missing = PROXY_APPLICATION_SETTINGS.grant_types.filter((g) => !app.grant_types.includes(g));
  add(
    "Grant types",
    missing.length ? "fail" : "pass",
    missing.length ? `missing ${missing.join(", ")}${missing.includes("refresh_token") ? ": users log in again whenever the token expires" : ""}` : app.grant_types.join(", "),
    fix,
  );
  add("Connections enabled for it", enabled.length ? "pass" : "fail", enabled.length ? enabled.join(", ") : "none: the login page offers no way to log in", fix);
  if (f.clientId === undefined) add(".env client id", "fail", "the .env holds no client id", envFix(app.name));
  else
    add(
      ".env client id",
      f.clientId === app.client_id ? "pass" : "fail",
      f.clientId === app.client_id ? app.client_id : `${f.clientId} is not this application's (${app.client_id})`,
      envFix(app.name),
    );
  return checks;
}
