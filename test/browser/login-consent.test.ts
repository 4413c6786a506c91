import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { decodeJwt } from "jose";
import { chromium, type Browser, type Page } from "playwright-core";

import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { AUTH0_ERRORS } from "../../src/local-tenant/oauth/policy.js";
import { cli } from "../support/cli.js";
import { exampleArgs, IDENTIFIER, ROLES_YAML } from "../support/tenant.js";
import { trustingFetch } from "../dev/support/mcp-client.js";

/*
 * The dev tenant's login and consent pages in a real browser: headless Chromium (Debian's
 * `chromium` package, driven by playwright-core — no browser is downloaded) opens the
 * authorization URL an MCP client builds after registering by DCR, picks a dev user, reads the
 * consent screen and answers it, as a user of an MCP client would. Each page is saved as a
 * screenshot under test-results/browser/ (CI keeps the folder as an artifact).
 */

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env["CI"]);
const SCREENSHOTS = join(process.cwd(), "test-results", "browser");
const MISSING = `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH.`;
if (!haveChromium && !inCi) console.warn(`Skipping the browser test. ${MISSING}`);

let dir: string;
let dev: DevTenant;
let trusted: ReturnType<typeof trustingFetch>;
let browser: Browser;
let callbackServer: Server;
let callbackUrl: string;
/** Every request that reached the MCP client's redirect URI. */
const callbacks: URL[] = [];

const local = (args: string[]) => cli([...args, "--local"], { cwd: dir });

/** SHA-256 of the tenant certificate's public key: Chromium trusts exactly that key, nothing else. */
function spkiHash(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false }, () => {
      const der = socket.getPeerX509Certificate()!.publicKey.export({ type: "spki", format: "der" });
      socket.end();
      resolve(createHash("sha256").update(der).digest("base64"));
    });
    socket.once("error", reject);
  });
}

/** What an MCP client does before it opens the browser: DCR, then an authorization URL with PKCE and `resource`. */
async function mcpClientLogin(clientName: string): Promise<{ clientId: string; url: URL; state: string; verifier: string }> {
  const registration = await trusted.fetch(`${dev.url}/oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: clientName,
      redirect_uris: [callbackUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }),
  });
  expect(registration.status).toBe(201);
  const clientId = String(((await registration.json()) as { client_id: string }).client_id);
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(16).toString("base64url");
  const url = new URL(`${dev.url}/authorize`);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: callbackUrl,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state,
    resource: IDENTIFIER,
    scope: "tool:whoami tool:greet",
  })) {
    url.searchParams.set(k, v);
  }
  return { clientId, url, state, verifier };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens the authorization URL, checks it is the login page for this client, and picks the dev user. */
async function logInAs(page: Page, url: URL, clientName: string, email: string, shot: string): Promise<void> {
  await page.goto(url.href);
  await expect.poll(() => page.title()).toBe("Log in");
  await screenshot(page, shot);
  expect(await page.getByRole("heading").first().textContent()).toBe(`Log in to ${clientName}`);
  await page.getByRole("button", { name: new RegExp(`<${email.replace(/\./g, "\\.")}>`) }).click();
  await page.waitForLoadState();
}

describe.runIf(haveChromium || inCi)("login and consent pages in headless Chromium", () => {
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`The browser test needs Chromium in CI. ${MISSING}`);
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "mcp-auth0-browser-"));
    await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
    // No --auto-login: the pages are what this test is about.
    dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0") });
    trusted = trustingFetch(dev.caCertPem);
    const init = await local(exampleArgs(dir));
    expect(init.stderr).toMatch(/Ready for MCP clients/);
    expect(init.code).toBe(0);

    // The MCP client's loopback redirect URI, as a desktop client would listen on.
    callbackServer = createServer((req, res) => {
      callbacks.push(new URL(req.url ?? "/", callbackUrl));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>Signed in</title><h1>Signed in</h1><p>You can close this window.</p>");
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;

    const port = Number(new URL(dev.url).port);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [`--ignore-certificate-errors-spki-list=${await spkiHash(port)}`] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
    await dev?.close();
    await trusted?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("logs a dev user in, shows the API's scope descriptions for consent, and lands on the callback with code and iss", async () => {
    const login = await mcpClientLogin("Browser MCP client");
    const page = await browser.newPage();
    try {
      await logInAs(page, login.url, "Browser MCP client", "admin@example.com", "login");

      // The consent screen: init turned on use_scope_descriptions_for_consent, so the user reads
      // the descriptions given with --scopes, not the scope values.
      await expect.poll(() => page.title()).toBe("Authorize App");
      await screenshot(page, "consent");
      expect(await page.getByRole("heading").first().textContent()).toBe("Authorize Browser MCP client");
      expect(await page.getByRole("listitem").allTextContents()).toEqual(["Read your identity", "Greet someone"]);
      expect(await page.textContent("body")).toContain("admin@example.com");

      await page.getByRole("button", { name: "Accept" }).click();
      await page.waitForURL((url) => url.href.startsWith(callbackUrl));
      await screenshot(page, "callback");
      const callback = new URL(page.url());
      expect(callback.searchParams.get("error")).toBeNull();
      expect(callback.searchParams.get("state")).toBe(login.state);
      expect(callback.searchParams.get("iss")).toBe(dev.issuer);
      const code = callback.searchParams.get("code");
      expect(code).toBeTruthy();

      // The code is real: the MCP client exchanges it for a token for the API.
      const token = await trusted.fetch(`${dev.url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: login.clientId,
          code: code!,
          code_verifier: login.verifier,
          redirect_uri: callbackUrl,
          resource: IDENTIFIER,
        }),
      });
      expect(token.status).toBe(200);
      const claims = decodeJwt(((await token.json()) as { access_token: string }).access_token);
      expect(claims).toMatchObject({ iss: dev.issuer, aud: IDENTIFIER, client_id: login.clientId });
      expect(String(claims["scope"]).split(" ").sort()).toEqual(["tool:greet", "tool:whoami"]);
    } finally {
      await page.close();
    }
  });

  /*
   * Strict third-party clients (every DCR client) do not get an authentication error sent to
   * their callback on Auth0: Auth0 shows its error page and the MCP client waits in vain
   * (AUTH0-FACTS, "Corrections and additions"). These two need the dev tenant to render that
   * page instead of redirecting.
   */
  describe("authentication errors of a strict third-party client: Auth0's error page, not a redirect", () => {
    /** The browser stayed on the tenant, on an error page naming the error, and the MCP client heard nothing. */
    async function expectErrorPage(page: Page, state: string, error: string, description: string): Promise<void> {
      expect(new URL(page.url()).origin).toBe(dev.url);
      expect(callbacks.filter((c) => c.searchParams.get("state") === state)).toEqual([]);
      const text = await page.textContent("body");
      expect(text).toContain(error);
      expect(text).toContain(description);
    }

    it("a declined consent", async () => {
      const login = await mcpClientLogin("Declined MCP client");
      const page = await browser.newPage();
      try {
        await logInAs(page, login.url, "Declined MCP client", "admin@example.com", "login-declined");
        await expect.poll(() => page.title()).toBe("Authorize App");
        await page.getByRole("button", { name: "Decline" }).click();
        await page.waitForLoadState();
        await screenshot(page, "consent-declined");
        await expectErrorPage(page, login.state, "access_denied", AUTH0_ERRORS.consentDenied);
      } finally {
        await page.close();
      }
    });

    it("no domain-level connection", async () => {
      const demoted = await local(["promote-connection", "--demote", "Username-Password-Authentication", "google-oauth2"]);
      expect(demoted.code).toBe(0);
      const page = await browser.newPage();
      try {
        const login = await mcpClientLogin("Connectionless MCP client");
        await page.goto(login.url.href);
        await page.waitForLoadState();
        await screenshot(page, "no-domain-connection");
        await expectErrorPage(page, login.state, "invalid_request", AUTH0_ERRORS.noConnections);
      } finally {
        await page.close();
        expect((await local(["promote-connection", "Username-Password-Authentication", "google-oauth2"])).code).toBe(0);
      }
    });
  });
});
