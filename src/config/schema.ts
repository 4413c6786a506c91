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
    downstreamApis: z
      .array(
        z
          .object({
            identifier: z.string().min(1).max(600).describe("The downstream API's identifier: the audience the MCP server exchanges the user's token for"),
            name: z.string().max(200).optional().describe("Its name when mcp-auth0 creates it (an existing API keeps its own)"),
            scopes: z.array(scope).min(1).optional().describe("What the MCP server may ask for there (default: every scope of the existing API)"),
          })
          .strict(),
      )
      .default([])
      .describe("APIs the MCP server calls on the user's behalf (On-Behalf-Of token exchange): its Custom API client, each API and the grant between them"),
    connections: z.array(z.string().min(1)).default([]).describe("Connection names or ids to promote to domain level"),
    clients: z
      .array(z.enum(CLIENT_NAMES as [string, ...string[]]))
      .default([])
      .describe("MCP clients the tenant serves: the CIMD ones are imported (which turns CIMD on), the others keep DCR"),
    roles: z.array(roleSchema).default([]),
    mode: z.enum(["dcr", "proxy"]).default("dcr"),
    env: z
      .object({
        // Not defaulted here: init's default depends on the file (auth0, or auth0-obo with downstreamApis).
        template: z.string().optional().describe("The .env preset; default auth0, or auth0-obo (Auth0's On-Behalf-Of sample) with downstreamApis"),
        path: z.string().default(".env"),
        serverUrl: z.string().optional().describe("The MCP server's public URL, written to the .env"),
      })
      .strict()
      .default({ path: ".env" }),
  })
  .strict()
  .superRefine((config, ctx) => uniqueRoleNames(config.roles, ctx, ["roles"]));

export type Config = z.infer<typeof configSchema>;

export const CONFIG_FILES = ["mcp-auth0.config.yaml", "mcp-auth0.config.yml", "mcp-auth0.config.json"];
export const SCHEMA_FILE = "schema/mcp-auth0.config.schema.json";
