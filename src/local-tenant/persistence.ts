import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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

/** Saved synchronously so that an answer is only sent once its change is on disk. */
export function saveState(dataDir: string, store: TenantStore): void {
  writeFileAtomic(join(dataDir, DATA_FILES.state), `${JSON.stringify(store, null, 2)}\n`, 0o600);
}
