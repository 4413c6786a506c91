import { createHash } from "node:crypto";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A lock file per tenant and application name, shared by every mcp-auth0 run on this machine: two
 * `init --mode proxy` started together (two terminals, a script, a CI matrix on one runner) create
 * the proxy application one after the other, so the second finds the first's instead of making a
 * second one. Runs on other machines are handled by the re-list after creating (application.ts).
 */
const STALE_MS = 120_000;

export interface LockOptions {
  /** Where lock files live; default the system temporary directory. */
  directory?: string;
  /** How long to wait for another run before giving up on the lock (and going on without it). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function withApplicationLock<T>(domain: string, name: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const directory = options.directory ?? join(tmpdir(), "mcp-auth0-locks");
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const file = join(directory, `${createHash("sha256").update(`${domain}\n${name}`).digest("hex").slice(0, 24)}.lock`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let held = false;
  while (!held) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      held = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await isStale(file)) {
        await rm(file, { force: true });
        continue;
      }
      // The other run's re-list still guards against a duplicate: never wait forever for a lock.
      if (Date.now() > deadline) break;
      await sleep(100 + Math.random() * 100);
    }
  }
  try {
    return await work();
  } finally {
    if (held) await rm(file, { force: true });
  }
}

/** Left by a run that died (its pid is gone), or older than any create takes. */
async function isStale(file: string): Promise<boolean> {
  try {
    const [text, stats] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    if (Date.now() - stats.mtimeMs > STALE_MS) return true;
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - stats.mtimeMs > 5_000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== "EPERM";
    }
  } catch {
    return false;
  }
}
