import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KEY, startInTerminal, type Terminal } from "../support/pty.js";
import { codeBlockUnder } from "../support/shell.js";
import { freshFixture, type Fixture } from "../support/tenant.js";

/*
 * Issue 12, "Done when" #1: the real wizard (the built bin) in a real pseudo-terminal, typed at as
 * a person would — wrong answers included — against the local test tenant. The transcript of the
 * full run is the one the README shows.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(repo, "bin", "mcp-auth0.js");
const SERVER_URL = "https://mcp.example.com/mcp";

let fx: Fixture;
let term: Terminal | undefined;
afterEach(async () => {
  // Only when a test failed midway: the child is still ours and still running.
  if (term?.pid && (await Promise.race([term.exited.then(() => false), new Promise((r) => setTimeout(() => r(true), 10))]))) process.kill(term.pid, "SIGKILL");
  await fx?.tenant.close();
});

/** The wizard, with no credentials in the environment: it asks for them first. A terminal, not CI. */
async function wizard(): Promise<Terminal> {
  expect(existsSync(join(repo, "dist", "cli.js")), "run `npm run build` first (npm test does)").toBe(true);
  fx = await freshFixture();
  // A project with no roles file yet, as a person starting out has.
  await rm(join(fx.dir, "roles.yaml"));
  const ca = join(fx.dir, "local-ca.pem");
  await writeFile(ca, fx.tenant.caCertPem);
  const env = { PATH: process.env.PATH, HOME: fx.dir, TERM: "xterm-256color", NO_COLOR: "1", NODE_EXTRA_CA_CERTS: ca };
  term = startInTerminal([process.execPath, bin, "init"], { cwd: fx.dir, env, columns: 160 });
  return term;
}

/** Answers one question: waits for it, types, and returns once the keys are sent. */
async function answer(t: Terminal, question: RegExp, keys: string): Promise<void> {
  await t.waitFor(question);
  t.type(keys);
}

/** The session as the README shows it: this run's port, ids and secret length replaced by stable ones. */
function normalize(screen: string, f: Fixture): string {
  const ids = [...f.tenant.store.resourceServers.map((r) => r.id), ...f.tenant.store.clientGrants.map((g) => g.id)];
  return ids
    .reduce((text, id) => text.replaceAll(id, "<id>"), screen)
    .replaceAll(f.tenant.domain, "localhost:4000")
    .replaceAll(f.tenant.m2m.clientId, "<client id>")
    .replace(/\*{4,}/g, "********");
}

describe("init, the wizard, in a pseudo-terminal", () => {
  it("forgives a blank name and a wrong roles path, finishes with no roles file, writes MCP_SERVER_URL; Ctrl-C at the save question says it was applied", async () => {
    const t = await wizard();
    await answer(t, /Auth0 tenant domain/, `${fx.tenant.domain}${KEY.enter}`);
    await answer(t, /Client ID/, `${fx.tenant.m2m.clientId}${KEY.enter}`);
    await answer(t, /client secret/, `${fx.tenant.m2m.clientSecret}${KEY.enter}`);
    await t.waitFor(/Connected to /);
    await answer(t, /MCP server's URL/, `${SERVER_URL}${KEY.enter}`);
    await answer(t, /API identifier/, KEY.enter);
    // A blank name is refused where it is typed, and asked again.
    await answer(t, /API name/, `${KEY.backspace.repeat(10)}   ${KEY.enter}`);
    await t.waitFor(/must be 1–200 characters/);
    t.type(`${KEY.backspace.repeat(3)}Wizard MCP${KEY.enter}`);
    await answer(t, /Scopes/, KEY.enter);
    await answer(t, /MCP clients your users connect with/, KEY.enter);
    await answer(t, /Connections MCP clients may log users in with/, `${KEY.space}${KEY.enter}`);
    await answer(t, /Roles \(who gets/, `${KEY.down}${KEY.enter}`);
    // A roles file that does not exist: asked again; empty then means none.
    await answer(t, /Roles file/, `nope.yaml${KEY.enter}`);
    await t.waitFor(/it does not exist/);
    t.type(`${KEY.backspace.repeat(9)}${KEY.enter}`);
    await answer(t, /Where to write the MCP server's \.env/, KEY.enter);
    await answer(t, /\.env preset/, KEY.enter);
    await answer(t, /Apply these changes\?/, KEY.enter);
    await answer(t, /Save these answers/, KEY.ctrlC);
    const code = await t.exited;

    const screen = t.screen();
    expect(screen).toContain("Ready for MCP clients");
    expect(screen).toMatch(/Cancelled — the changes above were applied/);
    expect(code).toBe(130);
    const env = await readFile(join(fx.dir, ".env"), "utf8");
    expect(env).toContain(`MCP_SERVER_URL=${SERVER_URL}\n`);
    expect(env).toContain(`AUTH0_AUDIENCE=${SERVER_URL}\n`);
    expect(fx.tenant.store.resourceServers.find((r) => r.identifier === SERVER_URL)?.name).toBe("Wizard MCP");
    expect(fx.tenant.store.connections.find((c) => c.name === "Username-Password-Authentication")!.is_domain_connection).toBe(true);
    expect(existsSync(join(fx.dir, "mcp-auth0.config.yaml"))).toBe(false);
    expect(screen).not.toContain(fx.tenant.m2m.clientSecret);

    // The README's recorded session is this one. RECORD_WIZARD=<file> writes it there, to update the README.
    if (process.env.RECORD_WIZARD) await writeFile(process.env.RECORD_WIZARD, `${normalize(screen, fx)}\n`);
    const readme = codeBlockUnder(await readFile(join(repo, "README.md"), "utf8"), "A recorded wizard session");
    expect(normalize(screen, fx)).toBe(readme.trimEnd());
  });

  it("Ctrl-C at the first question: Cancelled, exit 130, nothing written", async () => {
    const t = await wizard();
    await answer(t, /Auth0 tenant domain/, KEY.ctrlC);
    expect(await t.exited).toBe(130);
    expect(t.screen()).toContain("Cancelled — nothing was changed");
    expect(t.screen()).not.toMatch(/Unexpected failure|ExitPromptError/);
    expect(fx.tenant.calls).toEqual([]);
    expect(existsSync(join(fx.dir, ".env"))).toBe(false);
  });

  it("Esc at a question cancels like Ctrl-C", async () => {
    const t = await wizard();
    await answer(t, /Auth0 tenant domain/, "\x1b");
    expect(await t.exited).toBe(130);
    expect(t.screen()).toContain("Cancelled — nothing was changed");
    expect(fx.tenant.calls).toEqual([]);
  });
});
