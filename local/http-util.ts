import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Thrown by {@link readBody} when a request body exceeds its limit; servers answer 413. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`request body larger than ${limitBytes} bytes`);
  }
}

/**
 * Reads a request body completely.
 * @param limitBytes maximum size in bytes.
 * @returns the raw bytes (empty Buffer when there is no body).
 * @throws BodyTooLargeError when the body is larger than `limitBytes` (the rest of the body is drained).
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) tooLarge = true;
    if (!tooLarge) chunks.push(buf);
  }
  if (tooLarge) throw new BodyTooLargeError(limitBytes);
  return Buffer.concat(chunks);
}

/** Writes `body` as `application/json` with `status` and optional extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Writes a plain-text body with `status`. */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * Starts `server` on `host:port` (port 0 = ephemeral).
 * @returns the port actually bound.
 * @throws the listen error (e.g. `EADDRINUSE`).
 */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops `server`: refuses new connections, drops open ones, resolves when closed. Never rejects. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The bearer token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

/** True when the request comes from a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
export function isLoopback(req: IncomingMessage): boolean {
  const addr = req.socket.remoteAddress ?? "";
  return addr === "::1" || addr.startsWith("127.") || addr.startsWith("::ffff:127.");
}

/** Splits a raw request target (`/path?query`) into its path and query string (without `?`). */
export function splitTarget(rawUrl: string): { path: string; query: string } {
  const q = rawUrl.indexOf("?");
  return q < 0 ? { path: rawUrl, query: "" } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}
