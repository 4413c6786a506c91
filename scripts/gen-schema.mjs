#!/usr/bin/env node
// Writes the JSON Schema of mcp-auth0.config.yaml, generated from the zod schema the CLI validates
// with, so editors (via `$schema`) check exactly what the CLI accepts. Run by `npm run build`.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { configSchema, SCHEMA_FILE } from "../dist/config/schema.js";

const root = resolve(import.meta.dirname, "..");
const schema = {
  ...z.toJSONSchema(configSchema, { io: "input" }),
  $id: "https://unpkg.com/mcp-auth0/schema/mcp-auth0.config.schema.json",
  title: "mcp-auth0 configuration",
};
await mkdir(dirname(join(root, SCHEMA_FILE)), { recursive: true });
await writeFile(join(root, SCHEMA_FILE), `${JSON.stringify(schema, null, 2)}\n`);
