/**
 * Every URL of a tenant, built from its domain in this one place. Auth0's issuer carries a
 * trailing slash and token verifiers compare it exactly; the Management API audience does too.
 */
export function tenantUrls(domain: string) {
  const origin = `https://${domain}`;
  return {
    origin,
    issuer: `${origin}/`,
    tokenEndpoint: `${origin}/oauth/token`,
    managementApi: `${origin}/api/v2/`,
    openidConfiguration: `${origin}/.well-known/openid-configuration`,
    oauthMetadata: `${origin}/.well-known/oauth-authorization-server`,
  };
}
