import type { Config } from "./schema.js";
import type { InitDesired } from "../plan/init-plan.js";
import { parseIdentifier, validateScopes } from "../input/values.js";
import type { RoleDesired } from "../input/roles-file.js";

/**
 * What the config file asks of the tenant, validated like the same values given as flags. `roles`
 * are read from the roles file the config names, when it names one instead of listing them.
 */
export function desiredFromConfig(config: Config, file: string, rolesFile?: { file: string; roles: RoleDesired[] }): InitDesired {
  return {
    identifier: parseIdentifier(config.api.identifier, `api.identifier in ${file}`),
    apiName: config.api.name,
    scopes: validateScopes(config.api.scopes, `api.scopes in ${file}`),
    connections: config.connections,
    roles: rolesFile
      ? rolesFile.roles
      : (config.roles as Exclude<Config["roles"], string>).map((r) => ({
          name: r.name,
          description: r.description,
          permissions: [...new Set(r.permissions)],
          users: [...new Set(r.users)],
        })),
    rolesFile: rolesFile?.file ?? file,
    defaultAudience: config.tenant.defaultAudience,
    cimd: config.tenant.cimd,
  };
}
