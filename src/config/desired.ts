import type { Config } from "./schema.js";
import type { InitDesired } from "../plan/init-plan.js";
import { parseIdentifier, validateScopes } from "../input/values.js";

/** What the config file asks of the tenant, validated like the same values given as flags. */
export function desiredFromConfig(config: Config, file: string): InitDesired {
  return {
    identifier: parseIdentifier(config.api.identifier, `api.identifier in ${file}`),
    apiName: config.api.name,
    scopes: validateScopes(config.api.scopes, `api.scopes in ${file}`),
    connections: config.connections,
    roles: config.roles.map((r) => ({ name: r.name, description: r.description, permissions: [...new Set(r.permissions)], users: [...new Set(r.users)] })),
    rolesFile: file,
    defaultAudience: config.tenant.defaultAudience,
    cimd: config.tenant.cimd,
    clients: config.clients,
  };
}
