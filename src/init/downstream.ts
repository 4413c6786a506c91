import { InputError } from "../errors.js";
import { parseDownstreamApi, validateDownstreamApis, type DownstreamApiInput } from "../input/downstream.js";
import type { InitMode } from "../input/proxy.js";
import { usesValue, type EnvTemplate, type EnvValues } from "../env/templates.js";
import type { Change } from "../plan/plan.js";
import type { TenantState } from "../resources/tenant-state.js";
import type { CustomApiClientChange } from "../resources/custom-api-client.js";
import type { DownstreamExpectation } from "../doctor/obo-checks.js";

/** The preset of Auth0's On-Behalf-Of sample: init's default .env when downstream APIs are given. */
export const OBO_TEMPLATE = "auth0-obo";

/**
 * The downstream APIs of the run, validated before any request: `--downstream-api` (repeatable)
 * replaces the config file's `downstreamApis`, as every flag overrides the file.
 */
export function gatherDownstreamApis(flags: string[] | undefined, fromConfig: DownstreamApiInput[] | undefined, mode: InitMode): DownstreamApiInput[] {
  const apis = flags?.length
    ? validateDownstreamApis(
        flags.map((raw) => parseDownstreamApi(raw)),
        undefined,
        "--downstream-api",
      )
    : (fromConfig ?? []);
  if (apis.length && mode === "proxy") {
    throw new InputError(
      "--downstream-api applies to DCR mode: its .env preset (auth0-obo, Auth0's On-Behalf-Of sample) has MCP clients register themselves.",
      "Leave out --mode proxy, or --downstream-api.",
    );
  }
  return apis;
}

/** The downstream APIs are not the MCP server's own (known once the wizard has asked for it). */
export function assertNotTheMcpApi(apis: DownstreamApiInput[], identifier: string): void {
  validateDownstreamApis(apis, identifier, "--downstream-api");
}

/** A preset that writes the exchange's values needs a downstream API to take them from. */
export function assertTemplateFits(template: EnvTemplate, apis: DownstreamApiInput[]): void {
  if (!apis.length && usesValue(template, "downstreamAudience")) {
    throw new InputError(
      `--template ${template.name} writes the On-Behalf-Of exchange's client and downstream API, and no --downstream-api is given.`,
      `Add --downstream-api <identifier>=<scopes> (the API your tools call on the user's behalf), or choose another preset.`,
    );
  }
}

const clientChange = (plan: { changes: Change[] }) => plan.changes.find((c): c is CustomApiClientChange => c.kind === "custom-api-client");

/**
 * What the sample's .env takes from the plan: the first downstream API (the sample calls one) as
 * the exchange's audience, and the scopes its grant gives, which the MCP server asks for.
 */
export function exchangeValues(plan: { changes: Change[] }): Pick<EnvValues, "downstreamAudience" | "exchangeScope"> {
  const grant = plan.changes.find((c) => c.kind === "downstream-grant");
  return grant?.kind === "downstream-grant" ? { downstreamAudience: grant.audience, exchangeScope: grant.grantScopes.join(" ") } : {};
}

/** The Custom API client as the .env sees it: its id and the secret read with it, when it exists already. */
export function envClient(plan: { changes: Change[] }, state: TenantState): { id?: string; secret?: string } | undefined {
  const client = clientChange(plan);
  if (!client) return undefined;
  return client.id ? { id: client.id, secret: state.customApiClient?.client_secret } : {};
}

/** What init reads for the exchange in its first round; the secret is asked for with the client (Auth0 leaves it out without read:client_keys). */
export const downstreamReads = (apis: DownstreamApiInput[]) => ({ identifiers: apis.map((d) => d.identifier), secret: true });

/** What the closing verdict checks the exchange for: each downstream API, with the scopes its grant gives. */
export function expectedDownstream(plan: { changes: Change[] }): DownstreamExpectation[] {
  return plan.changes.flatMap((c) => (c.kind === "downstream-grant" ? [{ identifier: c.audience, scopes: c.grantScopes }] : []));
}
