import { randomBytes } from "node:crypto";

import type { Route } from "./endpoints/route.js";
import { ApiError, json, type ApiResponse } from "./http.js";
import { managementAudience } from "./store.js";

/*
 * Custom-domain emulation. On Auth0 a custom domain is a second host name in front of the same
 * tenant: MCP clients that use it see its own issuer (`https://{custom}/`) in discovery and in their
 * tokens, while the Management API stays on the canonical `{tenant}.{region}.auth0.com` only. A
 * Management API token must be requested for the canonical `https://{canonical}/api/v2/`; asking
 * for `https://{custom}/api/v2/`, or calling /api/v2 on the custom host, is refused with "Service
 * not enabled within domain" (auth0/node-auth0#292, auth0/auth0-PHP#538).
 *
 * Here the custom domain is a second HTTPS listener on its own port of 127.0.0.1 — a host name
 * that resolves everywhere without /etc/hosts, and that the tenant's certificate already covers
 * (its subjectAltName lists 127.0.0.1). It has its own OAuth side (its own oidc-provider, with its
 * own issuer) over the same tenant state, so a client registered on one host exists on both, as on
 * Auth0.
 */

export interface CustomDomain {
  /** `127.0.0.1:<port>`: the host MCP clients use. */
  domain: string;
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** `https://127.0.0.1:<port>/`: the issuer of discovery and tokens on this host. */
  issuer: string;
  /** `cd_` + 16 characters, as GET /custom-domains lists it. */
  customDomainId: string;
}

export function newCustomDomain(port: number): CustomDomain {
  const domain = `127.0.0.1:${port}`;
  return { domain, url: `https://${domain}`, issuer: `https://${domain}/`, customDomainId: `cd_${randomBytes(8).toString("hex")}` };
}

/** Auth0's answer to a Management API audience or host other than the canonical one. */
export function serviceNotEnabled(domain: string): string {
  return `Service not enabled within domain: ${managementAudience(domain)}`;
}

/** /oauth/token, client credentials for `https://{custom}/api/v2/`: refused, whichever host is asked. */
export function refusedManagementAudience(customDomain: CustomDomain): ApiResponse {
  return json(401, { error: "access_denied", error_description: serviceNotEnabled(customDomain.domain) });
}

/** Any /api/v2 request on the custom host. */
export function managementApiOnCustomHost(customDomain: CustomDomain): ApiResponse {
  return new ApiError(401, serviceNotEnabled(customDomain.domain), "invalid_token").toResponse();
}

/** GET /api/v2/custom-domains, shaped like Auth0's answer for a verified domain with self-managed certificates. */
export function customDomainRoutes(customDomain: CustomDomain | undefined): Route[] {
  return [
    {
      method: "GET",
      path: "/custom-domains",
      scopes: ["read:custom_domains"],
      handle: () =>
        json(
          200,
          customDomain === undefined
            ? []
            : [
                {
                  custom_domain_id: customDomain.customDomainId,
                  domain: customDomain.domain,
                  primary: true,
                  status: "ready",
                  type: "self_managed_certs",
                  verification: { methods: [] },
                  tls_policy: "recommended",
                },
              ],
        ),
    },
  ];
}
