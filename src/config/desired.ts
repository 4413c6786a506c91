import type { Config } from "./schema.js";
import type { InitDesired } from "../plan/init-plan.js";
import { parseIdentifier, parseName, validateScopes } from "../input/values.js";
import { toRoleDesired } from "../input/roles-file.js";
import { parseDownstreamIdentifier, validateDownstreamApis } from "../input/downstream.js";

/** What the config file asks of the tenant, validated like the same values given as flags. */
export function desiredFromConfig(config: Config, file: string): InitDesired {
  const identifier = parseIdentifier(config.api.identifier, `api.identifier in ${file}`);
  return {
    identifier,
    apiName: config.api.name,
    scopes: validateScopes(config.api.scopes, `api.scopes in ${file}`),
    connections: config.connections,
    roles: config.roles.map(toRoleDesired),
    rolesFile: file,
    defaultAudience: config.tenant.defaultAudience,
    cimd: config.tenant.cimd,
    downstreamApis: validateDownstreamApis(
      config.downstreamApis.map((api) => ({
        identifier: parseDownstreamIdentifier(api.identifier, `downstreamApis.identifier in ${file}`),
        ...(api.name !== undefined ? { name: parseName(api.name, `downstreamApis.name in ${file}`) } : {}),
        ...(api.scopes ? { scopes: api.scopes } : {}),
      })),
      identifier,
      `downstreamApis in ${file}`,
    ),
    clients: config.clients,
  };
}
