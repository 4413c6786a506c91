import { readInputText } from "../input/read-file.js";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../errors.js";
import { isCredentialVariable } from "./domain.js";
import { assertNoControlCharactersIn } from "../input/values.js";
import { CONFIG_FILES, configSchema, type Config } from "./schema.js";

/** The config file to use: `--config`, else the first of CONFIG_FILES in the working directory. */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  return CONFIG_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f));
}

/** Replaces `${VAR}` in every string; a variable that is not set is an error naming it and the file. */
function expandEnv(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      if (isCredentialVariable(name)) {
        throw new InputError(
          `${file} references \${${name}}: credentials cannot be interpolated into the config file (its values are printed in plans and sent to the tenant).`,
          `Remove \${${name}} from ${file}; mcp-auth0 reads ${name} from the environment itself.`,
        );
      }
      const v = env[name];
      if (v === undefined || v === "") throw new InputError(`${file} references \${${name}}, which is not set.`, `Set ${name} in the environment, or write the value in the file.`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => expandEnv(v, env, file));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, file)]));
  return value;
}

/**
 * `ignoreDomain`: the run does not take its tenant from the file (--local targets the dev tenant;
 * reading only the API's identifier needs none), so the file's `domain` is left out before `${VAR}`
 * is replaced — `domain: ${AUTH0_DOMAIN}` then needs no AUTH0_DOMAIN.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv, { ignoreDomain = false } = {}): Promise<Config> {
  const text = await readInputText(file, { what: "the config file", flag: "--config" });
  let raw: unknown;
  try {
    const { parse } = await import("yaml");
    raw = parse(text);
  } catch (error) {
    throw new InputError(`The config file ${file} is not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  if (ignoreDomain && raw && typeof raw === "object" && !Array.isArray(raw)) delete (raw as Record<string, unknown>).domain;
  const expanded = expandEnv(raw, env, file);
  assertNoControlCharactersIn(expanded, (path) => `${path} in ${file}`);
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(
      `The config file ${file} is invalid at ${issue.path.join(".") || "(top level)"}: ${issue.message}.`,
      "Its JSON Schema (schema/mcp-auth0.config.schema.json in the package) lets editors check it as you type.",
    );
  }
  return parsed.data;
}
