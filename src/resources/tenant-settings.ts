import type { Management } from "auth0";
import type { Tenant } from "../tenant/connect.js";
import { diffFields, fieldLines, plainHeadline, type BaseChange, type FieldChange, type Handler, type Written } from "./handler.js";
import { readResourceServer } from "./resource-server.js";

export interface TenantSettingsChange extends BaseChange {
  kind: "tenant-settings";
  /** The PATCH body: only the fields (and flags) that differ. */
  body: Record<string, unknown>;
  /** Teardown --reset-tenant-settings: why the settings stay on (other APIs' MCP clients need them). */
  kept?: string;
}

export interface DefaultAudienceChange extends BaseChange {
  kind: "default-audience";
  current: string | undefined;
  desired: string;
  /** The API existed before this run: a teardown running at the same time may delete it, so the claim reads it again too. */
  apiExisted?: boolean;
}

export type TenantSettings = Management.GetTenantSettingsResponseContent & {
  flags?: Record<string, unknown>;
  resource_parameter_profile?: string;
  authorization_response_iss_parameter_supported?: boolean;
  client_id_metadata_document_supported?: boolean;
};

export interface TenantSettingsDesired {
  cimd: boolean;
}

/** SPEC §2: the tenant-wide switches MCP clients depend on. */
function desiredTenantSettings(options: TenantSettingsDesired) {
  return {
    flags: {
      // MCP clients register themselves (RFC 7591) at /oidc/register.
      enable_dynamic_client_registration: true,
      // Third-party (DCR) clients always see consent; descriptions make it readable. Not in the SDK's types.
      use_scope_descriptions_for_consent: true,
    },
    top: {
      // MCP clients send RFC 8707 `resource`, not Auth0's `audience`; the compatibility profile honours it.
      resource_parameter_profile: "compatibility",
      // RFC 9207: MCP clients check `iss` in the authorization response.
      authorization_response_iss_parameter_supported: true,
      ...(options.cimd ? { client_id_metadata_document_supported: true } : {}),
    } as Record<string, unknown>,
  };
}

export async function readTenantSettings(tenant: Tenant): Promise<TenantSettings> {
  return (await tenant.client.tenants.settings.get()) as TenantSettings;
}

export function planTenantSettings(current: TenantSettings, desired: TenantSettingsDesired): TenantSettingsChange {
  return planSettingsValues(current, desiredTenantSettings(desired));
}

/** The values init turns on, turned back off (teardown --reset-tenant-settings), where they are on. */
export function planSettingsReset(current: TenantSettings): TenantSettingsChange {
  const on = desiredTenantSettings({ cimd: true });
  const off = {
    flags: Object.fromEntries(Object.keys(on.flags).map((k) => [k, false])),
    top: { resource_parameter_profile: "audience", authorization_response_iss_parameter_supported: false, client_id_metadata_document_supported: false },
  };
  const isOn = (value: unknown, key: string, group: Record<string, unknown>) => value === group[key];
  const flags = current.flags ?? {};
  return planSettingsValues(current, {
    flags: Object.fromEntries(Object.entries(off.flags).filter(([k]) => isOn(flags[k], k, on.flags))),
    top: Object.fromEntries(Object.entries(off.top).filter(([k]) => isOn((current as Record<string, unknown>)[k], k, on.top))),
  });
}

/** Only the fields (and flags) that differ from `want`; Auth0 merges `flags` key by key, so only those are sent. */
function planSettingsValues(current: TenantSettings, want: { flags: Record<string, unknown>; top: Record<string, unknown> }): TenantSettingsChange {
  const flagChanges = diffFields(current.flags ?? {}, want.flags, "flags.");
  const topChanges = diffFields(current as Record<string, unknown>, want.top);
  const fields: FieldChange[] = [...flagChanges, ...topChanges];
  const body: Record<string, unknown> = Object.fromEntries(topChanges.map((c) => [c.field, c.to]));
  if (flagChanges.length) body.flags = Object.fromEntries(flagChanges.map((c) => [c.field.slice("flags.".length), c.to]));
  return { kind: "tenant-settings", label: "Tenant settings", action: fields.length ? "update" : "unchanged", fields, body };
}

export type DefaultAudiencePolicy = "auto" | "replace" | "never";

/**
 * SPEC §2 safety rule: the default audience is appended to every authorization request of every
 * application in the tenant. Set it only when there is none; replace another API's only when asked.
 */
export function planDefaultAudience(
  current: TenantSettings,
  identifier: string,
  policy: DefaultAudiencePolicy,
  options: { apiExisted?: boolean } = {},
): { change?: DefaultAudienceChange; warning?: string } {
  if (policy === "never") return {};
  const existing = current.default_audience || undefined;
  const label = "Default audience";
  if (existing === identifier) {
    return { change: { kind: "default-audience", label, action: "unchanged", fields: [], current: existing, desired: identifier } };
  }
  if (existing && policy !== "replace") {
    return {
      warning:
        `The tenant's default audience is ${existing}, another API; it was left as it is because it applies to every application of the tenant. ` +
        `MCP clients still get tokens for ${identifier} through the resource parameter. To make ${identifier} the default, re-run with --default-audience.`,
    };
  }
  return {
    change: {
      kind: "default-audience",
      label,
      action: "update",
      fields: [{ field: "default_audience", from: existing, to: identifier }],
      current: existing,
      desired: identifier,
      ...(options.apiExisted && identifier ? { apiExisted: true } : {}),
    },
  };
}

/**
 * One `PATCH /tenants/settings` per run: the switches and the default audience go in the same body
 * (in wave 2, once the API the default audience names exists). Auth0 answers with the settings.
 */
const SETTINGS_PATCH = "tenant-settings";
const patchSettings = async (tenant: Tenant, body: Record<string, unknown>): Promise<Written> => ({
  object: await tenant.client.tenants.settings.update(body as Management.UpdateTenantSettingsRequestContent),
});

/** The PATCH answers with the whole settings: they are the tenant's settings after apply. */
const settleSettings = (state: object, _change: unknown, written: Written) => {
  if (written.object) (state as { settings?: TenantSettings }).settings = written.object as TenantSettings;
};

export const tenantSettingsHandler: Handler<TenantSettingsChange> = {
  kind: "tenant-settings",
  order: 0,
  scopes: () => ["update:tenant_settings"],
  headline: (change) => (change.kept ? `${change.label}: stay as they are` : plainHeadline(change)),
  details: (change) => (change.kept ? [`kept: ${change.kept}`] : fieldLines(change)),
  describe: () => "Update tenant settings",
  writes: (change) => [{ wave: 2, merge: { key: SETTINGS_PATCH, body: change.body, send: patchSettings } }],
  settle: settleSettings,
};

/**
 * The default audience is tenant-wide and every run of init would claim it for its own API: two
 * inits for different APIs both set it and both said "Default audience: <own API>", and an init
 * racing a teardown left it naming the deleted API. The plan's read is seconds old by the time of
 * the write, so the setting (and an API that existed before this run) is read again right before
 * it is set, under a lock shared by the runs on this machine (apply.ts, Handler.claim): set only
 * when it still holds what the plan saw (SPEC §2: set only when the tenant has none, replace only
 * what the user agreed to replace). Otherwise nothing is written, the run says why, and its closing
 * verdict reads what the tenant holds.
 */
async function recheckDefaultAudience(tenant: Tenant, change: DefaultAudienceChange): Promise<{ change: DefaultAudienceChange; written?: Written }> {
  const [settings, api] = await Promise.all([readTenantSettings(tenant), change.apiExisted ? readResourceServer(tenant, change.desired) : undefined]);
  const now = settings.default_audience || undefined;
  if (now === (change.desired || undefined)) return { change: { ...change, action: "unchanged", fields: [] } };
  if (now !== change.current) {
    return {
      change,
      written: {
        // Clearing it is teardown's (which has no --default-audience): what it held no longer names the API going.
        notApplied: `The tenant's default audience became ${now ?? "none"} while this run was applying (another run changed it): it was left as it is. ${
          change.desired ? `To make ${change.desired} the default, re-run with --default-audience.` : `It no longer names ${change.current}, so it needs no clearing.`
        }`,
      },
    };
  }
  if (change.apiExisted && !api) {
    return {
      change,
      written: { notApplied: `API ${change.desired} was deleted while this run was applying (a teardown at the same time?): the default audience was not set to it.` },
    };
  }
  return { change };
}

export const defaultAudienceHandler: Handler<DefaultAudienceChange> = {
  kind: "default-audience",
  // Last in the plan: it applies to every application of the tenant, so a reader sees it on its own.
  order: 6,
  scopes: () => ["update:tenant_settings"],
  headline: plainHeadline,
  details: fieldLines,
  describe: (change) => (change.desired ? `Set the tenant's default audience to ${change.desired}` : "Clear the tenant's default audience"),
  writes: (change) => {
    const body = { default_audience: change.desired };
    return [{ wave: 2, merge: { key: SETTINGS_PATCH, body, send: patchSettings } }];
  },
  settle: settleSettings,
  claim: { key: () => DEFAULT_AUDIENCE_CLAIM, recheck: recheckDefaultAudience },
};

/** The lock key of everything that sets or depends on the tenant's default audience (deletion.ts: teardown's API). */
export const DEFAULT_AUDIENCE_CLAIM = "default-audience";
