import { randomBytes } from "node:crypto";
import { ApiError, json } from "../http.js";
import { boolParam, offsetPage, selectFields } from "../paging.js";
import type { TenantStore } from "../store.js";
import { param, type Route } from "./route.js";

/**
 * Rules, Auth0's deprecated login pipeline: only as much as `mcp-auth0 doctor` reads (active rules
 * break third-party logins) and the fix it prints turns off (`PATCH /rules/{id} {"enabled":false}`).
 * Tests seed them with `addRule`; they live beside the store, not in `state.json`.
 */
export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  order: number;
  stage: "login_success";
  script: string;
}

const rulesOf = new WeakMap<TenantStore, Rule[]>();

export function rules(store: TenantStore): Rule[] {
  let list = rulesOf.get(store);
  if (!list) rulesOf.set(store, (list = []));
  return list;
}

export function addRule(store: TenantStore, input: { name: string; enabled?: boolean; script?: string }): Rule {
  const list = rules(store);
  const rule: Rule = {
    id: `rul_${randomBytes(8).toString("hex")}`,
    name: input.name,
    enabled: input.enabled ?? true,
    order: list.length + 1,
    stage: "login_success",
    script: input.script ?? "function (user, context, callback) { callback(null, user, context); }",
  };
  list.push(rule);
  return rule;
}

function find(store: TenantStore, id: string): Rule {
  const rule = rules(store).find((r) => r.id === id);
  if (!rule) throw new ApiError(404, "The rule does not exist.", "inexistent_rule");
  return rule;
}

export const ruleRoutes: Route[] = [
  {
    method: "GET",
    path: "/rules",
    scopes: ["read:rules"],
    handle: ({ store, query }) => {
      const enabled = boolParam(query, "enabled");
      const list = rules(store).filter((r) => enabled === undefined || r.enabled === enabled);
      return offsetPage(list, "rules", query, { project: (r) => selectFields(r, query) });
    },
  },
  {
    method: "PATCH",
    path: "/rules/:id",
    scopes: ["update:rules"],
    handle: (ctx) => {
      const rule = find(ctx.store, param(ctx, "id"));
      const body = (ctx.body ?? {}) as Record<string, unknown>;
      const unknown = Object.keys(body).filter((k) => !["enabled", "name", "script", "order"].includes(k));
      if (unknown.length) throw new ApiError(400, `Payload validation error: 'Additional properties not allowed: ${unknown.join(",")}'.`, "invalid_body");
      if (body.enabled !== undefined && typeof body.enabled !== "boolean")
        throw new ApiError(400, "Payload validation error: 'Expected type boolean' on property enabled.", "invalid_body");
      Object.assign(rule, body);
      return json(200, rule);
    },
  },
];
