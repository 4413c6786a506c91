import { z } from "zod";
import { roleSchema, uniqueRoleNames } from "../input/roles-file.js";
import { CLIENT_NAMES } from "../clients/catalogue.js";

/**
 * `mcp-auth0.config.yaml`: a tenant's MCP setup kept in the repository and applied in CI to dev,
 * staging and production tenants. Strings may reference environment variables (`${VAR}`), expanded
 * before validation, so URL checks happen on the expanded values (in src/input/values.ts).
 */
const scope = z
  .object({
    value: z.string().min(1).max(280).describe("Scope value, e.g. tool:whoami"),
    description: z.string().max(500).optional().describe("Shown on the consent screen"),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    domain: z.string().optional().describe("Tenant domain; usually ${AUTH0_DOMAIN} so one file serves several tenants"),
    api: z
      .object({
        identifier: z.string().describe("The API identifier = audience = the MCP server's resource URL"),
        name: z.string().max(200).optional(),
        scopes: z.array(scope).min(1),
      })
      .strict(),
    tenant: z
      .object({
        defaultAudience: z.enum(["auto", "replace", "never"]).default("auto").describe("auto: set only when the tenant has none; replace: take it over; never: leave it"),
        cimd: z.boolean().default(false).describe("Also enable Client ID Metadata Documents"),
      })
      .strict()
      .default({ defaultAudience: "auto", cimd: false }),
    connections: z.array(z.string().min(1)).default([]).describe("Connection names or ids to promote to domain level"),
    clients: z
      .array(z.enum(CLIENT_NAMES as [string, ...string[]]))
      .default([])
      .describe("MCP clients the tenant serves: the CIMD ones are imported (which turns CIMD on), the others keep DCR"),
    roles: z.array(roleSchema).default([]),
    mode: z.enum(["dcr", "proxy"]).default("dcr"),
    env: z
      .object({
        template: z.string().default("auth0"),
        path: z.string().default(".env"),
        serverUrl: z.string().optional().describe("The MCP server's public URL, written to the .env"),
      })
      .strict()
      .default({ template: "auth0", path: ".env" }),
  })
  .strict()
  .superRefine((config, ctx) => uniqueRoleNames(config.roles, ctx, ["roles"]));

export type Config = z.infer<typeof configSchema>;

export const CONFIG_FILES = ["mcp-auth0.config.yaml", "mcp-auth0.config.yml", "mcp-auth0.config.json"];
export const SCHEMA_FILE = "schema/mcp-auth0.config.schema.json";
