import { z } from "zod";
import { readInputText } from "./read-file.js";
import { InputError } from "../errors.js";
import { assertNoControlCharactersIn } from "./values.js";

/** A role as the roles file declares it (SPEC §4). */
export interface RoleDesired {
  name: string;
  description?: string;
  permissions: string[];
  users: string[];
}

export const roleSchema = z
  .object({
    name: z.string().trim().min(1).max(50),
    description: z.string().max(140).optional(),
    permissions: z.array(z.string().min(1)).default([]),
    users: z.array(z.email()).default([]),
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
      "See the roles file format in the README (roles: [{name, description, permissions, users}]).",
    );
  }
  return parsed.data.roles.map((r) => ({ name: r.name, description: r.description, permissions: [...new Set(r.permissions)], users: [...new Set(r.users)] }));
}

/** SPEC §4: a permission that is not a scope of the API is an error before any write. */
export function assertPermissionsAreScopes(roles: RoleDesired[], scopes: string[], apiIdentifier: string, file: string): void {
  const known = new Set(scopes);
  const unknown = roles.flatMap((r) => r.permissions.filter((p) => !known.has(p)).map((p) => `${p} (role ${r.name})`));
  if (unknown.length) {
    throw new InputError(
      `The roles file ${file} names permission${unknown.length > 1 ? "s" : ""} that ${unknown.length > 1 ? "are not scopes" : "is not a scope"} of API ${apiIdentifier}: ${unknown.join(", ")}.`,
      `Scopes of the API: ${scopes.join(", ") || "none"}. Add the scope with --scopes, or fix the file.`,
    );
  }
}
