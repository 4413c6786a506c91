import { resolve } from "node:path";
import type { Tenant } from "../tenant/connect.js";
import type { EnvFileChange, Plan } from "../plan/plan.js";
import type { ApplyReport } from "../plan/apply.js";
import { MissingScopesError } from "../errors.js";
import { removeStaleTemporaries, writeEnvFile, type EnvWriteResult } from "../env/dotenv.js";
import { envEntries, usesValue, type EnvTemplate, type EnvValueName, type EnvValues } from "../env/templates.js";
import { readApplicationSecret } from "../resources/application.js";

export function resolvePath(cwd: string, path: string): string {
  return resolve(cwd, path);
}

export interface EnvTarget {
  /** As the user gave it (shown in the plan). */
  path: string;
  /** Resolved against the working directory. */
  file: string;
  /** --follow-symlinks: write the target of a symbolic link (refused otherwise). */
  followSymlinks?: boolean;
  /** Not a dry run: remove the temporary files an interrupted earlier write left beside the file. */
  removeStale?: boolean;
}

export interface EnvFilePlan {
  change: EnvFileChange;
  /** Variables of the template that cannot be written, and which flag gives them. */
  warnings: string[];
  /**
   * Writes the file. `applicationId` is the client's id as apply reported it (the one it created, or
   * the existing one), and `secret` the secret a create answered with; otherwise the secret is read
   * now, for the file only.
   */
  write(applicationId?: string, secret?: string): Promise<EnvWriteResult>;
}

/** Said in the plan of a file that others may read and that receives a client secret: the writer makes it 0600 (writeEnvFile's `secret`). */
export function tightenedWarning(path: string, mode: number): string {
  return `${path} is readable by others (mode 0${mode.toString(8)}) and receives the client secret: it is made 0600.`;
}

/** Stands for the client id and secret of an application this run creates, in the plan's preview only. */
const CREATED_BY_THIS_RUN = "(created by this run)";

/** Values that only a flag can give: the warning says which. Other missing values were always optional. */
const HOW_TO_GIVE: Partial<Record<EnvValueName, string>> = {
  baseUrl: "pass --server-url (its origin is the base URL) or --callback-url",
  apiBaseUrl: "pass --api-base-url with the URL of the API your MCP server's tools call (not the MCP server's own URL)",
  downstreamAudience: "pass --downstream-api with the API your MCP server's tools call on the user's behalf",
};

/** Whether a preset writes a client's id (the proxy application's, or the Custom API client's), and its secret. */
export function applicationNeeds(template: EnvTemplate) {
  const needsSecret = usesValue(template, "clientSecret");
  return { needsSecret, needsApplication: needsSecret || usesValue(template, "clientId") };
}

/**
 * Plans the `.env` of `template`. For presets with a client id `application` is the client: the
 * proxy application, or the Custom API client of the On-Behalf-Of exchange. Its `id` is known for
 * an existing one (its secret is read now, to compare with the file, unless `secret` was read with
 * it), and absent for one this run creates (apply reports it, and `write` receives it). The secret
 * goes only into the file: never into the plan, a log line or the --json document.
 */
export async function planEnvFile(
  tenant: Tenant,
  template: EnvTemplate,
  values: EnvValues,
  target: EnvTarget,
  application?: { id?: string; secret?: string },
): Promise<EnvFilePlan> {
  const { needsSecret, needsApplication } = applicationNeeds(template);
  const credentials = async (clientId: string | undefined, known?: string): Promise<EnvValues> => {
    if (!needsApplication || !clientId) return {};
    const clientSecret = needsSecret ? (known ?? (await readApplicationSecret(tenant, clientId))) : undefined;
    // Auth0 leaves the secret out of its answer, without an error, when the token lacks read:client_keys.
    if (needsSecret && !clientSecret) throw new MissingScopesError(["read:client_keys"]);
    return { clientId, clientSecret };
  };

  const existingId = needsApplication ? application?.id : undefined;
  const known = existingId ? await credentials(existingId, application?.secret) : undefined;
  const preview: EnvValues = known ?? (needsApplication && application ? { clientId: CREATED_BY_THIS_RUN, clientSecret: needsSecret ? CREATED_BY_THIS_RUN : undefined } : {});
  const entries = envEntries(template, { ...values, ...preview });
  const writeOptions = { followSymlinks: target.followSymlinks, secret: needsSecret };
  const result = await writeEnvFile(target.file, entries, { ...writeOptions, dryRun: true });
  const stale = target.removeStale ? await removeStaleTemporaries(result.symlinkTarget ?? target.file) : [];

  const written = new Set(entries.map(([key]) => key));
  const warnings = Object.entries(template.variables).flatMap(([key, value]) =>
    !written.has(key) && HOW_TO_GIVE[value] ? [`${key} is not written to ${target.path}: ${HOW_TO_GIVE[value]}.`] : [],
  );
  if (result.symlinkTarget) warnings.push(`${target.path} is a symbolic link: its target ${result.symlinkTarget} is written (--follow-symlinks).`);
  if (result.tightenedFrom !== undefined) warnings.push(tightenedWarning(target.path, result.tightenedFrom));
  if (stale.length)
    warnings.push(
      `Removed ${stale.length === 1 ? "a temporary file" : `${stale.length} temporary files`} that an interrupted write left (a copy of the .env): ${stale.join(", ")}.`,
    );

  return {
    change: {
      path: target.path,
      template: template.name,
      action: result.created ? "create" : result.unchanged ? "unchanged" : "update",
      set: [...result.added, ...result.changed],
    },
    warnings,
    write: async (applicationId = existingId, secret) => {
      if (needsApplication && application && !applicationId) throw new Error("The client of the .env has no client id after apply.");
      return writeEnvFile(target.file, envEntries(template, { ...values, ...(known ?? (await credentials(applicationId, secret))) }), writeOptions);
    },
  };
}

/**
 * The id of the client whose credentials the .env holds (the proxy application, or the Custom API
 * client of the On-Behalf-Of exchange) as apply reported it, and the secret its create answered
 * with (undefined: `write` reads it).
 */
export function envCredentials(report: ApplyReport, plan: Plan): [id: string | undefined, secret: string | undefined] {
  const change = plan.changes.find((c) => c.kind === "application" || c.kind === "custom-api-client");
  const written = report.applied.find((a) => a.change.kind === change?.kind)?.written;
  return [written?.id ?? (change as { id?: string } | undefined)?.id, written?.secret];
}
