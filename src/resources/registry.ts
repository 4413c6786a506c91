import type { Handler } from "./handler.js";
import { tenantSettingsHandler, defaultAudienceHandler, type TenantSettingsChange, type DefaultAudienceChange } from "./tenant-settings.js";
import { resourceServerHandler, type ResourceServerChange } from "./resource-server.js";
import { applicationHandler, type ApplicationChange } from "./application.js";
import { clientGrantHandler, type ClientGrantChange } from "./client-grant.js";
import { connectionHandler, type ConnectionChange } from "./connections.js";
import { roleHandler, type RoleChange } from "./roles.js";
import { deletionHandler, type DeleteChange } from "./deletion.js";
import { cimdClientHandler, type CimdClientChange } from "./cimd-client.js";
import { customApiClientHandler, type CustomApiClientChange } from "./custom-api-client.js";
import { downstreamGrantHandler, type DownstreamGrantChange } from "./downstream-grant.js";

/** Every change a plan can hold: one kind per handler below. */
export type Change =
  | TenantSettingsChange
  | ResourceServerChange
  | ClientGrantChange
  | ConnectionChange
  | RoleChange
  | DefaultAudienceChange
  | ApplicationChange
  | CimdClientChange
  | CustomApiClientChange
  | DownstreamGrantChange
  | DeleteChange;

type Registry = { [K in Change["kind"]]: Handler<Extract<Change, { kind: K }>> };

/** The handlers, one per Auth0 resource. Adding a resource is one file and one line here. */
const HANDLERS: Registry = {
  "tenant-settings": tenantSettingsHandler,
  "resource-server": resourceServerHandler,
  application: applicationHandler,
  "client-grant": clientGrantHandler,
  connection: connectionHandler,
  role: roleHandler,
  "default-audience": defaultAudienceHandler,
  "cimd-client": cimdClientHandler,
  "custom-api-client": customApiClientHandler,
  "downstream-grant": downstreamGrantHandler,
  delete: deletionHandler,
};

/** The handler of a change, typed for that change. */
export function handlerOf<C extends Change>(change: C): Handler<C> {
  return HANDLERS[change.kind as C["kind"]] as unknown as Handler<C>;
}
