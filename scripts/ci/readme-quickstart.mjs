#!/usr/bin/env node
// Runs the README's "Try it with no account" block as written, line by line, through bash, from a
// folder that holds a clone of mcp-auth0 in `mcp-auth0/` (after `npm ci && npm pack`, as Install
// says). Lines whose comment says "terminal N" keep running (the dev tenant, the MCP server): each
// is started and waited for, as a person opens another terminal. Only the ports differ from the
// README: `dev` gets a free --port, and the server's port 3000 becomes a free one (in the block,
// in the copied example's config, and as PORT), so that a busy port cannot fail the run. The
// Inspector's line gets what a terminal-less run needs (MCP_AUTO_OPEN_ENABLED, a free callback
// port, $BROWSER = scripts/ci/chromium-login.mjs of the clone, its files in the work folder);
// --skip-inspector leaves it out.
// Prints each line with its time and the total; exits non-zero on the first line that fails.
// Every process it started is stopped at the end (their process groups, by the pids it recorded).
//   usage: node scripts/ci/readme-quickstart.mjs <work dir> [--skip-inspector]
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const [work, ...flags] = process.argv.slice(2);
if (!work) throw new Error("usage: readme-quickstart.mjs <work dir> [--skip-inspector]");
const skipInspector = flags.includes("--skip-inspector");
const clone = join(work, "mcp-auth0");

/** The body of the first fenced block under a heading of the README (test/support/shell.ts's rule). */
function block(markdown, heading) {
  const start = markdown.search(new RegExp(`^#+ ${heading}\\s*$`, "m"));
  const fence = /^```[^\n]*\n([\s\S]*?)^```/m.exec(markdown.slice(start));
  if (start < 0 || !fence) throw new Error(`No code block under "${heading}" in the README`);
  return fence[1].split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
}

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const started = [];
const stopAll = () => {
  for (const child of started) {
    // Only what this script started and that still runs: its process group (npx, then node).
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }
};
process.on("exit", stopAll);

const serverPort = await freePort();
const devPort = await freePort();
const env = {
  ...process.env,
  CI: "true",
  PORT: String(serverPort),
  // A machine that reaches the npm registry through a proxy with its own CA trusts it through
  // NODE_EXTRA_CA_CERTS; the block sets that variable to the dev tenant's CA for the Inspector's
  // npx, so npm is given the machine's CA file its own way.
  ...(process.env.NODE_EXTRA_CA_CERTS && !process.env.npm_config_cafile ? { npm_config_cafile: process.env.NODE_EXTRA_CA_CERTS } : {}),
};
let cwd = work;
const t0 = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

for (const written of block(readFileSync(join(clone, "README.md"), "utf8"), "Try it with no account")) {
  let line = written.replaceAll("localhost:3000", `localhost:${serverPort}`);
  const inspector = line.includes("@modelcontextprotocol/inspector");
  if (inspector && skipInspector) {
    console.log(`skipped: ${written}`);
    continue;
  }
  const background = /#\s*terminal \d/.test(line);
  if (/^npx mcp-auth0 dev\b/.test(line)) line = line.replace(/^npx mcp-auth0 dev\b/, `npx mcp-auth0 dev --port ${devPort}`);
  const lineEnv = inspector
    ? {
        ...env,
        // The Inspector's catalog and client config stay in the work folder; its secrets in memory.
        MCP_CATALOG_PATH: join(work, "inspector", "mcp.json"),
        MCP_CLIENT_CONFIG_PATH: join(work, "inspector", "client.json"),
        MCP_INSPECTOR_SECRET_STORE: "memory",
        // npx asks before it installs the Inspector; a person answers yes.
        npm_config_yes: "true",
        MCP_AUTO_OPEN_ENABLED: "true",
        MCP_OAUTH_CALLBACK_URL: `http://127.0.0.1:${await freePort()}/oauth/callback`,
        BROWSER: join(clone, "scripts", "ci", "chromium-login.mjs"),
        HEADLESS_BROWSER_LOG: join(work, "browser.log"),
        DISPLAY: "",
        WAYLAND_DISPLAY: "",
        XDG_CURRENT_DESKTOP: "",
      }
    : env;
  const since = Date.now();
  if (background) {
    const child = spawn("bash", ["-c", line], { cwd, env: lineEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    started.push(child);
    let output = "";
    const ready = /^npx mcp-auth0 dev\b/.test(written) ? /running at https:\/\/localhost:\d+/ : /MCP server at http/;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 60 s: ${written}\n${output}`)), 60_000);
      const onData = (chunk) => {
        output += chunk.toString("utf8");
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => reject(new Error(`exited with ${code}: ${written}\n${output}`)));
    });
    console.log(`started (${seconds(since)}): ${written}`);
    continue;
  }
  // The working directory after the line (the block's first line changes into the copied project).
  const pwdFile = join(work, ".pwd");
  const result = await new Promise((resolve) => {
    const child = spawn("bash", ["-c", `${line}\nstatus=$?; pwd > ${JSON.stringify(pwdFile)}; exit $status`], { cwd, env: lineEnv, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.once("exit", (code) => resolve({ code, output }));
  });
  if (existsSync(pwdFile)) cwd = readFileSync(pwdFile, "utf8").trim();
  // The Inspector's tool call must have answered with the logged-in user (whoami's `sub`), not merely exited 0.
  if (inspector && result.code === 0 && !/"sub": ?"auth0\|/.test(result.output)) result.code = -1;
  if (written.startsWith("cp -r ")) {
    // The copied example's API is the server's URL: its port too.
    const config = join(cwd, "mcp-auth0.config.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replaceAll("localhost:3000", `localhost:${serverPort}`));
  }
  console.log(`${result.code === 0 ? "ok" : `FAILED (exit ${result.code})`} (${seconds(since)}): ${written}`);
  if (result.code !== 0 || /^npx mcp-auth0 (try|init)\b|inspector/.test(written)) console.log(result.output.replace(/^/gm, "    "));
  if (result.code !== 0) {
    if (existsSync(join(work, "browser.log"))) console.log(readFileSync(join(work, "browser.log"), "utf8"));
    process.exit(1);
  }
}
console.log(`README quick start: passed in ${seconds(t0)}`);
stopAll();
