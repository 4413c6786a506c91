import type { IncomingMessage, ServerResponse } from "node:http";

/** An answer computed by a handler; the server decides whether and when to send it (see faults). */
export interface ApiResponse {
  status: number;
  /** Serialized as JSON; undefined means an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Every Management API error has Auth0's body shape `{statusCode, error, message, errorCode}`;
 * clients (and the auth0 SDK's `ManagementError.body`) read `errorCode` to tell errors apart.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode: string,
  ) {
    super(message);
  }

  toResponse(): ApiResponse {
    return {
      status: this.statusCode,
      body: { statusCode: this.statusCode, error: REASONS[this.statusCode] ?? "Error", message: this.message, errorCode: this.errorCode },
    };
  }
}

export function json(status: number, body?: unknown): ApiResponse {
  return { status, body };
}

/** Request bodies above this size are refused, like Auth0's API gateway does. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, "Payload too large", "payload_too_large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON request body; an empty body is an empty object (the SDK always sends one). */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch {
    // Auth0's API v2 runs on hapi, whose message this is.
    throw new ApiError(400, "Invalid request payload JSON format", "invalid_body");
  }
}

/** An answer frozen into bytes, so later changes to the store cannot alter a delayed answer. */
export interface SerializedResponse {
  status: number;
  headers: Record<string, string>;
  payload?: string;
}

export function serialize(response: ApiResponse): SerializedResponse {
  const headers: Record<string, string> = { ...response.headers };
  if (response.body === undefined) {
    // 204 answers carry no body and, per RFC 9110, no Content-Length either.
    if (response.status !== 204) headers["content-length"] = "0";
    return { status: response.status, headers };
  }
  const payload = JSON.stringify(response.body);
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = String(Buffer.byteLength(payload));
  return { status: response.status, headers, payload };
}

export function send(res: ServerResponse, response: SerializedResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.payload);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
