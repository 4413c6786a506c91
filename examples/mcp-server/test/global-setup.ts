import { fileURLToPath } from "node:url";

import { startDevTenant, type DevTenantInfo } from "mcp-auth0/dev";
import type { TestProject } from "vitest/node";

/*
 * One dev tenant for the whole suite, provisioned from this project's own mcp-auth0.config.yaml by
 * the real `mcp-auth0 init`: the API, its scopes, the roles and which dev user holds which.
 */

declare module "vitest" {
  export interface ProvidedContext {
    devTenant: DevTenantInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tenant = await startDevTenant({ config: fileURLToPath(new URL("../mcp-auth0.config.yaml", import.meta.url)) });
  project.provide("devTenant", tenant.info);
  return () => tenant.stop();
}
