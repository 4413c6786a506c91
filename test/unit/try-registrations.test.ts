import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRegistration, saveRegistration } from "../../src/connection/registrations.js";

/*
 * The client `try` registered, kept for its next run: a run reuses it (a free tenant holds ten
 * applications), and a file that is not a readable regular file is none — never a hang. With
 * --local the file lies in the dev tenant's data directory, where a FIFO would have blocked `try`.
 */
let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "mcp-auth0-registrations-"))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

const ISSUER = "https://localhost:4000/";
const RESOURCE = "http://localhost:3000/mcp";
const registration = { issuer: ISSUER, resource: RESOURCE, clientId: "tpc_kept", redirectUri: "http://127.0.0.1:53682/callback", registeredAt: "2026-12-07T00:00:00Z" };

describe("try's kept registrations", () => {
  it("are found again for the same issuer and resource only, in a file only its owner reads", async () => {
    const file = join(dir, "clients.json");
    await saveRegistration(file, registration);
    expect(await findRegistration(file, ISSUER, RESOURCE)).toEqual(registration);
    expect(await findRegistration(file, ISSUER, "http://localhost:3000/other")).toBeUndefined();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("a FIFO in their place is none, at once, and the next registration replaces it", async () => {
    const file = join(dir, "fifo.json");
    execFileSync("mkfifo", [file]);
    expect(await findRegistration(file, ISSUER, RESOURCE)).toBeUndefined();
    await saveRegistration(file, registration);
    expect((await stat(file)).isFile()).toBe(true);
    expect(await findRegistration(file, ISSUER, RESOURCE)).toEqual(registration);
  });
});
