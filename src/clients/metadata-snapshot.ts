/*
 * The Client ID Metadata Documents of the catalogued CIMD clients, bundled so that the dev tenant
 * works offline: Auth0 fetches a document when it is imported, and the dev tenant serves these
 * instead of going to claude.ai, vscode.dev or chatgpt.com.
 *
 * No machine here reaches those hosts, so none of these was fetched by this project: each is
 * transcribed from public sources that quote the live document (`SNAPSHOT_PROVENANCE` says which
 * and when they saw it), and two are reconstructed where no full quote was found. `takenOn` is the
 * day this snapshot was assembled; refresh it (and the provenance) when a document changes.
 */

export const METADATA_SNAPSHOT: { takenOn: string; documents: Record<string /* url */, Record<string, unknown>> } = {
  takenOn: "2026-12-07",
  documents: {
    "https://claude.ai/oauth/mcp-oauth-client-metadata": {
      client_id: "https://claude.ai/oauth/mcp-oauth-client-metadata",
      client_name: "Claude",
      client_uri: "https://claude.ai",
      redirect_uris: ["https://claude.ai/api/mcp/auth_callback"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    },
    "https://claude.ai/oauth/claude-code-client-metadata": {
      client_id: "https://claude.ai/oauth/claude-code-client-metadata",
      client_name: "Claude Code",
      client_uri: "https://claude.ai",
      redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    },
    "https://vscode.dev/oauth/client-metadata.json": {
      client_name: "Visual Studio Code",
      logo_uri: "https://code.visualstudio.com/assets/branding/code-stable.png",
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
      client_id: "https://vscode.dev/oauth/client-metadata.json",
      client_uri: "https://vscode.dev/product",
      redirect_uris: ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
    },
    "https://chatgpt.com/oauth/client.json": {
      client_id: "https://chatgpt.com/oauth/client.json",
      client_uri: "https://chatgpt.com/",
      redirect_uris: ["https://chatgpt.com/connector_platform_oauth_redirect"],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      client_name: "ChatGPT",
      logo_uri: "https://persistent.oaistatic.com/sonic/misc/openai-logo.png",
      token_endpoint_auth_signing_alg: "RS256",
      jwks_uri: "https://chatgpt.com/oauth/jwks.json",
    },
    "https://chatgpt.com/oauth/codex/client.json": {
      client_id: "https://chatgpt.com/oauth/codex/client.json",
      client_name: "Codex",
      client_uri: "https://chatgpt.com/codex",
      application_type: "native",
      redirect_uris: ["http://127.0.0.1/callback", "http://localhost/callback"],
      token_endpoint_auth_method: "none",
      token_endpoint_auth_methods_supported: ["none"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  },
};

/** Where each document above comes from. `reconstructed`: no source quoted it whole. */
export const SNAPSHOT_PROVENANCE: Record<string, { seenOn: string; reconstructed: boolean; source: string }> = {
  "https://claude.ai/oauth/mcp-oauth-client-metadata": {
    seenOn: "2026-08-14",
    reconstructed: true,
    source:
      "a third-party conformance harness that transcribes the live document field for field (only client_id rewritten); anthropics/claude-ai-mcp#269 confirms Claude's CIMD use, not the fields",
  },
  "https://claude.ai/oauth/claude-code-client-metadata": {
    seenOn: "2026-09-08",
    reconstructed: false,
    source:
      "quoted whole in https://github.com/sprawz/gtm-mcp-server/issues/72 (2026-08-04) and in a research note fetched 2026-09-08; redirect_uris also in anthropics/claude-code#37767",
  },
  "https://vscode.dev/oauth/client-metadata.json": {
    seenOn: "2026-09-08",
    reconstructed: false,
    source: "quoted whole in a research note fetched 2026-09-08 and identically in two server test fixtures; URL in microsoft/vscode#298300",
  },
  "https://chatgpt.com/oauth/client.json": {
    seenOn: "2026-09-08",
    reconstructed: false,
    source: "quoted whole in a research note fetched 2026-09-08; a 2026-10 server README also reports none and private_key_jwt (the latter preferred)",
  },
  "https://chatgpt.com/oauth/codex/client.json": {
    seenOn: "2026-10",
    reconstructed: true,
    source: "a third-party server test fixture (the document's fields as that project recorded them); the URL is in OpenAI's Codex MCP docs and anomalyco/opencode#47737",
  },
};
