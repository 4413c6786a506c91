import { MalformedAnswerError } from "./answers.js";

/** What mcp-auth0 uses of the SDK's `Page` (each `list` call answers one, its first page loaded). */
export interface Listing<T> {
  data: T[];
  response: unknown;
  rawResponse: { url: string };
  hasNextPage(): boolean;
  getNextPage(): Promise<unknown>;
}

/**
 * No listing mcp-auth0 reads holds more than this many pages of 100 on a real tenant: Auth0 caps
 * roles at 1000 per tenant and permissions at 1000 per role (10 pages each), serves at most 1000
 * records by page number, and 100,000 role members or applications would be far beyond what any
 * tenant using this tool has. At a free tenant's 2 requests per second it is already eight minutes.
 */
export const MAX_PAGES = 1000;

/**
 * Every item of a listing, page after page, as `for await` over the SDK's page walks it — but
 * bounded, since the SDK follows whatever the answers say: a `next` checkpoint that never ends, or
 * full pages past the end, would be followed forever (tens of thousands of requests a minute).
 * - A listing that says how many items it holds (`total`) is read until it has that many.
 * - A checkpoint that comes back, or a page that repeats the one before it, is a listing that does
 *   not advance (a proxy that drops the paging parameters answers so).
 * - No listing goes past `MAX_PAGES`.
 * Each of these stops the run with the call named (`MalformedAnswerError`).
 */
export async function* eachItem<T>(listing: Promise<Listing<T>>): AsyncGenerator<T, void, undefined> {
  const page = await listing;
  const call = `GET ${pathOf(page.rawResponse.url)}`;
  const checkpoints = new Set<string>();
  let count = 0;
  for (let pages = 1; ; pages++) {
    yield* page.data;
    count += page.data.length;
    const { total, next } = page.response as { total?: unknown; next?: unknown };
    if (typeof total === "number" && count >= total) return;
    if (!page.hasNextPage()) return;
    if (typeof next === "string") {
      if (checkpoints.has(next)) throw new MalformedAnswerError(call, `the listing does not end: after ${pages} pages it named a checkpoint it had named before`);
      checkpoints.add(next);
    }
    if (pages >= MAX_PAGES)
      throw new MalformedAnswerError(call, `the listing did not end after ${MAX_PAGES} pages${typeof total === "number" ? ` (it says it holds ${total} items)` : ""}`);
    const before = JSON.stringify(page.data);
    await page.getNextPage();
    if (page.data.length > 0 && JSON.stringify(page.data) === before) throw new MalformedAnswerError(call, `the listing does not advance: page ${pages + 1} repeats page ${pages}`);
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "(a listing)";
  }
}
