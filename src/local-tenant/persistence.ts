import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { TenantStore, type TenantState } from "./store.js";

/** File names inside `dataDir`. */
export const DATA_FILES = {
  state: "state.json",
  signingKey: "signing-key.pem",
  caCert: "ca.pem",
  caKey: "ca-key.pem",
  serverCert: "server.pem",
  serverKey: "server-key.pem",
} as const;

/** A data directory that cannot be made private: another user's. */
export class DataDirError extends Error {}

/**
 * The data directory holds private keys and client secrets: readable by its owner only, and
 * ignored by git whatever the project's own .gitignore says (`*` ignores the .gitignore itself too),
 * so that `git add -A` in a project containing it stages none of it. `mkdir` leaves the mode of a
 * directory that exists alone: one made 0777 beforehand would let any local user read the CA's key
 * or swap the signing key. Ours is tightened to 0700 (the returned note says so); another user's is
 * refused, since its owner could loosen it again.
 */
export function ensureDir(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { uid, mode } = statSync(dir);
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    throw new DataDirError(`The data directory ${dir} belongs to another user (uid ${uid}): whoever owns it could read or replace the local tenant's keys.`);
  }
  let note: string | undefined;
  if (mode & 0o077) {
    chmodSync(dir, 0o700);
    note = `The data directory ${dir} was open to other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); it is now 0700. Delete it to start afresh if someone else could have changed its keys meanwhile.`;
  }
  const ignore = join(dir, ".gitignore");
  if (!existsSync(ignore)) writeFileAtomic(ignore, "# Written by mcp-auth0: keys and secrets of the local tenant, never to be committed.\n*\n");
  return note;
}

export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/**
 * Writes through a temporary file and a rename, so that a crash or a concurrent reader never sees a
 * half-written file. Private keys pass `mode: 0o600`.
 */
export function writeFileAtomic(path: string, contents: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, contents, { mode });
  renameSync(tmp, path);
}

export function loadState(dataDir: string): TenantStore | undefined {
  const text = readIfExists(join(dataDir, DATA_FILES.state));
  if (text === undefined) return undefined;
  const state = JSON.parse(text) as TenantState;
  if (state.version !== 1) throw new Error(`Unsupported local tenant state version ${String(state.version)} in ${dataDir}`);
  return new TenantStore(state);
}

function serializeState(store: TenantStore): string {
  return `${JSON.stringify(store)}\n`;
}

/** Saved synchronously: at start-up, before the tenant answers anything. */
export function saveState(dataDir: string, store: TenantStore): void {
  writeFileAtomic(join(dataDir, DATA_FILES.state), serializeState(store), 0o600);
}

/**
 * Saves the state off the request path: a change schedules one write `delayMs` later, however
 * many changes follow in between (a burst of registrations is one write, not one each); the write
 * is atomic (temporary file, then rename) and asynchronous; `close()` writes what is pending.
 * A crash loses at most the last `delayMs` of changes, never the file.
 */
export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** The last write's failure, reported by `close()` (a dev tenant keeps serving meanwhile). */
  private failure: Error | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly store: TenantStore,
    private readonly delayMs = 100,
  ) {}

  /** Call on every change. */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  /** Writes now if anything changed since the last write; waits for a write under way. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    const text = serializeState(this.store);
    const path = join(this.dataDir, DATA_FILES.state);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    this.writing = (async () => {
      try {
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, path);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.dirty = true;
        await rm(tmp, { force: true });
      }
    })();
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  /** Stops scheduling and writes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.dirty && this.failure !== undefined) throw this.failure;
  }
}
