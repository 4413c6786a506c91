import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { Context } from "./context.js";
import { q, RUN_CLI } from "../doctor/fixes.js";

/**
 * `npx mcp-auth0 <words>` as the user can run it now, from the same directory: with the flags that chose
 * this tenant (`--local`, `--data-dir`, a typed `--domain` or `--client-id`). Credentials from the
 * environment stay there; a secret or token is never printed, so a run that typed one says so.
 */
export function suggest(ctx: Context, words: string[]): string {
  const target: string[] = [];
  if (ctx.options.local) {
    target.push("--local");
    if (ctx.options.dataDir) target.push("--data-dir", ctx.options.dataDir);
  } else {
    // The domain of the run, unless the environment gives the same one to the next command too.
    const { domain } = ctx.control;
    if (domain && domain !== ctx.deps.env.AUTH0_DOMAIN) target.push("--domain", domain);
    // A typed --client-id (the environment's stays there, like the secret).
    if (ctx.options.clientId) target.push("--client-id", ctx.options.clientId);
  }
  return [...RUN_CLI, ...words, ...target].map(q).join(" ");
}

/** A typed secret or token cannot be repeated in a printed command: one line says what to add. */
export function typedSecretNote(ctx: Context): string | undefined {
  if (ctx.options.local) return undefined;
  if (ctx.options.clientSecret && !ctx.deps.env.AUTH0_CLIENT_SECRET) return "Add --client-secret (or set AUTH0_CLIENT_SECRET) to the commands below: secrets are never printed.";
  if (ctx.options.token && !ctx.deps.env.AUTH0_ACCESS_TOKEN) return "Add --token (or set AUTH0_ACCESS_TOKEN) to the commands below: tokens are never printed.";
  return undefined;
}

/** Whether a file a printed command names is there, seen from where the user runs it. */
export const existsHere = (ctx: Context) => (file: string) => existsSync(resolve(ctx.deps.cwd, file));

/** A path as the user would type it from `cwd`: relative when it is inside, else absolute. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !rel.startsWith(sep) ? rel : path;
}
