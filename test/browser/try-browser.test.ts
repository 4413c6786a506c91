import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { startDevTenant, type DevTenant } from "../../src/local-tenant/dev.js";
import { cli } from "../support/cli.js";
import { freePort } from "../support/shell.js";
import { ROLES_YAML } from "../support/tenant.js";
import { trustingFetch } from "../dev/support/mcp-client.js";
import { startServer, type RunningServer } from "../../examples/mcp-server/src/server.js";

/*
 * `mcp-auth0 try` on a real-tenant-shaped setup: no --local, so it logs in the way it does on
 * Auth0 — the system browser opens the authorization URL and the login comes back to a loopback
 * redirect URI it listens on. The dev tenant runs without --auto-login (its login and consent
 * pages are shown), and the "system browser" is Debian's Chromium driven through those pages by
 * playwright-core, put in place through $BROWSER as xdg-open honours it
 * (scripts/ci/chromium-login.mjs). The client it registers is kept and reused: a second run
 * registers nothing (every registration is an application of the tenant).
 */

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env["CI"]);
if (!haveChromium && !inCi) console.warn(`Skipping the browser login test: no Chromium at ${CHROMIUM}.`);

const BROWSER = resolve(import.meta.dirname, "../../scripts/ci/chromium-login.mjs");
let dir: string;
let dev: DevTenant;
let trusted: ReturnType<typeof trustingFetch>;
let server: RunningServer;

beforeAll(async () => {
  if (!haveChromium) return;
  dir = await mkdtemp(join(tmpdir(), "mcp-auth0-try-browser-"));
  await writeFile(join(dir, "roles.yaml"), ROLES_YAML);
  dev = await startDevTenant({ port: 0, dataDir: join(dir, ".mcp-auth0") });
  trusted = trustingFetch(dev.caCertPem);
  const port = await freePort();
  const url = `http://localhost:${port}/mcp`;
  server = await startServer({ domain: dev.domain, audience: url, port, fetch: trusted.fetch, log: () => undefined });
  const init = await cli(
    [
      "init",
      "--local",
      "--server-url",
      url,
      "--scopes",
      "tool:whoami=Read your identity,tool:greet=Greet someone",
      "--connections",
      "Username-Password-Authentication",
      "--roles",
      "roles.yaml",
    ],
    { cwd: dir },
  );
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await server?.close();
  await dev?.close();
  await trusted?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.runIf(haveChromium || inCi)("mcp-auth0 try with the system browser", () => {
  it("logs in through the tenant's pages in Chromium, calls a tool, and reuses its registration on a second run", async () => {
    const env = { HOME: dir, BROWSER, XDG_CACHE_HOME: join(dir, "cache"), HEADLESS_BROWSER_LOG: join(dir, "browser.log"), LOGIN_EMAIL: "admin@example.com" };
    // Not --local: the tenant's CA is trusted the way NODE_EXTRA_CA_CERTS would (the test's in-process seam).
    const run = () => cli(["try", "--server-url", server.url, "--tool", "greet", "--login-timeout", "60", "--json"], { cwd: dir, env, ca: dev.caCertPem });
    const clients = () => dev.store.clients.filter((c) => c.is_first_party === false).map((c) => c.client_id);

    const first = await run();
    expect(first.code, `${first.stderr}\n${await readFile(env.HEADLESS_BROWSER_LOG, "utf8").catch(() => "")}`).toBe(0);
    expect(first.stderr).toMatch(/Log in in the browser; if none opens, open this URL:\n {2}https:\/\/localhost:\d+\/authorize\?/);
    expect(first.stderr).toMatch(/✔ Login: logged in \(PKCE S256, resource http:\/\/localhost:\d+\/mcp\)/);
    expect(first.stderr).toMatch(/✔ tools\/call greet: answered: Hello, auth0\|/);
    const registered = JSON.parse(first.stdout).client;
    expect(registered).toMatchObject({ how: "registered", id: expect.stringMatching(/^tpc_/) });
    expect(clients()).toEqual([registered.id]);
    const kept = JSON.parse(await readFile(join(env.XDG_CACHE_HOME, "mcp-auth0", "clients.json"), "utf8"));
    expect(kept.registrations).toEqual([
      expect.objectContaining({ issuer: dev.issuer, resource: server.url, clientId: registered.id, redirectUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/) }),
    ]);

    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).client).toEqual({ how: "reused", id: registered.id });
    expect(second.stderr).toContain(`reused ${registered.id}`);
    expect(clients()).toEqual([registered.id]);
    // Both logins went through the pages to the loopback callback, as a person's would.
    expect((await readFile(env.HEADLESS_BROWSER_LOG, "utf8")).trim().split("\n")).toEqual([
      expect.stringMatching(/^chromium-login: admin@example\.com → http:\/\/127\.0\.0\.1:\d+\/callback$/),
      expect.stringMatching(/^chromium-login: admin@example\.com → http:\/\/127\.0\.0\.1:\d+\/callback$/),
    ]);
  });
});
