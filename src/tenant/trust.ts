import { Agent, fetch as undiciFetch } from "undici";

/**
 * A fetch that trusts the dev tenant's CA in this process only (what NODE_EXTRA_CA_CERTS does for
 * a new process). Its answers are the global `Response`, which the MCP SDK checks with instanceof
 * (undici's own class is another one).
 */
export function trustingFetch(caCertPem: string): { fetch: typeof fetch; dispatcher: Agent; close: () => Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: caCertPem } });
  const fetchWithCa = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const answer = await undiciFetch(input as string, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
    // Statuses that carry no body: the Response constructor refuses one, even an empty stream.
    const body = [101, 204, 205, 304].includes(answer.status) ? null : (answer.body as ReadableStream | null);
    return new Response(body, { status: answer.status, statusText: answer.statusText, headers: [...answer.headers] });
  };
  return { fetch: fetchWithCa as typeof fetch, dispatcher, close: () => dispatcher.close() };
}
