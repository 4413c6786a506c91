import { join, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../errors.js";
import { readInputText } from "../input/read-file.js";

export const DEFAULT_DATA_DIR = ".mcp-auth0";
export const CONNECTION_FILE = "connection.json";

/** What `mcp-auth0 dev` leaves in its data directory for `--local` to find. */
export const localConnectionSchema = z.object({
  domain: z.string(),
  clientId: z.string(),
  clientSecret: z.string(),
  caCertPath: z.string(),
  pid: z.number().optional(),
  /** `mcp-auth0 dev --custom-domain`: the custom domain's host (the Management API stays on `domain`). */
  customDomain: z.string().optional(),
});

export type LocalConnection = z.infer<typeof localConnectionSchema>;

/** connection.json and the CA are a few KB: a data directory holding a FIFO or a device there is not read (a pipe would block, /dev/zero never ends). */
const SMALL_FILE = { what: "the dev tenant's file", flag: "--data-dir", maxBytes: 1024 * 1024 };

export function dataDirOf(cwd: string, explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(cwd, explicit ?? env.MCP_AUTH0_DATA_DIR ?? DEFAULT_DATA_DIR);
}

/** Finds the running dev tenant from its data directory: domain, credentials and the CA to trust in-process. */
export async function findLocalTenant(cwd: string, explicit: string | undefined, env: NodeJS.ProcessEnv): Promise<LocalConnection & { caCertPem: string }> {
  const dir = dataDirOf(cwd, explicit, env);
  let connection: LocalConnection;
  try {
    connection = localConnectionSchema.parse(JSON.parse(await readInputText(join(dir, CONNECTION_FILE), SMALL_FILE)));
  } catch {
    throw new InputError(`No local dev tenant found in ${dir}.`, "Start one with `npx mcp-auth0 dev` (in this directory, or pass --data-dir <its data dir> with --local).");
  }
  const caCertPem = await readInputText(connection.caCertPath, SMALL_FILE).catch(() => {
    throw new InputError(`The local tenant's CA file ${connection.caCertPath} is missing.`, "Restart `npx mcp-auth0 dev`.");
  });
  return { ...connection, caCertPem };
}
