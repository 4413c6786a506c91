/** The local Auth0-compatible tenant behind `mcp-auth0 dev` and the end-to-end tests. */
export { MANAGEMENT_SCOPES, TenantStore, startLocalTenant } from "./server.js";
export type { CallRecord, FaultOptions, LocalTenant, LocalTenantOptions } from "./server.js";
export type {
  Client,
  ClientGrant,
  Connection,
  ResourceServer,
  ResourceServerScope,
  Role,
  RolePermission,
  TenantSettings,
  TenantState,
  User,
} from "./store.js";
