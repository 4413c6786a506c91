import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { join } from "node:path";

import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, id_ce_nameConstraints, NameConstraints } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";

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
/**
 * The CA is short-lived: a CA key that leaks (the data directory copied, a backup) stops being
 * useful within a month. Clients trust the CA file by path (NODE_EXTRA_CA_CERTS), so a renewed CA
 * needs no new step from the user.
 */
export const CA_LIFETIME_MS = 30 * DAY_MS;
/** CA and server certificate are renewed together this long before the CA expires. */
const RENEW_BEFORE_MS = 7 * DAY_MS;

/** The only names the CA may sign for (X.509 name constraints, critical): this machine. */
export const PERMITTED_NAMES = { dns: ["localhost"], ip: ["127.0.0.1", "::1"] } as const;

/*
 * A private CA signs a certificate for localhost, 127.0.0.1 and ::1. Clients trust the CA, not the
 * leaf. The CA carries critical name constraints, so even a leaked CA key cannot sign a certificate
 * that a machine trusting it would accept for any other host. EC P-256 keys keep generation in the
 * milliseconds. Built with @peculiar/x509 (selfsigned cannot write name constraints).
 */

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

function nameConstraintsExtension(): x509.Extension {
  const permitted = new GeneralSubtrees([
    ...PERMITTED_NAMES.dns.map((dNSName) => new GeneralSubtree({ base: new GeneralName({ dNSName }) })),
    // An IP constraint is an address and a mask (RFC 5280 §4.2.1.10): one host each.
    ...PERMITTED_NAMES.ip.map((ip) => new GeneralSubtree({ base: new GeneralName({ iPAddress: `${ip}/${ip.includes(":") ? 128 : 32}` }) })),
  ]);
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted })));
}

function serialNumber(): string {
  // Positive, 16 bytes.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return crypto.subtle.importKey("pkcs8", der, ALGORITHM, false, ["sign"]);
}

async function createCa(now = Date.now()): Promise<{ cert: string; key: string }> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: "CN=mcp-auth0 local tenant CA, O=mcp-auth0",
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      nameConstraintsExtension(),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await exportKeyPem(keys.privateKey) };
}

async function createServerCert(ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: "CN=localhost",
    issuer: caCert.subject,
    // Never outlives its CA: both are renewed together.
    notBefore: caCert.notBefore,
    notAfter: caCert.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...PERMITTED_NAMES.dns.map((value) => ({ type: "dns" as const, value })),
        ...PERMITTED_NAMES.ip.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString("pem"), key: await exportKeyPem(keys.privateKey) };
}

/**
 * A CA to keep: unexpired for a while yet, and name-constrained (a CA from an earlier version,
 * valid for years and for any name, is replaced).
 */
function caStillGood(caCertPem: string): boolean {
  try {
    const ca = new x509.X509Certificate(caCertPem);
    const constrained = ca.getExtension(id_ce_nameConstraints)?.critical === true;
    return constrained && ca.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS && ca.notAfter.getTime() - ca.notBefore.getTime() <= CA_LIFETIME_MS + DAY_MS;
  } catch {
    return false;
  }
}

function issuedBy(certPem: string, caCertPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caCertPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/** In memory when `dataDir` is undefined; otherwise loaded from it, or created (or renewed) and saved there. */
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
  let renewed = false;
  if (caCert === undefined || caKey === undefined || !caStillGood(caCert)) {
    const ca = await createCa();
    caCert = ca.cert;
    caKey = ca.key;
    writeFileAtomic(caKeyPath, caKey, 0o600);
    writeFileAtomic(caCertPath, caCert);
    renewed = true;
  }

  let cert = readIfExists(certPath);
  let key = readIfExists(keyPath);
  if (renewed || cert === undefined || key === undefined || !issuedBy(cert, caCert)) {
    const server = await createServerCert({ cert: caCert, key: caKey });
    cert = server.cert;
    key = server.key;
    writeFileAtomic(keyPath, key, 0o600);
    writeFileAtomic(certPath, cert);
  }

  return { caCertPem: caCert, caKeyPem: caKey, certPem: cert, keyPem: key, caCertPath };
}
