import { rootCertificates } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";

/**
 * A fetch that trusts an extra CA (the dev tenant's) in this process only, besides the system's
 * roots: what NODE_EXTRA_CA_CERTS does, which Node reads only at start. The one such fetch: the
 * HTTP layer's for the Management API, `try`'s and the dev tenant's clients. Its answers are the
 * global `Response`, which the MCP SDK checks with instanceof (undici's own class is another one),
 * and keep the URL they answer (the auth0 SDK names the page of a listing by it).
 */
export function trustingFetch(caCertPem: string): { fetch: typeof fetch; dispatcher: Agent; close: () => Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, caCertPem] } });
  const fetchWithCa = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const answer = await undiciFetch(input as string, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
    // Statuses that carry no body: the Response constructor refuses one, even an empty stream.
    const body = [101, 204, 205, 304].includes(answer.status) ? null : (answer.body as ReadableStream | null);
    const response = new Response(body, { status: answer.status, statusText: answer.statusText, headers: [...answer.headers] });
    Object.defineProperty(response, "url", { value: answer.url });
    return response;
  };
  return { fetch: fetchWithCa as typeof fetch, dispatcher, close: () => dispatcher.close() };
}
