import { z } from "zod";
import { readInputText } from "./read-file.js";
import { InputError } from "../errors.js";
import { assertNoControlCharactersIn } from "./values.js";

/** A role as the roles file declares it (SPEC §4). */
export interface RoleDesired {
  name: string;
  description?: string;
  /** Scopes of the MCP server's API. */
  permissions: string[];
  users: string[];
  /**
   * Scopes of other APIs, by API identifier: the downstream APIs the MCP server calls on the user's
   * behalf. The On-Behalf-Of exchange gives a user only the downstream permissions their roles hold
   * there, so one file declares both. Only the APIs named here are ever read or changed.
   */
  apiPermissions?: Record<string, string[]>;
}

export const roleSchema = z
  .object({
    name: z.string().trim().min(1).max(50),
    description: z.string().max(140).optional(),
    permissions: z.array(z.string().min(1)).default([]),
    users: z.array(z.email()).default([]),
    apiPermissions: z
      .record(z.string().min(1).max(600), z.array(z.string().min(1)))
      .optional()
      .describe("Permissions of other APIs (the downstream APIs of --downstream-api), by API identifier"),
  })
  .strict();

/** Role names are matched on the tenant, so each may appear once. */
export const uniqueRoleNames = (roles: Array<{ name: string }>, ctx: z.RefinementCtx, path: (string | number)[] = []) => {
  const names = new Set<string>();
  for (const [i, role] of roles.entries()) {
    if (names.has(role.name)) ctx.addIssue({ code: "custom", path: [...path, i, "name"], message: `role "${role.name}" is listed twice` });
    names.add(role.name);
  }
};

const rolesFileSchema = z
  .object({ roles: z.array(roleSchema) })
  .strict()
  .superRefine((file, ctx) => uniqueRoleNames(file.roles, ctx, ["roles"]));

/** Reads and validates a roles file (YAML or JSON, SPEC §4). Every problem is an input error naming the file. */
export async function loadRolesFile(path: string): Promise<RoleDesired[]> {
  const text = await readInputText(path, { what: "the roles file", flag: "--roles / --file" });
  let data: unknown;
  try {
    const { parse } = await import("yaml");
    data = parse(text, { prettyErrors: true });
  } catch (error) {
    const first = (error as Error).message.split("\n")[0];
    throw new InputError(`The roles file ${path} is not valid YAML or JSON: ${first}`);
  }
  assertNoControlCharactersIn(data, (where) => `${where} in the roles file ${path}`);
  const parsed = rolesFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    throw new InputError(
      `The roles file ${path} is invalid at ${where}: ${issue.message}.`,
      "See the roles file format in the README (roles: [{name, description, permissions, users, apiPermissions}]).",
    );
  }
  return parsed.data.roles.map(toRoleDesired);
}

/** A validated role as plans use it: every list without repeats, and no empty `apiPermissions`. */
export function toRoleDesired(r: z.infer<typeof roleSchema>): RoleDesired {
  const apis = Object.entries(r.apiPermissions ?? {}).map(([api, permissions]): [string, string[]] => [api, [...new Set(permissions)]]);
  return {
    name: r.name,
    description: r.description,
    permissions: [...new Set(r.permissions)],
    users: [...new Set(r.users)],
    ...(apis.length ? { apiPermissions: Object.fromEntries(apis) } : {}),
  };
}

/**
 * SPEC §4: a permission that is not a scope of the API is an error before any write. `apiIdentifier`
 * is the MCP server's API (`permissions`), or a downstream API (that API's `apiPermissions`).
 */
export function assertPermissionsAreScopes(roles: RoleDesired[], scopes: string[], apiIdentifier: string, file: string, downstream = false): void {
  const known = new Set(scopes);
  const listed = (r: RoleDesired) => (downstream ? (r.apiPermissions?.[apiIdentifier] ?? []) : r.permissions);
  const unknown = roles.flatMap((r) =>
    listed(r)
      .filter((p) => !known.has(p))
      .map((p) => `${p} (role ${r.name})`),
  );
  if (unknown.length) {
    throw new InputError(
      `The roles file ${file} names permission${unknown.length > 1 ? "s" : ""} that ${unknown.length > 1 ? "are not scopes" : "is not a scope"} of API ${apiIdentifier}: ${unknown.join(", ")}.`,
      `Scopes of the API: ${scopes.join(", ") || "none"}. Add the scope with ${downstream ? `--downstream-api ${apiIdentifier}=<scopes>` : "--scopes"}, or fix the file.`,
    );
  }
}

/** The APIs other than the MCP server's whose permissions the roles name. */
export function rolesApis(roles: RoleDesired[]): string[] {
  return [...new Set(roles.flatMap((r) => Object.keys(r.apiPermissions ?? {})))];
}

/**
 * Every API a role names in `apiPermissions` must be one of the run's downstream APIs: a typo would
 * otherwise grant nothing, and another API's permissions are never touched unasked.
 */
export function assertRolesApisKnown(roles: RoleDesired[], downstream: string[], file: string): void {
  const unknown = rolesApis(roles).filter((api) => !downstream.includes(api));
  if (unknown.length) {
    throw new InputError(
      `The roles file ${file} gives permissions of ${unknown.join(", ")} under apiPermissions, which ${unknown.length > 1 ? "are not downstream APIs" : "is not a downstream API"} of this run.`,
      `Add ${unknown.length > 1 ? "them" : "it"} with --downstream-api <identifier>=<scopes> (or downstreamApis in the config file), or fix the file.`,
    );
  }
}
