import { createHash, randomBytes } from "node:crypto";

import type { LocalTenant } from "../../../src/local-tenant/server.js";
import type { TenantStore } from "../../../src/local-tenant/store.js";

/*
 * A bare OAuth client for the dev tenant's OAuth side: register, authorize (following redirects
 * like a user agent, with or without cookies), exchange. Lower level than the MCP SDK, so that
 * tests can send exactly the parameters Auth0 reads (audience, resource, offline_access…).
 */

export const API = "https://api.example.com/mcp";
export const REDIRECT_URI = "http://127.0.0.1:53682/callback";

/** Provisions the tenant as `mcp-auth0 init` would, directly in the store. */
export function provision(store: TenantStore, identifier = API) {
  store.settings.flags["enable_dynamic_client_registration"] = true;
  store.settings.flags["use_scope_descriptions_for_consent"] = true;
  store.settings["resource_parameter_profile"] = "compatibility";
  store.settings["authorization_response_iss_parameter_supported"] = true;
  const api = store.addResourceServer({
    identifier,
    name: "Test MCP",
    signing_alg: "RS256",
    token_dialect: "rfc9068_profile_authz",
    enforce_policies: true,
    allow_offline_access: true,
    scopes: [
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:greet", description: "Greet someone" },
    ],
  });
  const grant = store.addClientGrant({ audience: identifier, default_for: "third_party_clients", subject_type: "user", scope: ["tool:whoami", "tool:greet"] });
  store.findConnectionByName("Username-Password-Authentication")!.is_domain_connection = true;
  const admin = store.addRole({ name: "Tool Administrator" });
  store.addRolePermissions(
    admin.id,
    ["tool:whoami", "tool:greet"].map((permission_name) => ({ resource_server_identifier: identifier, permission_name })),
  );
  store.addRoleUsers(admin.id, [store.users.find((u) => u.email === "admin@example.com")!.user_id]);
  const user = store.addRole({ name: "Tool User" });
  store.addRolePermissions(user.id, [{ resource_server_identifier: identifier, permission_name: "tool:whoami" }]);
  store.addRoleUsers(user.id, [store.users.find((u) => u.email === "user@example.com")!.user_id]);
  store.changed();
  return { api, grant };
}

export interface Flow {
  /** Where the user agent ended: the redirect URI with code or error, or a page it stopped at. */
  callback?: URL;
  /** The last answer when the flow stopped at a page (status, HTML). */
  page?: { url: URL; status: number; html: string };
  verifier: string;
}

export class RawClient {
  clientId = "";
  clientSecret: string | undefined;
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly tenant: LocalTenant,
    private readonly fetchFn: typeof fetch,
    private readonly keepCookies = false,
  ) {}

  async register(metadata: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.fetchFn(`${this.tenant.url}/oidc/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Raw client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", ...metadata }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 201) {
      this.clientId = String(body["client_id"]);
      this.clientSecret = typeof body["client_secret"] === "string" ? body["client_secret"] : undefined;
    }
    return { status: response.status, body };
  }

  /** Follows redirects from /authorize until the redirect URI, or until a page (200) or an error. */
  async authorize(params: Record<string, string>): Promise<Flow> {
    const verifier = randomBytes(32).toString("base64url");
    const url = new URL(`${this.tenant.url}/authorize`);
    const query = {
      response_type: "code",
      client_id: this.clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      state: "xyz",
      ...params,
    };
    for (const [k, v] of Object.entries(query)) if (v !== "") url.searchParams.set(k, v);
    return this.follow(url, verifier);
  }

  async follow(start: URL, verifier: string, init?: RequestInit): Promise<Flow> {
    let url = start;
    let request = init;
    for (let hop = 0; hop < 10; hop++) {
      if (url.href.startsWith(REDIRECT_URI)) return { callback: url, verifier };
      const headers = new Headers(request?.headers);
      if (this.keepCookies && this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
      const response = await this.fetchFn(url, { ...request, headers, redirect: "manual" });
      if (this.keepCookies) {
        for (const cookie of response.headers.getSetCookie()) {
          const [pair] = cookie.split(";");
          const eq = pair!.indexOf("=");
          this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
        }
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        request = undefined;
        continue;
      }
      return { page: { url, status: response.status, html: await response.text() }, verifier };
    }
    throw new Error("Too many redirects");
  }

  /** Submits a form of the page the flow stopped at, and follows on. */
  async submit(flow: Flow, fields: Record<string, string>): Promise<Flow> {
    const html = flow.page!.html;
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const state = /name="state" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !state) throw new Error(`No form on ${flow.page!.url.href}`);
    return this.follow(new URL(action, flow.page!.url), flow.verifier, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ state, ...fields }).toString(),
    });
  }

  async token(params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.fetchFn(`${this.tenant.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: this.clientId, ...(this.clientSecret ? { client_secret: this.clientSecret } : {}), ...params }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async exchange(flow: Flow, extra: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const code = flow.callback?.searchParams.get("code");
    if (!code) throw new Error(`No code: ${flow.callback?.href ?? flow.page?.html.slice(0, 300)}`);
    return this.token({ grant_type: "authorization_code", code, code_verifier: flow.verifier, redirect_uri: REDIRECT_URI, ...extra });
  }
}
