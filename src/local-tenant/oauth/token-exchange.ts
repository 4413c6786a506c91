import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type Provider from "oidc-provider";
import { errors, type AccessToken, type ClientCredentials, type KoaContextWithOIDC } from "oidc-provider";

import type { Client, TenantStore } from "../store.js";
import type { TenantSigningKey } from "../tokens.js";
import { AUTH0_ERRORS, clientGrantFor, OIDC_SCOPES, rbacEnabled, resourceServerInfo, scopesForUsers, userPermissions } from "./policy.js";

/*
 * Auth0's On-Behalf-Of token exchange (RFC 8693), registered as a grant type of oidc-provider: a
 * middle-tier service (an MCP server) presents the user's access token, issued for its own API, and
 * gets a token for a downstream API that keeps the user as `sub`. What Auth0 documents (docs-v2
 * `secure/call-apis-on-users-behalf/on-behalf-of-token-exchange.mdx` and
 * `api/authentication/on-behalf-of-token-exchange/get-token.mdx`, August 2026):
 * - only a Custom API client (`app_type: "resource_server"`) with `token_exchange.allow_any_profile_of_type`
 *   holding `on_behalf_of_token_exchange` may exchange, authenticating itself (never `none`);
 * - `subject_token_type` and `requested_token_type` are both the access-token type, `audience` is the downstream API;
 * - the new token keeps `sub`, has the downstream `aud`, the exchanging client as `azp`/`client_id`
 *   and as the outermost `act.sub`, the earlier chain nested below it (the original client at the bottom);
 * - a subject token that already has four nested `act` levels is refused with 400 `invalid_request`;
 * - a user-delegated client grant (`subject_type: "user"`) links the client to the downstream API,
 *   and the scopes follow the user's RBAC permissions;
 * - the answer carries `issued_token_type`, and `scope` only when it differs from the request.
 * Inferred (Auth0 documents the statuses — 401 for an invalid or expired subject token, 403 for a
 * client not allowed to exchange — but not the bodies): the `error` codes and descriptions of every
 * refusal except the depth limit; that the subject token must have been issued for the API the
 * client is linked to; that the downstream API's `deny_all` user policy refuses the exchange.
 */

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const OBO_PROFILE = "on_behalf_of_token_exchange";
/** The subject token may carry at most this many nested `act` levels less one: the exchange adds one. */
const MAX_SUBJECT_DEPTH = 4;

/** Auth0's messages, quoted by the tests. */
export const OBO_ERRORS = {
  depth: `Delegation chain (\`act\` claim) depth exceeds the maximum allowed limit of ${MAX_SUBJECT_DEPTH}`,
  grantTypeNotAllowed: `Grant type '${TOKEN_EXCHANGE_GRANT}' not allowed for the client.`,
  invalidSubjectToken: "Invalid subject_token",
  expiredSubjectToken: "The subject_token has expired",
  foreignAudience: (identifier: string) => `The subject_token was not issued for the resource server of the client (${identifier})`,
  serviceNotEnabled: (audience: string) => `Service not enabled within domain: ${audience}`,
  deniedForUsers: (audience: string) => `The resource server ${audience} does not allow user access`,
  scopesNotGranted: (scopes: readonly string[]) => `Client has not been granted scopes: ${scopes.join(", ")}`,
} as const;

type ErrorClass = new (description: string) => Error;

/** An oidc-provider error with Auth0's status, which oidc-provider's own classes do not all have. */
function refusal(Kind: ErrorClass, status: number, description: string): Error {
  return Object.assign(new Kind(description), { status, statusCode: status });
}

export interface Actor {
  sub: string;
  act?: Actor;
}

function actorOf(value: unknown): Actor | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { sub, act } = value as Record<string, unknown>;
  if (typeof sub !== "string") return undefined;
  const inner = actorOf(act);
  return inner ? { sub, act: inner } : { sub };
}

function depthOf(actor: Actor | undefined): number {
  return actor ? 1 + depthOf(actor.act) : 0;
}

/** The exchanging client on top of the subject token's chain, or of the client the user logged in with. */
function chainFor(clientId: string, subject: JWTPayload): Actor {
  const earlier = actorOf(subject["act"]);
  if (earlier) return { sub: clientId, act: earlier };
  const original = subject["azp"] ?? subject["client_id"];
  return typeof original === "string" ? { sub: clientId, act: { sub: original } } : { sub: clientId };
}

/** The claims oidc-provider adds to an exchanged token (its `extraTokenClaims` hook). */
const issuedChains = new WeakMap<object, Actor>();

export function exchangeClaims(token: AccessToken | ClientCredentials): { act: Actor } | undefined {
  const act = issuedChains.get(token);
  return act ? { act } : undefined;
}

export function isExchanged(token: object): token is AccessToken {
  return issuedChains.has(token);
}

function customApiClient(store: TenantStore, clientId: string): Client | undefined {
  const client = store.findClient(clientId);
  const profiles = (client?.["token_exchange"] as { allow_any_profile_of_type?: unknown } | undefined)?.allow_any_profile_of_type;
  const linked = client?.app_type === "resource_server" && typeof client["resource_server_identifier"] === "string";
  return linked && Array.isArray(profiles) && profiles.includes(OBO_PROFILE) ? client : undefined;
}

function required(ctx: KoaContextWithOIDC, name: string, as = name): string {
  const value = ctx.oidc.params?.[name];
  if (typeof value !== "string" || value === "") throw new errors.InvalidRequest(`Missing required parameter: ${as}`);
  return value;
}

/** The subject token's claims, when this tenant signed it for someone and it has not expired. */
async function verifySubjectToken(signingKey: TenantSigningKey, issuer: string, token: string): Promise<JWTPayload & { sub: string }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, signingKey.publicKey, { issuer, algorithms: ["RS256"] }));
  } catch (error) {
    const description = error instanceof joseErrors.JWTExpired ? OBO_ERRORS.expiredSubjectToken : OBO_ERRORS.invalidSubjectToken;
    throw refusal(errors.InvalidRequest, 401, description);
  }
  const { sub } = payload;
  if (typeof sub !== "string") throw refusal(errors.InvalidRequest, 401, OBO_ERRORS.invalidSubjectToken);
  return { ...payload, sub };
}

export interface OnBehalfOfOptions {
  store: TenantStore;
  /** The issuer of this side: subject tokens must come from it. */
  issuer: string;
  /** The tenant key that signs every token of the tenant. */
  signingKey: TenantSigningKey;
}

/** Adds the exchange to oidc-provider's token endpoint. */
export function registerOnBehalfOfExchange(provider: Provider, { store, issuer, signingKey }: OnBehalfOfOptions): void {
  const parameters = ["subject_token", "subject_token_type", "requested_token_type", "resource", "scope"];
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx, next) => {
      const client = customApiClient(store, ctx.oidc.client!.clientId);
      if (!client) throw refusal(errors.UnauthorizedClient, 403, OBO_ERRORS.grantTypeNotAllowed);
      const subjectToken = required(ctx, "subject_token");
      for (const name of ["subject_token_type", "requested_token_type"]) {
        const type = required(ctx, name);
        if (type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`Unsupported ${name}: ${type}`);
      }
      // The request profile turned Auth0's `audience` into `resource` (request-profile.ts).
      const audience = required(ctx, "resource", "audience");

      const subject = await verifySubjectToken(signingKey, issuer, subjectToken);
      const linkedApi = client["resource_server_identifier"] as string;
      if (![subject.aud ?? []].flat().includes(linkedApi)) throw refusal(errors.AccessDenied, 403, OBO_ERRORS.foreignAudience(linkedApi));
      const user = store.findUser(subject.sub);
      if (!user) throw refusal(errors.InvalidRequest, 401, OBO_ERRORS.invalidSubjectToken);
      if (depthOf(actorOf(subject["act"])) >= MAX_SUBJECT_DEPTH) throw new errors.InvalidRequest(OBO_ERRORS.depth);

      const api = store.resourceServerByIdentifier(audience);
      if (!api) throw refusal(errors.AccessDenied, 403, OBO_ERRORS.serviceNotEnabled(audience));
      const policy = (api["subject_type_authorization"] as { user?: { policy?: string } } | undefined)?.user?.policy;
      if (policy === "deny_all") throw refusal(errors.AccessDenied, 403, OBO_ERRORS.deniedForUsers(audience));
      const grant = clientGrantFor(store, client, api.identifier);
      if (!grant) throw refusal(errors.AccessDenied, 403, AUTH0_ERRORS.notGranted(audience));

      // The grant's scopes, narrowed to those asked for (all of which must be granted), then to the
      // user's permissions when the API enforces RBAC.
      const apiScopes = scopesForUsers(store, api);
      const granted = grant["allow_all_scopes"] === true ? apiScopes : apiScopes.filter((s) => grant.scope.includes(s));
      const requested = (ctx.oidc.params?.["scope"] as string | undefined)?.split(" ").filter((s) => s !== "" && !(OIDC_SCOPES as readonly string[]).includes(s));
      const notGranted = (requested ?? []).filter((s) => !granted.includes(s));
      if (notGranted.length > 0) throw refusal(errors.AccessDenied, 403, OBO_ERRORS.scopesNotGranted(notGranted));
      let scopes = requested && requested.length > 0 ? granted.filter((s) => requested.includes(s)) : granted;
      if (rbacEnabled(api)) {
        const permissions = new Set(userPermissions(store, user.user_id, api.identifier));
        scopes = scopes.filter((s) => permissions.has(s));
      }

      const { AccessToken } = ctx.oidc.provider;
      const token = new AccessToken({
        accountId: user.user_id,
        client: ctx.oidc.client!,
        scope: scopes.join(" "),
        gty: TOKEN_EXCHANGE_GRANT,
        expiresIn: api.token_lifetime,
        resourceServer: resourceServerInfo(store, api),
        // An exchange has no grant (no authorization, no consent): nothing to revoke the token with.
        grantId: undefined as unknown as string,
      });
      issuedChains.set(token, chainFor(client.client_id, subject));
      ctx.oidc.entity("AccessToken", token);
      const accessToken = await token.save();

      const differs = requested === undefined || requested.length !== scopes.length;
      ctx.body = {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: token.expiration,
        ...(differs ? { scope: scopes.join(" ") } : {}),
      };
      await next();
    },
    parameters,
  );
}
