import { mkdir, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { readInputText } from "../input/read-file.js";

/*
 * The client `mcp-auth0 try` registered, kept so that the next run reuses it. Every DCR
 * registration is an application of the tenant, and a free tenant holds at most ten (AUTH0-FACTS):
 * a check that registered anew each time would use them up. One registration per authorization
 * server and resource (the MCP server's API), with the redirect URI it was registered with — the
 * loopback port the browser login listens on again.
 */

const registrationSchema = z.object({
  issuer: z.string(),
  resource: z.string(),
  clientId: z.string().min(1),
  redirectUri: z.string().refine((s) => URL.canParse(s)),
  registeredAt: z.string(),
});

export type Registration = z.infer<typeof registrationSchema>;

const fileSchema = z.object({ registrations: z.array(registrationSchema) });

/**
 * Where registrations are kept: with --local, in the dev tenant's data directory (they live and
 * die with its state); otherwise in the user's cache directory, as MCP clients keep theirs.
 */
export function registrationsFile(env: NodeJS.ProcessEnv, localDataDir: string | undefined): string {
  if (localDataDir) return join(localDataDir, "try-clients.json");
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cache, "mcp-auth0", "clients.json");
}

/** The kept registrations; a missing or unreadable file is none (the next run registers once and rewrites it). */
async function readAll(file: string): Promise<Registration[]> {
  try {
    // Bounded and regular files only: with --local it lies in the dev tenant's data directory (a FIFO there would hang).
    return fileSchema.parse(JSON.parse(await readInputText(file, { what: "the kept registrations", flag: "--data-dir", maxBytes: 1024 * 1024 }))).registrations;
  } catch {
    return [];
  }
}

export async function findRegistration(file: string, issuer: string, resource: string): Promise<Registration | undefined> {
  return (await readAll(file)).find((r) => r.issuer === issuer && r.resource === resource);
}

/** Keeps `registration` in place of any other for the same issuer and resource; written whole or not at all, 0600. */
export async function saveRegistration(file: string, registration: Registration): Promise<void> {
  const others = (await readAll(file)).filter((r) => r.issuer !== registration.issuer || r.resource !== registration.resource);
  await writeAll(file, [...others, registration]);
}

/** Forgets a registration the tenant no longer knows (deleted in the Dashboard, or a dev tenant started afresh). */
export async function forgetRegistration(file: string, issuer: string, resource: string): Promise<void> {
  const all = await readAll(file);
  const kept = all.filter((r) => r.issuer !== issuer || r.resource !== resource);
  if (kept.length !== all.length) await writeAll(file, kept);
}

async function writeAll(file: string, registrations: Registration[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ registrations }, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  await rename(temporary, file);
}
