import { z } from "zod";

/*
 * What mcp-auth0 relies on in each answer of Auth0 it reads, checked where the answer enters (the
 * HTTP layer, before the SDK parses it). Auth0 is not the only thing that can answer: a proxy, a
 * captive portal or a cut connection hands over an HTML page, half a JSON document or `{}` with a
 * 200, and the SDK turns those into "no items" — an empty connection list blamed on the user, no
 * application found so a second one is created. A malformed answer is a fault like a 503 instead:
 * reads are retried, and a lasting one stops the run with the call named.
 *
 * The schemas are loose on purpose: unknown fields pass, and only the fields the code reads are
 * checked, with the types it reads them as. A listing is the object the SDK's pager reads its items
 * from (`include_totals=true`, which the SDK always sends, or checkpoint paging): an array there
 * would be read as an empty page.
 */

const text = z.string().nullish();
const flag = z.boolean().nullish();
const strings = z.array(z.string()).nullish();

const client = z.looseObject({
  client_id: z.string(),
  name: text,
  app_type: text,
  callbacks: strings,
  grant_types: strings,
  is_first_party: flag,
  global: flag,
  external_client_id: text,
  external_metadata_type: text,
  resource_server_identifier: text,
  client_secret: text,
  client_metadata: z.record(z.string(), z.unknown()).nullish(),
});
const connection = z.looseObject({ id: z.string(), name: z.string(), strategy: text, is_domain_connection: flag });
const role = z.looseObject({ id: z.string(), name: z.string(), description: text });
const resourceServer = z.looseObject({
  id: z.string(),
  identifier: z.string(),
  name: text,
  scopes: z.array(z.looseObject({ value: z.string(), description: text })).nullish(),
});
const clientGrant = z.looseObject({ id: z.string(), audience: text, client_id: text, default_for: text, subject_type: text, scope: strings });
const tenantSettings = z.looseObject({ flags: z.record(z.string(), z.unknown()).nullish(), default_audience: text });

/** A page of a listing: its items under `key`, and what the pager reads to go on. */
const listing = (key: string, item: z.ZodType) =>
  z.looseObject({ [key]: z.array(item), total: z.number().nullish(), start: z.number().nullish(), limit: z.number().nullish(), next: text });

/** By call: method and path, `:id` standing for one path segment. */
const ANSWERS: Record<string, z.ZodType> = {
  "POST /oauth/token": z.looseObject({ access_token: z.string().min(1), scope: text }),
  "GET /api/v2/tenants/settings": tenantSettings,
  "PATCH /api/v2/tenants/settings": tenantSettings,
  "GET /api/v2/resource-servers/:id": resourceServer,
  "POST /api/v2/resource-servers": resourceServer,
  "PATCH /api/v2/resource-servers/:id": resourceServer,
  "GET /api/v2/client-grants": listing("client_grants", clientGrant),
  "POST /api/v2/client-grants": clientGrant,
  "PATCH /api/v2/client-grants/:id": clientGrant,
  "GET /api/v2/connections": listing("connections", connection),
  "GET /api/v2/connections/:id": connection,
  "PATCH /api/v2/connections/:id": connection,
  "GET /api/v2/connections/:id/clients": listing("clients", z.looseObject({ client_id: z.string() })),
  "GET /api/v2/roles": listing("roles", role),
  "POST /api/v2/roles": role,
  "PATCH /api/v2/roles/:id": role,
  "GET /api/v2/roles/:id/permissions": listing("permissions", z.looseObject({ resource_server_identifier: text, permission_name: text })),
  "GET /api/v2/roles/:id/users": listing("users", z.looseObject({ user_id: z.string(), email: text })),
  "GET /api/v2/users-by-email": z.array(z.looseObject({ user_id: z.string(), email: text })),
  "GET /api/v2/clients": listing("clients", client),
  "GET /api/v2/clients/:id": client,
  "POST /api/v2/clients": client,
  "PATCH /api/v2/clients/:id": client,
  "POST /api/v2/clients/cimd/register": z.looseObject({ client_id: z.string() }),
  "GET /api/v2/rules": listing("rules", z.looseObject({ id: z.string(), name: text, enabled: flag })),
  "GET /api/v2/custom-domains": z.array(z.looseObject({ domain: text, status: text, is_default: flag })),
};

const ROUTES = Object.entries(ANSWERS).map(([call, schema]) => {
  const [method, path] = call.split(" ") as [string, string];
  return { method, segments: path.split("/"), schema };
});

function schemaFor(method: string, pathname: string): z.ZodType | undefined {
  const segments = pathname.split("/");
  return ROUTES.find((r) => r.method === method && r.segments.length === segments.length && r.segments.every((s, i) => s === ":id" || s === segments[i]))?.schema;
}

/**
 * An answer of Auth0 that mcp-auth0 cannot use — malformed, or a listing that never ends — named by
 * its call. The HTTP layer retries a malformed read like a 503; this is what remains when that
 * does not help.
 */
export class MalformedAnswerError extends Error {
  constructor(
    /** Method and path, e.g. `GET /api/v2/connections`. */
    readonly call: string,
    readonly problem: string,
  ) {
    super(`${call}: ${problem}`);
    this.name = "MalformedAnswerError";
  }
}

/**
 * What is wrong with a successful answer's body, or undefined when it is what the call returns.
 * Says nothing of the bytes themselves: they came from outside and may not be printed.
 */
export function answerProblem(method: string, pathname: string, body: string): string | undefined {
  let value: unknown;
  try {
    value = body === "" ? undefined : JSON.parse(body);
  } catch {
    return `the answer is not JSON (${Buffer.byteLength(body)} bytes: cut short, or a page from something other than Auth0)`;
  }
  const schema = schemaFor(method, pathname);
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.join(".") : "the answer";
  return `the answer is not the Management API's (${where}: ${issue.message.replace(/^Invalid input: /, "")})`;
}
