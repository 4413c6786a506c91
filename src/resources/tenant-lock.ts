import { createHash } from "node:crypto";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A lock file per tenant and key, shared by every mcp-auth0 run on this machine, for what two runs
 * started together (two terminals, a script, a CI matrix on one runner) would otherwise both
 * claim: an application matched by name, which Auth0 lets two runs create twice (application.ts),
 * and the tenant's default audience, which each run would set to its own API (apply.ts). Under
 * the lock a run reads the tenant again before it writes, so the second finds what the first made.
 * Runs on other machines are not stopped by it: what they race for is read again after writing too.
 */
const STALE_MS = 120_000;

export interface LockOptions {
  /** Where lock files live; default the system temporary directory. */
  directory?: string;
  /** How long to wait for another run before giving up on the lock (and going on without it). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function withTenantLock<T>(domain: string, key: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await takeTenantLock(domain, key, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

/**
 * Takes the lock of `key` on `domain`, waiting for another run that holds it; returns its release.
 * A run that waited longer than `timeoutMs` goes on without it: the other run's read after writing
 * still guards against a duplicate, and a lock must never stop a run for good.
 */
export async function takeTenantLock(domain: string, key: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const directory = options.directory ?? join(tmpdir(), "mcp-auth0-locks");
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const file = join(directory, `${createHash("sha256").update(`${domain}\n${key}`).digest("hex").slice(0, 24)}.lock`);
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
      if (Date.now() > deadline) break;
      await sleep(100 + Math.random() * 100);
    }
  }
  return async () => {
    if (held) await rm(file, { force: true });
  };
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
