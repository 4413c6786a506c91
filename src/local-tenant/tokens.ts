import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { join } from "node:path";

import { calculateJwkThumbprint, exportJWK, jwtVerify, type JWK, type JWTPayload } from "jose";

import { DATA_FILES, ensureDir, readIfExists, writeFileAtomic } from "./persistence.js";

export interface ManagementTokenClaims {
  /** The M2M application the token was issued to. */
  clientId: string;
  scopes: readonly string[];
  expiresInSeconds: number;
}

export interface VerifiedManagementToken {
  scopes: Set<string>;
  payload: JWTPayload;
}

/**
 * The tenant's RS256 signing key. Auth0 signs Management API tokens with the tenant key published at
 * `/.well-known/jwks.json`; here the same key will serve the OAuth side once it is mounted.
 *
 * Signing is synchronous (a JWS is three base64url parts, and `node:crypto` signs synchronously) so
 * that tests can mint a token inline with `issueManagementToken`; verification uses jose.
 */
export class TenantSigningKey {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
    readonly kid: string,
    readonly publicJwk: JWK,
  ) {}

  static async loadOrCreate(dataDir?: string): Promise<TenantSigningKey> {
    const path = dataDir === undefined ? undefined : join(dataDir, DATA_FILES.signingKey);
    let pem = path === undefined ? undefined : readIfExists(path);
    if (pem === undefined) {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      if (path !== undefined && dataDir !== undefined) {
        ensureDir(dataDir);
        writeFileAtomic(path, pem, 0o600);
      }
    }
    const privateKey = createPrivateKey(pem);
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    // A stable kid across restarts: the RFC 7638 thumbprint of the public key.
    const kid = await calculateJwkThumbprint(jwk);
    return new TenantSigningKey(privateKey, publicKey, kid, { ...jwk, kid, alg: "RS256", use: "sig" });
  }

  /**
   * The private key as a JWK (with this key's kid, alg and use), for the OAuth side's keystore
   * (oidc-provider): one key signs every token of the tenant, as on Auth0.
   */
  async exportPrivateJwk(): Promise<JWK> {
    return { ...(await exportJWK(this.privateKey)), kid: this.kid, alg: "RS256", use: "sig" };
  }

  signJwt(payload: Record<string, unknown>): string {
    const header = { alg: "RS256", typ: "JWT", kid: this.kid };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
    const signature = sign("sha256", Buffer.from(signingInput), this.privateKey);
    return `${signingInput}.${signature.toString("base64url")}`;
  }

  /** A Management API access token shaped like Auth0's for the client-credentials grant. */
  signManagementToken(domain: string, claims: ManagementTokenClaims): string {
    const iat = Math.floor(Date.now() / 1000);
    return this.signJwt({
      iss: `https://${domain}/`,
      sub: `${claims.clientId}@clients`,
      aud: `https://${domain}/api/v2/`,
      iat,
      exp: iat + claims.expiresInSeconds,
      scope: claims.scopes.join(" "),
      gty: "client-credentials",
      azp: claims.clientId,
    });
  }

  /** Undefined for anything but an unexpired token that this tenant issued for its Management API. */
  async verifyManagementToken(domain: string, token: string): Promise<VerifiedManagementToken | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        issuer: `https://${domain}/`,
        audience: `https://${domain}/api/v2/`,
      });
      const scope = typeof payload["scope"] === "string" ? payload["scope"] : "";
      return { scopes: new Set(scope.split(" ").filter(Boolean)), payload };
    } catch {
      return undefined;
    }
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
