import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Context } from "./context.js";
import type { Check } from "../doctor/check.js";

/** A word as sh reads it back: quoted only when it has to be. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `mcp-auth0 <words>` as the user can run it now, from the same directory: with the flags that chose
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
    if (ctx.typed.clientId) target.push("--client-id", ctx.typed.clientId);
  }
  return ["mcp-auth0", ...words, ...target].map(shellQuote).join(" ");
}

/** A typed secret or token cannot be repeated in a printed command: one line says what to add. */
export function typedSecretNote(ctx: Context): string | undefined {
  if (ctx.options.local) return undefined;
  if (ctx.options.clientSecret && !ctx.deps.env.AUTH0_CLIENT_SECRET) return "Add --client-secret (or set AUTH0_CLIENT_SECRET) to the commands below: secrets are never printed.";
  if (ctx.options.token && !ctx.deps.env.AUTH0_ACCESS_TOKEN) return "Add --token (or set AUTH0_ACCESS_TOKEN) to the commands below: tokens are never printed.";
  return undefined;
}

export interface FixFacts {
  identifier: string;
  /** The API's scopes now: an `init` fix repeats them, so that running it adds no default scope. */
  scopes: Array<{ value: string; description?: string }>;
  /** The tenant's connections; one is suggested where a fix needs a name. */
  connections: Array<{ name: string; strategy?: string; domainLevel?: boolean }>;
  /** Roles file to name in a `roles sync` fix. */
  rolesFile?: string;
}

/**
 * The doctor's fixes say which command fixes a check ("mcp-auth0 init", "mcp-auth0 promote-connection
 * <name>"). Printed as they are, they would not run: no tenant flags, no API identifier, a
 * placeholder. This completes each into a command that runs as shown; a parenthesised remark
 * becomes a shell comment. A fix that is not a command (a Dashboard step) is left as it is.
 */
export function completeFixes(ctx: Context, checks: Check[], facts: FixFacts): Check[] {
  return checks.map((check) => (check.fix?.startsWith("mcp-auth0 ") ? { ...check, fix: completeFix(ctx, check.fix, facts) } : check));
}

function completeFix(ctx: Context, fix: string, facts: FixFacts): string {
  const [, body = "", remark] = /^mcp-auth0 (.*?)\s*(?:\((.*)\))?$/.exec(fix) ?? [];
  const words = body.split(/\s+/).filter(Boolean);
  const command = words[0] === "roles" ? words.slice(0, 2).join(" ") : words[0];
  const suggestion = suggestedConnection(facts.connections);
  const scopes = facts.scopes.map((s) => (s.description ? `${s.value}=${s.description}` : s.value)).join(",");
  const completed = words.flatMap((word, i) => {
    if (word === "<name>") return suggestion ? [suggestion] : [];
    if (word === "…" && words[i - 1] === "--scopes") return [scopes || "tool:whoami=Read your identity"];
    return [word];
  });
  if (command === "init" || command === "roles sync") {
    if (!completed.includes("--api-identifier")) completed.push("--api-identifier", facts.identifier);
  }
  if (command === "init") {
    // Re-running init with the API's own scopes adds none; with no domain-level connection it
    // promotes one, or its own verdict would fail on that (and exit 6) after fixing the rest.
    if (!completed.includes("--scopes") && scopes) completed.push("--scopes", scopes);
    if (suggestion && !facts.connections.some((c) => c.domainLevel)) completed.push("--connections", suggestion);
  }
  if (command === "roles sync" && facts.rolesFile) completed.splice(completed.indexOf("--file") + 1, 1, facts.rolesFile);
  const file = command === "roles sync" ? completed[completed.indexOf("--file") + 1] : undefined;
  const noFile = file !== undefined && !existsSync(resolve(ctx.deps.cwd, file)) ? `after writing ${file} (the README's "Roles file" shows its format)` : undefined;
  const note =
    remark ??
    noFile ??
    (words.includes("<name>") && facts.connections.length > 1
      ? `or another of: ${facts.connections
          .map((c) => c.name)
          .filter((n) => n !== suggestion)
          .join(", ")}`
      : undefined);
  if (words.includes("<name>") && !suggestion) return "create a connection in the Dashboard (Authentication → Database), then promote it";
  return `${suggest(ctx, completed)}${note ? `  # ${note}` : ""}`;
}

/** The tenant's database connection (every tenant has one), else its first connection. */
function suggestedConnection(connections: FixFacts["connections"]): string | undefined {
  return (connections.find((c) => c.strategy === "auth0") ?? connections[0])?.name;
}

/**
 * diagnose prints its fixes as complete commands (built word by word, quoted), which a second
 * completion would split apart. The one it leaves bare is `roles sync --file roles.yaml`: whether
 * that file exists is the command's business (completeFixes says so when it does not).
 */
export const isBareFix = (fix: string | undefined) => fix?.startsWith("mcp-auth0 roles sync --file roles.yaml") === true && !fix.includes("--api-identifier");

export function completeBareFixes(ctx: Context, checks: Check[], facts: FixFacts): Check[] {
  return checks.map((check) => (isBareFix(check.fix) ? completeFixes(ctx, [check], facts)[0]! : check));
}
