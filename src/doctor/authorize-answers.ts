/*
 * What a tenant answers to an authorization request, read as a browser reads it: the way through
 * its redirects and pages, and what Auth0's words there mean. doctor --client walks it up to the
 * first page, submitting nothing; try (connection/user-agent.ts) answers the dev tenant's login and
 * consent pages on it. Both name a failure from the one table below, so that one answer means the
 * same to both.
 */

/** The way stopped on one of the tenant's pages: an error page (strict third-party clients get no redirect), or a login it cannot answer. */
export class StoppedOnPage extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
export const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) => entities[e]!);

/** The visible text of a page, on one line. */
export function pageText(html: string): string {
  return unescapeHtml(
    html
      .replace(/<(style|title|script)\b[^>]*>[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

/** A page the way stopped at: what the tenant answered there. */
export interface Page {
  status: number;
  url: URL;
  html: string;
}

/**
 * A browser's way from `start` through the tenant's pages: follows the redirects, keeping the
 * cookies a browser would (the login page belongs to the transaction /authorize started), up to a
 * URL `arrived` accepts — never fetched: what came back is read from the URL — or to a page.
 * `answer` gives the form fields the user submits on a page, or undefined to stop there.
 * StoppedOnPage when `steps` requests reach neither.
 */
export async function browse(
  fetchFn: typeof fetch,
  start: URL,
  arrived: (url: URL) => boolean,
  answer: (page: Page) => Promise<Record<string, string> | undefined>,
  steps: number,
): Promise<{ kind: "redirect"; location: URL } | ({ kind: "page" } & Page)> {
  const cookies = new Map<string, string>();
  let url = start;
  let form: RequestInit | undefined;
  for (let step = 0; step < steps; step++) {
    const headers = new Headers(form?.headers);
    headers.set("accept", "text/html");
    if (cookies.size > 0) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetchFn(url.href, { ...form, headers, redirect: "manual" });
    form = undefined;
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const eq = pair.indexOf("=");
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      if (arrived(url)) return { kind: "redirect", location: url };
      continue;
    }
    const page = { status: response.status, url, html: await response.text() };
    const fields = await answer(page);
    const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1];
    const state = /name="state" value="([^"]+)"/.exec(page.html)?.[1];
    if (!fields || !action || !state) return { kind: "page", ...page };
    form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ state, ...fields }).toString() };
    url = new URL(action, url);
  }
  throw new StoppedOnPage(0, "too_many_redirects", `neither a page nor a way off ${start.origin} within ${steps} steps`);
}

/**
 * Auth0's failures at /authorize, read from its error page or from a redirect's
 * `error: error_description` (AUTH0-FACTS; the dev tenant answers with the same texts,
 * local-tenant/oauth/policy.ts AUTH0_ERRORS).
 */
export type AuthorizeFailure =
  "unknown-client" | "service-not-found" | "no-connection" | "userinfo-audience" | "callback-mismatch" | "not-granted" | "consent-declined" | "refused-parameter";

const AUTHORIZE_FAILURES: Array<[AuthorizeFailure, RegExp]> = [
  ["unknown-client", /Unknown client|invalid_client/i],
  ["service-not-found", /Service not found|Service not enabled within domain/i],
  ["no-connection", /no connections enabled for the client/i],
  ["userinfo-audience", /userinfo audience is not allowed/i],
  ["callback-mismatch", /Callback URL mismatch|redirect_uri/i],
  ["not-granted", /is not authorized to access/i],
  ["consent-declined", /User did not authorize the request/i],
  // Auth0 documents only the code for the parameters strict third-party clients may not send.
  ["refused-parameter", /invalid_request/i],
];

export function authorizeFailure(text: string): AuthorizeFailure | undefined {
  return AUTHORIZE_FAILURES.find(([, pattern]) => pattern.test(text))?.[0];
}
