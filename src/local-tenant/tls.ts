import { X509Certificate } from "node:crypto";
import { join } from "node:path";

import { generate } from "selfsigned";

import { DATA_FILES, ensureDir, readIfExists, writeFileAtomic } from "./persistence.js";

export interface TlsMaterial {
  caCertPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  /** Set when the CA lives in a data directory: what NODE_EXTRA_CA_CERTS should point at. */
  caCertPath?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Renew the server certificate this long before it expires, keeping the same CA (users trusted it once). */
const RENEW_BEFORE_MS = 7 * DAY_MS;

/*
 * A private CA signs a certificate for localhost, 127.0.0.1 and ::1. Clients trust the CA, not the
 * leaf, so the leaf can be renewed without asking the user to trust anything again. EC P-256 keys
 * keep generation in the tens of milliseconds; selfsigned signs with the CA's key only when CA and
 * leaf use the same key type.
 */

async function createCa(): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: "mcp-auth0 local tenant CA" }, { name: "organizationName", value: "mcp-auth0" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + 10 * 365 * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function createServerCert(ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    // Below the 398 days that browsers accept for server certificates.
    notAfterDate: new Date(now.getTime() + 397 * DAY_MS),
    ca,
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function stillValid(certPem: string, caCertPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caCertPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/** In memory when `dataDir` is undefined; otherwise loaded from it, or created and saved there. */
export async function loadOrCreateTls(dataDir?: string): Promise<TlsMaterial> {
  if (dataDir === undefined) {
    const ca = await createCa();
    const server = await createServerCert(ca);
    return { caCertPem: ca.cert, caKeyPem: ca.key, certPem: server.cert, keyPem: server.key };
  }

  ensureDir(dataDir);
  const caCertPath = join(dataDir, DATA_FILES.caCert);
  const caKeyPath = join(dataDir, DATA_FILES.caKey);
  const certPath = join(dataDir, DATA_FILES.serverCert);
  const keyPath = join(dataDir, DATA_FILES.serverKey);

  let caCert = readIfExists(caCertPath);
  let caKey = readIfExists(caKeyPath);
  if (caCert === undefined || caKey === undefined) {
    const ca = await createCa();
    caCert = ca.cert;
    caKey = ca.key;
    writeFileAtomic(caKeyPath, caKey, 0o600);
    writeFileAtomic(caCertPath, caCert);
  }

  let cert = readIfExists(certPath);
  let key = readIfExists(keyPath);
  if (cert === undefined || key === undefined || !stillValid(cert, caCert)) {
    const server = await createServerCert({ cert: caCert, key: caKey });
    cert = server.cert;
    key = server.key;
    writeFileAtomic(keyPath, key, 0o600);
    writeFileAtomic(certPath, cert);
  }

  return { caCertPem: caCert, caKeyPem: caKey, certPem: cert, keyPem: key, caCertPath };
}
