import { randomBytes } from "node:crypto";

import Provider, { errors, interactionPolicy, type Configuration, type Grant, type JWK, type KoaContextWithOIDC } from "oidc-provider";

import { clientId as newClientId } from "../ids.js";
import type { TenantStore } from "../store.js";
import { tenantAdapter } from "./adapter.js";
import { REFUSED_PARAMETERS } from "./request-profile.js";
import { renderErrorPage } from "./pages.js";
import {
  AUTH0_ERRORS,
  addsPermissionsClaim,
  clientGrantFor,
  connectionOf,
  connectionsFor,
  grantableScopes,
  isThirdParty,
  resourceServerInfo,
  strictRegistration,
  userPermissions,
} from "./policy.js";
import { exchangeClaims, isExchanged } from "./token-exchange.js";

/** Auth0's paths, where oidc-provider has its own defaults. */
export const AUTH0_ROUTES = {
  authorization: "/authorize",
  token: "/oauth/token",
  registration: "/oidc/register",
  jwks: "/.well-known/jwks.json",
  userinfo: "/userinfo",
  revocation: "/oauth/revoke",
  end_session: "/oidc/logout",
} as const;

/** Where oidc-provider sends the user agent for a prompt: Auth0's Universal Login paths. */
export const LOGIN_PATH = "/u/login";
export const CONSENT_PATH = "/u/consent";

const DAY = 24 * 60 * 60;

/** The one resource of a request or token, whatever shape oidc-provider holds it in. */
export function singleResource(resource: unknown): string | undefined {
  if (typeof resource === "string") return resource;
  if (Array.isArray(resource) && typeof resource[0] === "string") return resource[0];
  return undefined;
}

const split = (scope: string | undefined): string[] => (scope ?? "").split(" ").filter(Boolean);

/**
 * Keeps a remembered grant in step with the tenant as it is now: scopes the client or user lost
 * (a deleted client grant, a removed role) are no longer granted, and scopes refused earlier by
 * policy but allowed now are asked for again. On Auth0 RBAC and client grants apply at every
 * authorization, not only at the first consent.
 */
async function reconcileGrant(store: TenantStore, grant: Grant, resource: string | undefined): Promise<void> {
  const client = grant.clientId === undefined ? undefined : store.findOAuthClient(grant.clientId);
  const api = resource === undefined ? undefined : store.resourceServerByIdentifier(resource);
  if (!client || !api || grant.accountId === undefined) return;
  const allowed = new Set(grantableScopes(store, client, grant.accountId, api));
  const granted = split(grant.resources?.[api.identifier]);
  const rejected = split(grant.rejected?.resources?.[api.identifier]);
  const keep = granted.filter((s) => allowed.has(s));
  const stillRejected = [...rejected.filter((s) => !allowed.has(s)), ...granted.filter((s) => !allowed.has(s))];
  if (keep.length === granted.length && stillRejected.length === rejected.length) return;
  grant.resources = { ...grant.resources, [api.identifier]: keep.join(" ") };
  grant.rejected = { ...grant.rejected, resources: { ...grant.rejected?.resources, [api.identifier]: stillRejected.join(" ") } };
  await grant.save();
}

function unauthorizedClient(audience: string): errors.UnauthorizedClient {
  const error = new errors.UnauthorizedClient(AUTH0_ERRORS.notGranted(audience));
  // Auth0 refuses a token for an API the client has no grant for with 403, not 400.
  Object.assign(error, { status: 403, statusCode: 403 });
  return error;
}

/**
 * The interaction policy of oidc-provider (login, then consent), plus one Auth0 rule: a user who is
 * already logged in, but through a connection this client may not use, must log in again.
 */
function interactionPolicyFor(store: TenantStore): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  const login = policy.get("login");
  login?.checks.add(
    new interactionPolicy.Check("connection_not_enabled", "the session's connection is not enabled for the client", (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client ? store.findOAuthClient(ctx.oidc.client.clientId) : undefined;
      if (!accountId || !client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const user = store.findUser(accountId);
      const connection = user ? connectionOf(user) : undefined;
      const usable = connectionsFor(store, client).some((c) => c.name === connection);
      return usable ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

export interface ProviderOptions {
  store: TenantStore;
  /** `https://localhost:<port>/`, with Auth0's trailing slash. */
  issuer: string;
  /** The tenant's RS256 private key: the one that signs Management API tokens too. */
  signingJwk: JWK;
}

/** oidc-provider configured to Auth0's paths, token formats and tenant-driven rules. */
export function createProvider({ store, issuer, signingJwk }: ProviderOptions): Provider {
  const configuration: Configuration = {
    adapter: tenantAdapter(store),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    routes: AUTH0_ROUTES,
    scopes: ["openid", "profile", "email", "offline_access"],
    claims: {
      openid: ["sub"],
      profile: ["name", "nickname", "picture", "updated_at"],
      email: ["email", "email_verified"],
    },
    // Auth0 puts the profile claims in the ID token itself.
    conformIdTokenClaims: false,
    responseTypes: ["code"],
    // Runs once oidc-provider has checked the client and its redirect URI, so that the refusal
    // reaches the client as any other authorization error does (an error page for strict clients).
    extraParams: {
      [REFUSED_PARAMETERS]: (_ctx, value) => {
        if (value) throw new errors.InvalidRequest(AUTH0_ERRORS.unsupportedParameters(value.split(" ").join(", ")));
      },
    },
    pkce: { methods: ["S256"], required: () => true },
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
    // Browser-based MCP clients (MCP Inspector) call the token endpoint across origins.
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: false },
      registration: {
        enabled: true,
        initialAccessToken: false,
        // Strict tenants give clients registered through DCR a `tpc_` (third-party client) id;
        // permissive ones an ordinary id (see policy.ts).
        idFactory: () => newClientId(strictRegistration(store) ? "dynamic" : "first_party"),
        // Auth0 offers no RFC 7592 management of registered clients (option missing from @types/oidc-provider 8).
        ...({ issueRegistrationAccessToken: false } as object),
      },
      pushedAuthorizationRequests: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The request profile has already turned `audience` (or the tenant's default audience) into
        // the one `resource` of the request. Without one a first-party application gets an opaque
        // token for /userinfo; a third-party client is refused at /authorize, as on Auth0.
        defaultResource: (ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          const storeClient = store.findOAuthClient(client.clientId);
          if (ctx.oidc.route === "authorization" && storeClient && isThirdParty(storeClient)) throw new errors.InvalidRequest(AUTH0_ERRORS.userinfoAudience);
          return undefined as unknown as string;
        },
        // At the token endpoint the client need not repeat the audience: Auth0 issues the token for
        // the API that was authorized.
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator, client) => {
          const api = store.resourceServerByIdentifier(indicator);
          if (!api) throw new errors.AccessDenied(AUTH0_ERRORS.serviceNotFound(indicator));
          const storeClient = store.findOAuthClient(client.clientId);
          if (ctx.oidc.route === "token" && storeClient && isThirdParty(storeClient) && !clientGrantFor(store, storeClient, api.identifier)) {
            throw unauthorizedClient(api.identifier);
          }
          return resourceServerInfo(store, api);
        },
      },
    },
    formats: {
      customizers: {
        jwt: (_ctx, token, jwt) => {
          const audience = typeof jwt.payload.aud === "string" ? jwt.payload.aud : undefined;
          const api = audience === undefined ? undefined : store.resourceServerByIdentifier(audience);
          if (!api) return jwt;
          const accountId = "accountId" in token ? token.accountId : undefined;
          if (accountId && addsPermissionsClaim(api)) {
            const scopes = new Set((api.scopes ?? []).map((s) => s.value));
            // An exchanged token holds only what the exchange granted (see token-exchange.ts).
            jwt.payload.permissions = isExchanged(token) ? [...token.scopes] : userPermissions(store, accountId, api.identifier).filter((p) => scopes.has(p));
          }
          // Auth0's classic dialect names the client `azp`; the RFC 9068 dialects use `client_id`.
          if (!(api.token_dialect ?? "access_token").startsWith("rfc9068")) jwt.payload.azp = token.clientId;
          return jwt;
        },
      },
    },
    // The `act` chain of tokens issued by the On-Behalf-Of exchange.
    extraTokenClaims: (_ctx, token) => exchangeClaims(token),
    issueRefreshToken: (_ctx, client, code) => {
      if (!client.grantTypeAllowed("refresh_token") || !code.scopes.has("offline_access")) return false;
      const resource = singleResource(code.resource);
      // Refresh tokens for an API only when the API allows offline access.
      return resource === undefined || store.resourceServerByIdentifier(resource)?.allow_offline_access === true;
    },
    // Tokens outlive the login session on Auth0.
    expiresWithSession: () => false,
    findAccount: (_ctx, sub) => {
      const user = store.findUser(sub);
      if (!user) return undefined;
      return {
        accountId: user.user_id,
        claims: () => ({
          sub: user.user_id,
          name: user.name,
          nickname: user.nickname,
          picture: user.picture,
          updated_at: user.updated_at,
          email: user.email,
          email_verified: user.email_verified,
        }),
      };
    },
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (!grantId) return undefined;
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) await reconcileGrant(store, grant, singleResource(ctx.oidc.params?.resource));
      return grant;
    },
    interactions: {
      policy: interactionPolicyFor(store),
      url: (_ctx, interaction) => `${interaction.prompt.name === "consent" ? CONSENT_PATH : LOGIN_PATH}?state=${encodeURIComponent(interaction.uid)}`,
    },
    renderError: (ctx, out, error) => {
      ctx.type = "html";
      const params = ctx.oidc?.route === "authorization" ? ctx.oidc.params : undefined;
      if (error instanceof errors.InvalidClient && !ctx.oidc.client && typeof params?.["client_id"] === "string") {
        // An unknown client_id (a CIMD URL never imported included): Auth0's error page, HTTP 400, before any login.
        const clientId = params["client_id"];
        // Every dev tenant on a port has the same issuer, and MCP clients keep their registration by
        // issuer: one registered with another project's dev tenant, or before the data directory was
        // deleted, lands here. A CIMD URL is doctor --client's to explain (the init --clients fix).
        const hint = URL.canParse(clientId)
          ? undefined
          : `This dev tenant knows only the clients registered with it (its data directory holds them). An MCP client that registered with another dev tenant at ${ctx.oidc.issuer} (another project's, or before the data directory was deleted) still sends that client_id: delete its saved registration for this issuer (MCP Inspector: ~/.mcp-inspector/storage/oauth.json) and connect again.`;
        ctx.body = renderErrorPage("invalid_request", AUTH0_ERRORS.unknownClient(clientId), hint);
      } else if (error instanceof errors.InvalidRedirectUri && typeof params?.["redirect_uri"] === "string") {
        // Auth0 matches callback URLs exactly (a loopback port included): its error page, HTTP 403 as reported.
        ctx.status = 403;
        ctx.body = renderErrorPage("unauthorized_client", AUTH0_ERRORS.callbackMismatch(params["redirect_uri"]));
      } else {
        ctx.body = renderErrorPage(out.error, out.error_description);
      }
    },
    ttl: {
      AccessToken: 86400,
      AuthorizationCode: 60,
      IdToken: 36000,
      Interaction: 3600,
      Session: 3 * DAY,
      Grant: 14 * DAY,
      RefreshToken: 30 * DAY,
    },
  };
  return new Provider(issuer, configuration);
}
