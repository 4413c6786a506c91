import { json } from "../http.js";
import { selectFields } from "../paging.js";
import { updateTenantSettingsSchema, validateBody } from "../schemas.js";
import type { Route } from "./route.js";

export const tenantSettingsRoutes: Route[] = [
  {
    method: "GET",
    path: "/tenants/settings",
    scopes: ["read:tenant_settings"],
    handle: ({ store, query }) => json(200, selectFields(store.settings, query)),
  },
  {
    method: "PATCH",
    path: "/tenants/settings",
    scopes: ["update:tenant_settings"],
    handle: ({ store, body }) => {
      const patch = validateBody(updateTenantSettingsSchema, body);
      const { flags, ...topLevel } = patch;
      // Auth0 merges `flags` key by key: sending one flag leaves the others as they were.
      if (flags !== undefined) store.settings.flags = { ...store.settings.flags, ...flags };
      for (const [key, value] of Object.entries(topLevel)) {
        if (value === undefined) continue;
        // null clears a setting: Auth0 no longer answers it; so does "" for the default
        // redirection URI. A default audience sent as "" is answered as "" (both recorded by the
        // Terraform provider), which the OAuth side reads as no default audience.
        if (value === null || (key === "default_redirection_uri" && value === "")) delete store.settings[key];
        else store.settings[key] = value;
      }
      store.changed();
      return json(200, store.settings);
    },
  },
];
