import { InputError } from "../errors.js";

/*
 * The MCP clients people use, as data: how each one identifies itself to an authorization server
 * (a Client ID Metadata Document URL, or Dynamic Client Registration), the redirect URI it sends,
 * how it picks `scope` and `resource`, and what is known to trip it up on Auth0.
 *
 * Every value carries where it comes from: `source`, a public page or file that states it (read
 * when this file was written, 2026-12), or `unverified`, the reason no such page was found (then
 * `source`, when present, is the best lead). The tool says so wherever it relies on an unverified
 * value (`unverifiedFacts`). `test/unit/clients-catalogue.test.ts` holds every value to this.
 *
 * What the MCP specification of 2026-07-28 asks of every client, and so the baseline of the
 * per-client rules below (basic/authorization/index.mdx and client-registration.mdx):
 * - registration: pre-registered credentials, else CIMD when the authorization server advertises
 *   `client_id_metadata_document_supported`, else DCR (deprecated, kept for compatibility);
 * - scope: the `scope` of the 401 challenge, else every `scopes_supported` of the protected
 *   resource metadata (PRM), else none;
 * - resource: RFC 8707 `resource` on the authorization and token requests, the canonical URI of the
 *   MCP server (the form without a trailing slash, unless it is significant).
 */

/** A fact and where it comes from: a public source, or an explicit mark that none was found. */
export type Sourced<T> = { readonly value: T; readonly source: string; readonly note?: string } | { readonly value: T; readonly unverified: string; readonly source?: string };

/** Where a client's initial `scope` comes from, the first that has one winning. */
export interface ScopeRule {
  readonly from: readonly ("challenge" | "resource-metadata" | "authorization-server-metadata")[];
  /** `offline_access` is added when the authorization server's metadata lists it in `scopes_supported`. */
  readonly offlineAccess: boolean;
}

/**
 * How a client fills `resource`: `resource-metadata`, the PRM's `resource` verbatim; `server-url`, the
 * MCP server URL exactly as the user entered it. Auth0 matches `resource` against API identifiers
 * character for character ("Service not found" on a trailing slash), so the difference matters.
 */
export type ResourceRule = "resource-metadata" | "server-url";

/** The body a client sends to the registration endpoint (RFC 7591), as far as it is known. */
export interface DcrRegistration {
  readonly redirect_uris: readonly string[];
  readonly grant_types?: readonly string[];
  readonly token_endpoint_auth_method?: string;
  readonly application_type?: string;
}

export interface CatalogueClient {
  /** The name `--clients` and the config file use. */
  readonly name: string;
  readonly title: string;
  /** The https URL it presents as `client_id` when the authorization server advertises CIMD; null: it has none. */
  readonly cimdUrl: Sourced<string | null>;
  /** When it chooses CIMD over DCR. */
  readonly cimdWhen?: Sourced<string>;
  /** It uses CIMD only if the authorization server lists `none` in `token_endpoint_auth_methods_supported` (else it registers by DCR). */
  readonly cimdNeedsNoneAuthMethod?: Sourced<boolean>;
  /** The `redirect_uri` it sends to /authorize as a CIMD client; `{port}` stands for an ephemeral loopback port. */
  readonly cimdRedirectUri?: Sourced<string>;
  /** Its registration request when it falls back to DCR; null: it does not register. */
  readonly dcr: Sourced<DcrRegistration | null>;
  readonly scope: Sourced<ScopeRule>;
  readonly resource: Sourced<ResourceRule>;
  /** What importing its CIMD URL into Auth0 entails beyond the import itself: init's plan says it. */
  readonly importNote?: Sourced<string>;
  readonly quirks: readonly Sourced<string>[];
}

const SPEC = "https://github.com/modelcontextprotocol/modelcontextprotocol/blob/main/docs/specification/2026-07-28/basic/authorization/index.mdx";
const AUTH0_CIMD = "https://github.com/auth0/docs-v2/blob/main/main/docs/get-started/auth0-overview/create-applications/register-applications-with-cimd.mdx";
const CLAUDE_AUTH_DOCS = "https://claude.com/docs/connectors/building/authentication";
const TS_SDK_AUTH = "https://github.com/modelcontextprotocol/typescript-sdk/blob/main/src/client/auth.ts";
const VSCODE_OAUTH = "https://github.com/microsoft/vscode/blob/main/src/vs/base/common/oauth.ts";
const OPENAI_CODEX_MCP_DOCS = "https://developers.openai.com/zh-Hans/docs/extend/mcp";
const CODEX_OAUTH_LOGIN = "https://github.com/openai/codex/blob/main/codex-rs/rmcp-client/src/perform_oauth_login.rs";
const INSPECTOR_AUTH = "https://github.com/modelcontextprotocol/inspector/blob/main/client/src/lib/auth.ts";

/** The MCP specification's own rule, for clients whose code or docs say nothing more precise. */
const SPEC_SCOPE: ScopeRule = { from: ["challenge", "resource-metadata"], offlineAccess: false };

export const CATALOGUE: readonly CatalogueClient[] = [
  {
    name: "claude",
    title: "Claude (claude.ai, Claude Desktop, mobile, Cowork)",
    cimdUrl: {
      value: "https://claude.ai/oauth/mcp-oauth-client-metadata",
      unverified:
        "Anthropic's connector docs do not name the URL; it is the client_id seen in third-party server code, tests and transcriptions of the live document (one dated 2026-08-14), all agreeing",
      source: "https://github.com/anthropics/claude-ai-mcp/issues/269",
    },
    cimdWhen: {
      value: "the authorization server advertises client_id_metadata_document_supported and lists none in token_endpoint_auth_methods_supported",
      source: CLAUDE_AUTH_DOCS,
      note: "'Support CIMD instead — also include \"none\" in token_endpoint_auth_methods_supported, since a URL-identified client is public by definition'; anthropics/claude-ai-mcp#269 shows the same two fields unblocking the connector",
    },
    cimdNeedsNoneAuthMethod: { value: true, source: CLAUDE_AUTH_DOCS },
    cimdRedirectUri: {
      value: "https://claude.ai/api/mcp/auth_callback",
      source: "https://docs.zuora.com/zuora-ai/zuora-mcp-server/zuora-mcp-server/configure-zuora-remote-mcp-server/redirect-uris-by-mcp-client",
      note: "the callback of Claude's hosted connectors; the transcribed metadata document lists only this one",
    },
    dcr: {
      value: { redirect_uris: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"] },
      source: "https://docs.zuora.com/zuora-ai/zuora-mcp-server/zuora-mcp-server/configure-zuora-remote-mcp-server/redirect-uris-by-mcp-client",
      note: "redirect URIs only; its grant_types and token_endpoint_auth_method are not published",
    },
    scope: {
      value: { from: ["challenge", "resource-metadata"], offlineAccess: true },
      unverified:
        "Anthropic's connector docs are quoted (by third parties) as appending offline_access when the authorization server metadata lists it; the page section was not read",
      source: CLAUDE_AUTH_DOCS,
    },
    resource: {
      value: "server-url",
      unverified: "Anthropic's docs are quoted as sending the canonical MCP server URL including the path and requiring the PRM resource to equal the URL as the user entered it",
      source: CLAUDE_AUTH_DOCS,
    },
    quirks: [
      {
        value: "DCR registers a new client on every fresh connection (Anthropic recommends CIMD over DCR); on a free tenant each one counts against the 10 applications",
        source: CLAUDE_AUTH_DOCS,
      },
    ],
  },
  {
    name: "claude-code",
    title: "Claude Code",
    cimdUrl: { value: "https://claude.ai/oauth/claude-code-client-metadata", source: "https://github.com/anthropics/claude-code/issues/37767" },
    cimdWhen: {
      value: "the authorization server advertises client_id_metadata_document_supported",
      unverified:
        "Claude Code's changelog (2.1.81) words CIMD as being 'for servers without Dynamic Client Registration'; which one it picks when both are advertised (Auth0 always advertises registration_endpoint) is not documented",
      source: "https://github.com/anthropics/claude-code/issues/36861",
    },
    cimdRedirectUri: {
      value: "http://localhost:{port}/callback",
      source: "https://github.com/anthropics/claude-code/issues/37767",
      note: "the document lists http://localhost/callback and http://127.0.0.1/callback without a port; the request carries an ephemeral port",
    },
    dcr: {
      value: { redirect_uris: ["http://localhost:{port}/callback"] },
      source: "https://docs.zuora.com/zuora-ai/zuora-mcp-server/zuora-mcp-server/configure-zuora-remote-mcp-server/redirect-uris-by-mcp-client",
      note: "the port is ephemeral unless --callback-port is given; the rest of its registration body is not published",
    },
    scope: {
      value: { from: ["challenge", "resource-metadata"], offlineAccess: true },
      unverified: "third-party notes say Claude Code appends offline_access automatically; not in Anthropic's docs",
    },
    resource: { value: "server-url", unverified: "reported as set to the server URL (anthropics/claude-code#76096, not read)" },
    importNote: {
      value:
        "its metadata document lists loopback redirect URIs without a port while it sends an ephemeral one, and Auth0 matches callback URLs exactly (no wildcard port): logins fail with 'Callback URL mismatch' until a callback with the port it uses (claude mcp add --callback-port) is added to the imported client",
      source: "https://github.com/anthropics/claude-code/issues/37747",
      note: "an Auth0 engineer's comment of 2026-04-02 on that issue",
    },
    quirks: [
      {
        value: "Its metadata document has no application_type; Auth0 then maps the client to a web application, not a native one",
        source: "https://github.com/anthropics/claude-code/issues/64705",
      },
    ],
  },
  {
    name: "vscode",
    title: "Visual Studio Code (GitHub Copilot)",
    cimdUrl: { value: "https://vscode.dev/oauth/client-metadata.json", source: "https://github.com/microsoft/vscode/issues/298300" },
    cimdWhen: {
      value: "the authorization server advertises client_id_metadata_document_supported",
      source: "https://github.com/microsoft/vscode/pull/271403",
      note: "'If the Authorization Server we are auth'ing against supports the Client ID Metadata auth flow, we use the client id metadata url from product.json'",
    },
    cimdRedirectUri: {
      value: "http://127.0.0.1:33418/",
      source: VSCODE_OAUTH,
      note: "DEFAULT_AUTH_FLOW_PORT 33418, chosen 'for servers that only allow exact matches on the redirect URI'; another port when 33418 is taken",
    },
    dcr: {
      value: {
        redirect_uris: ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
        grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        token_endpoint_auth_method: "none",
      },
      source: VSCODE_OAUTH,
      note: "fetchDynamicRegistration: grant_types are those of the list the server's grant_types_supported also names",
    },
    scope: { value: SPEC_SCOPE, unverified: "VS Code's scope selection code was not read; the MCP specification's rule is assumed", source: SPEC },
    resource: {
      value: "resource-metadata",
      source: "https://github.com/microsoft/vscode/blob/main/src/vs/workbench/api/common/extHostAuthentication.ts",
      note: "authorizationUrl.searchParams.append('resource', this._resourceMetadata.resource)",
    },
    quirks: [
      {
        value:
          "It refuses a protected resource metadata document whose resource differs from the server URL after URL normalisation (a host case or trailing-slash difference is forgiven, a path difference is not)",
        source: VSCODE_OAUTH,
      },
    ],
  },
  {
    name: "cursor",
    title: "Cursor",
    cimdUrl: {
      value: null,
      unverified: "no CIMD document is known; a Cursor forum request for CIMD support was still open in 2026-08 (forum.cursor.com, not read)",
    },
    dcr: {
      value: { redirect_uris: ["http://localhost:8787/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback"] },
      source: "https://glama.ai/mcp/servers/Echsecutor/idealo-proxy/tree",
      note: "desktop loopback since 2026-07, web and cloud agents, and the older custom scheme; grant_types and auth method not published",
    },
    scope: {
      value: { from: ["resource-metadata"], offlineAccess: false },
      source: "https://docs.pipeshub.com/mcp/cursor",
      note: "'Cursor fetches /.well-known/oauth-protected-resource/mcp and requests all scopes_supported listed there'",
    },
    resource: { value: "server-url", unverified: "Cursor's resource handling is not documented" },
    quirks: [],
  },
  {
    name: "chatgpt",
    title: "ChatGPT (developer mode, apps)",
    cimdUrl: {
      value: "https://chatgpt.com/oauth/client.json",
      unverified:
        "seen in third-party server allow-lists and a transcription of the live document (2026-09-08); OpenAI's authentication page (developers.openai.com/plugins/build/auth) was not read",
    },
    cimdWhen: {
      value: "the authorization server advertises client_id_metadata_document_supported (preferred to DCR)",
      unverified: "reported by third parties from OpenAI's docs, not read",
    },
    cimdRedirectUri: {
      value: "https://chatgpt.com/connector_platform_oauth_redirect",
      unverified:
        "the redirect of its stable document, used when the authorization server supports RFC 9207 iss; per-connector documents https://chatgpt.com/oauth/{callback_id}/client.json otherwise (third-party reports)",
    },
    dcr: {
      value: { redirect_uris: ["https://chatgpt.com/connector_platform_oauth_redirect"] },
      unverified: "third-party reports; OpenAI docs say ChatGPT 'runs DCR once per MCP server connection' (quoted, not read)",
    },
    scope: { value: SPEC_SCOPE, unverified: "not documented where it could be read; the MCP specification's rule is assumed", source: SPEC },
    resource: { value: "resource-metadata", unverified: "OpenAI's docs are quoted as 'Expect ChatGPT to append resource=... to both the authorization and token requests'" },
    importNote: {
      value:
        "its metadata document declares token_endpoint_auth_method private_key_jwt (jwks_uri https://chatgpt.com/oauth/jwks.json): Auth0 imports it as a confidential client, and offers Private Key JWT on Enterprise plans only",
      source: AUTH0_CIMD,
      note: "the document's contents are a third-party transcription (2026-09-08); the plan restriction is Auth0's own doc",
    },
    quirks: [],
  },
  {
    name: "codex",
    title: "Codex (CLI, IDE extension, ChatGPT desktop app)",
    cimdUrl: {
      value: "https://chatgpt.com/oauth/codex/client.json",
      source: OPENAI_CODEX_MCP_DOCS,
      note: "the stable document, used when the authorization server advertises authorization_response_iss_parameter_supported (mcp-auth0 init turns it on); the docs read called it 'coming soon', third-party logs report logins with it",
    },
    cimdWhen: {
      value:
        "the authorization server advertises client_id_metadata_document_supported and lists none in token_endpoint_auth_methods_supported, and the callback is a supported loopback URL",
      source: OPENAI_CODEX_MCP_DOCS,
    },
    cimdNeedsNoneAuthMethod: { value: true, source: OPENAI_CODEX_MCP_DOCS },
    cimdRedirectUri: { value: "http://127.0.0.1:{port}/callback", source: OPENAI_CODEX_MCP_DOCS, note: "with the stable document; the port is the listener's" },
    dcr: {
      value: { redirect_uris: ["http://127.0.0.1:{port}/callback/{callback_id}"] },
      source: CODEX_OAUTH_LOGIN,
      note: "callback_id: SHA-256 of the MCP server URL, first 9 bytes, base64url (openai/codex#20237); the rest of the registration body is rmcp's",
    },
    scope: {
      value: { from: ["resource-metadata"], offlineAccess: false },
      source: OPENAI_CODEX_MCP_DOCS,
      note: "'if the MCP server advertises scopes_supported, Codex prefers the server-advertised scopes during OAuth login; otherwise the scopes configured in config.toml'",
    },
    resource: { value: "resource-metadata", unverified: "Codex's rmcp client takes it from discovery unless oauth_resource is configured (third-party report)" },
    quirks: [
      {
        value:
          "Without RFC 9207 iss support it uses a per-server document, https://chatgpt.com/oauth/codex/{callback_id}/client.json, which a tenant would have to import for each MCP server",
        source: OPENAI_CODEX_MCP_DOCS,
      },
    ],
  },
  {
    name: "inspector",
    title: "MCP Inspector",
    cimdUrl: { value: null, source: INSPECTOR_AUTH, note: "its OAuth client provider has no clientMetadataUrl: it registers (DCR) or uses a pre-registered client" },
    dcr: {
      value: {
        redirect_uris: ["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "none",
      },
      source: INSPECTOR_AUTH,
      note: "window.location.origin + /oauth/callback (and /debug); 6274 is the Inspector's default port",
    },
    scope: {
      value: { from: ["resource-metadata", "authorization-server-metadata"], offlineAccess: false },
      source: INSPECTOR_AUTH,
      note: "discoverScopes: the PRM's scopes_supported, else the authorization server's",
    },
    resource: {
      value: "resource-metadata",
      source: TS_SDK_AUTH,
      note: "the TypeScript SDK's auth() sends the PRM resource verbatim (typescript-sdk#1968: URL.href added a trailing slash before)",
    },
    quirks: [
      {
        value:
          "With no scopes_supported in the MCP server's metadata it asks for the authorization server's scopes_supported, which on Auth0 are OIDC scopes (openid, profile, email…) that strict third-party clients may not get",
        source: INSPECTOR_AUTH,
      },
    ],
  },
];

export const CLIENT_NAMES = CATALOGUE.map((client) => client.name);

/** The clients `--clients` or a config file names, each once; an unknown name is a usage error that lists the known ones. */
export function parseClientNames(names: readonly string[], where: string): CatalogueClient[] {
  const unknown = names.filter((name) => !findClient(name));
  if (unknown.length) {
    throw new InputError(
      `${where} names ${unknown.length > 1 ? "unknown MCP clients" : "an unknown MCP client"}: ${unknown.join(", ")}.`,
      `Known: ${CLIENT_NAMES.join(", ")}. For another client, import its metadata URL with --cimd-client <url>.`,
    );
  }
  return [...new Set(names)].map((name) => findClient(name)!);
}

/** The catalogued clients that present a CIMD URL, with it. */
export function cimdClients(): Array<CatalogueClient & { cimdUrl: Sourced<string> }> {
  return CATALOGUE.filter((client): client is CatalogueClient & { cimdUrl: Sourced<string> } => client.cimdUrl.value !== null);
}

export function findClient(name: string): CatalogueClient | undefined {
  return CATALOGUE.find((client) => client.name === name);
}

/** The unverified values among these keys of a client, named, so a command can say which of its facts are unsourced. */
export function unverifiedFacts(client: CatalogueClient, keys: ReadonlyArray<keyof CatalogueClient>): Array<{ key: string; why: string }> {
  return keys.flatMap((key) => {
    const fact = client[key];
    return fact && typeof fact === "object" && "unverified" in fact ? [{ key, why: fact.unverified }] : [];
  });
}
