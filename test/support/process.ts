import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestLocalTenant } from "../../src/local-tenant/server.js";

/*
 * The built binary as a separate process (`npm run build` first), for what only a real process
 * shows: signals, and races between runs that share nothing but the machine and the tenant.
 */

const BIN = fileURLToPath(new URL("../../bin/mcp-auth0.js", import.meta.url));

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<ProcessRun>;
}

/** The environment a process needs to trust the in-process test tenant (its CA in a file, as --local does). */
export async function processEnv(tenant: TestLocalTenant, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const caFile = join(await mkdtemp(join(tmpdir(), "mcp-auth0-ca-")), "ca.pem");
  await writeFile(caFile, tenant.caCertPem);
  return { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caFile, ...env };
}

/** Starts `mcp-auth0 <args>`; a run still going after `timeoutMs` is killed (SIGKILL), so a hang fails the test instead of stalling it. */
export function startBin(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number }): RunningProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<ProcessRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stderr: () => stderr, done };
}

export async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 10));
  }
}
