/** The local Auth0-compatible tenant behind `mcp-auth0 dev` and the end-to-end tests. */
export { MANAGEMENT_SCOPES, TenantStore, startLocalTenant } from "./server.js";
export type { CallRecord, CustomDomain, FaultOptions, LocalTenant, LocalTenantOptions, OAuthSide, OAuthSideOptions, TestControls, TestLocalTenant, TestOptions } from "./server.js";
export { startDevTenant } from "./dev.js";
export type { DevTenant, DevTenantOptions, DevUser } from "./dev.js";
export type { Client, ClientGrant, Connection, ResourceServer, ResourceServerScope, Role, RolePermission, TenantSettings, TenantState, User } from "./store.js";
