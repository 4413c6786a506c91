#!/usr/bin/env node
// The user's browser for logins against a dev tenant that shows its pages (started without
// --auto-login): Debian's Chromium, driven by playwright-core (never a downloaded browser), opens
// the authorization URL, picks $LOGIN_EMAIL (default admin@example.com) on the login page, answers
// the consent screen ($CONSENT: accept, the default, or decline), and waits until the browser
// reaches the client's redirect URI or stops on an error page. Usable as $BROWSER — how xdg-open
// (and so the MCP Inspector) and `mcp-auth0 try` open a URL — as a person at a desktop would log in.
// Says where it ended on stderr, or in $HEADLESS_BROWSER_LOG when set (xdg-open drops its output).
//   usage: [LOGIN_EMAIL=…] [CONSENT=decline] scripts/ci/chromium-login.mjs <authorization url>
import { appendFileSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.argv[2];
if (!url) throw new Error("usage: chromium-login.mjs <authorization url>");
const email = process.env.LOGIN_EMAIL ?? "admin@example.com";
const say = (line) => (process.env.HEADLESS_BROWSER_LOG ? appendFileSync(process.env.HEADLESS_BROWSER_LOG, `${line}\n`) : console.error(line));

const tenant = new URL(url).origin;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
try {
  // The dev tenant's certificate comes from its own CA, which this browser profile does not hold.
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  await page.goto(url);
  for (let step = 0; step < 4 && new URL(page.url()).origin === tenant; step++) {
    const title = await page.title();
    const button =
      title === "Log in"
        ? page.getByRole("button", { name: `<${email}>` })
        : title === "Authorize App"
          ? page.getByRole("button", { name: process.env.CONSENT === "decline" ? "Decline" : "Accept" })
          : undefined;
    if (!button) break;
    const before = page.url();
    await Promise.all([page.waitForURL((next) => next.href !== before), button.click()]);
    await page.waitForLoadState();
  }
  const ended = new URL(page.url());
  const where =
    ended.origin === tenant
      ? `${ended.pathname} on the tenant: ${(await page.textContent("body"))?.replace(/\s+/g, " ").trim().slice(0, 200)}`
      : `${ended.origin}${ended.pathname}`;
  say(`chromium-login: ${email} → ${where}`);
} finally {
  await browser.close();
}
