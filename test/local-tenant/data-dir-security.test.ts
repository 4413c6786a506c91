import { execFile } from "node:child_process";
import { webcrypto, X509Certificate } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import * as x509 from "@peculiar/x509";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { DEFAULT_DATA_DIR } from "../../src/tenant/local.js";
import { runDev } from "../../src/commands/dev.js";
import { createContext } from "../../src/session/context.js";
import { Capture, cli } from "../support/cli.js";
import { startLocalTenant } from "../../src/local-tenant/server.js";
import { CA_LIFETIME_MS, loadOrCreateTls } from "../../src/local-tenant/tls.js";

/*
 * Issue 16, defect 10: the dev data directory (CA key, signing key, client secrets) never reaches
 * git, and its CA can only ever vouch for this machine, for a month.
 */

const run = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-data-dir-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the data directory and git", () => {
  it("`git add -A` in a project containing it stages none of its files", async () => {
    await run("git", ["init", "-q", dir]);
    const dataDir = join(dir, DEFAULT_DATA_DIR);
    const tenant = await startLocalTenant({ dataDir });
    tenant.store.addRole({ name: "Changed" });
    await tenant.close();
    await writeFile(join(dir, "server.ts"), "// the project's own file\n");

    await run("git", ["add", "-A"], { cwd: dir });
    const { stdout } = await run("git", ["diff", "--cached", "--name-only"], { cwd: dir });
    // The project's file is staged (the command worked); nothing of the data directory is.
    expect(stdout.trim().split("\n")).toEqual(["server.ts"]);
    expect(await readFile(join(dataDir, ".gitignore"), "utf8")).toMatch(/^\*$/m);
  });
});

describe("the data directory's owner and mode (issue 21, item 11)", () => {
  it("one made world-writable beforehand is tightened to 0700, and `mcp-auth0 dev` says so", async () => {
    const dataDir = join(dir, "state");
    await mkdir(dataDir);
    await chmod(dataDir, 0o777);
    const stderr = new Capture();
    const ctx = createContext({ color: false, timeout: 30, dataDir }, { env: { PATH: process.env.PATH }, cwd: dir, stdout: new Capture(), stderr, stdinIsTTY: false });
    expect(await runDev({ port: 0 }, ctx, [], { until: Promise.resolve() })).toBe(0);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(stderr.text).toContain(`⚠ The data directory ${dataDir} was open to other users (mode 0777); it is now 0700.`);
  });

  it("another user's is refused before anything is read from it or written to it", async () => {
    // As root, a directory given to nobody; otherwise one that root owns.
    const foreign = process.getuid?.() === 0 ? join(dir, "theirs") : "/";
    if (foreign !== "/") {
      await mkdir(foreign, { mode: 0o777 });
      await chown(foreign, 65534, 65534);
    }
    const result = await cli(["dev", "--port", "0", "--data-dir", foreign], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The data directory ${foreign} belongs to another user`);
    await expect(stat(join(foreign, ".gitignore"))).rejects.toThrow();
  });
});

describe("the dev CA", () => {
  it("is a CA for a month, with critical name constraints to localhost, 127.0.0.1 and ::1 (node's X509Certificate and openssl)", async () => {
    const tenant = await startLocalTenant({ dataDir: dir, oauth: false });
    await tenant.close();
    const ca = new X509Certificate(tenant.caCertPem);
    expect(ca.ca).toBe(true);
    const lifetime = Date.parse(ca.validTo) - Date.parse(ca.validFrom);
    expect(lifetime).toBeLessThanOrEqual(CA_LIFETIME_MS + DAY_MS);
    expect(lifetime).toBeLessThanOrEqual(31 * DAY_MS);

    const { stdout } = await run("openssl", ["x509", "-noout", "-text", "-in", join(dir, "ca.pem")]);
    expect(stdout).toMatch(
      /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+IP:127\.0\.0\.1\/255\.255\.255\.255\s+IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/,
    );
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);

    // The server certificate is issued by it, for exactly the permitted names, and expires with it.
    const leaf = new X509Certificate(await readFile(join(dir, "server.pem"), "utf8"));
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(Date.parse(leaf.validTo)).toBeLessThanOrEqual(Date.parse(ca.validTo));
  });

  it("a certificate its key signs for any other host is refused by a client that trusts it", async () => {
    const tls = await loadOrCreateTls(dir);
    const caCert = new x509.X509Certificate(tls.caCertPem);
    const caKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decode(tls.caKeyPem)[0]!, ALGORITHM, false, ["sign"]);
    const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
    // What a thief holding the CA key would make.
    const forge = (host: string) =>
      x509.X509CertificateGenerator.create({
        serialNumber: "0badc0de",
        subject: `CN=${host}`,
        issuer: caCert.subject,
        notBefore: new Date(Date.now() - DAY_MS),
        notAfter: new Date(Date.now() + DAY_MS),
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm: ALGORITHM,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: host }]), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])],
      });
    const keyPem = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");

    const connect = async (cert: string, key: string, servername: string): Promise<string> => {
      const server = https.createServer({ cert, key }, (_req, res) => res.end("ok"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      try {
        return await new Promise<string>((resolve) => {
          const req = https.get({ host: "127.0.0.1", port, servername, headers: { host: servername }, ca: tls.caCertPem }, (res) => {
            res.resume();
            resolve(`ok ${res.statusCode ?? 0}`);
          });
          req.on("error", (error: NodeJS.ErrnoException) => resolve(`${error.code ?? ""} ${error.message}`));
        });
      } finally {
        server.closeAllConnections();
        server.close();
      }
    };

    // The genuine certificate is accepted, and so is one the key makes for a permitted name; the one
    // for another host fails chain verification on the name constraints.
    expect(await connect(tls.certPem, tls.keyPem, "localhost")).toBe("ok 200");
    expect(await connect((await forge("mcp.localhost")).toString("pem"), keyPem, "mcp.localhost")).toBe("ok 200");
    expect(await connect((await forge("bank.example")).toString("pem"), keyPem, "bank.example")).toMatch(/permitted subtree violation/i);
  });

  it("is replaced, with the server certificate, when it is about to expire or has no name constraints", async () => {
    // A CA from before: valid 3 more days (and, like the old ones, without constraints).
    const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
    const old = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=old CA",
      notBefore: new Date(Date.now() - 27 * DAY_MS),
      notAfter: new Date(Date.now() + 3 * DAY_MS),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    await writeFile(join(dir, "ca.pem"), old.toString("pem"));
    await writeFile(join(dir, "ca-key.pem"), x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY"));

    const renewed = await loadOrCreateTls(dir);
    expect(renewed.caCertPem).not.toBe(old.toString("pem"));
    expect(await readFile(join(dir, "ca.pem"), "utf8")).toBe(renewed.caCertPem);
    const ca = new X509Certificate(renewed.caCertPem);
    expect(Date.parse(ca.validTo) - Date.now()).toBeGreaterThan(25 * DAY_MS);
    expect(new X509Certificate(renewed.certPem).checkIssued(ca)).toBe(true);

    // A good CA is kept: a restart changes nothing the user trusted.
    expect((await loadOrCreateTls(dir)).caCertPem).toBe(renewed.caCertPem);
  });
});
