import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** Largest response body kept for callbacks and the DLQ, in bytes (B8: "which may be truncated"). */
export const MAX_KEPT_RESPONSE_BYTES = 1024 * 1024;

/** One HTTP request the emulator sends to a destination or callback URL. */
export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Abort the attempt after this many ms (`Upstash-Timeout`). */
  timeoutMs: number;
  /** Aborts the attempt early (cancel, shutdown). */
  signal?: AbortSignal;
}

/** Result of one attempt: an HTTP response (any status), or no response (connection error, timeout, abort). */
export type AttemptOutcome =
  | { kind: "response"; status: number; headers: Record<string, string[]>; body: Buffer }
  | { kind: "error"; error: string };

/** True when the outcome is a 2xx response (docs/upstash-protocols.md B5: any 2xx marks the message DELIVERED). */
export function isSuccess(o: AttemptOutcome): boolean {
  return o.kind === "response" && o.status >= 200 && o.status < 300;
}

/**
 * True for a 489 response carrying `Upstash-NonRetryable-Error: true`, which fails the message at once
 * (docs/upstash-protocols.md B5).
 */
export function isNonRetryable(o: AttemptOutcome): boolean {
  return (
    o.kind === "response" &&
    o.status === 489 &&
    (o.headers["upstash-nonretryable-error"]?.[0] ?? "").toLowerCase() === "true"
  );
}

/** Idle time after which a kept-alive connection to a destination is closed, ms (shorter than workerd's and Node's
 * own server keep-alive timeouts of 5 s, so the emulator is not the side that reuses a socket the server closed). */
const IDLE_SOCKET_MS = 4_000;

/** Connections are kept alive and reused across attempts, as an HTTP client such as QStash's does. */
const agents = {
  "http:": new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  "https:": new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/**
 * Sends one attempt with `node:http` (or `node:https`) over kept-alive connections. Redirects are not followed (a
 * 3xx is a non-2xx, hence a failure). The body is omitted for GET/HEAD. No `Accept-Encoding` is sent, so the
 * response comes uncompressed. The response body is read within the timeout; the first
 * {@link MAX_KEPT_RESPONSE_BYTES} are kept. When a reused connection turns out to be closed by the server
 * (`ECONNRESET` before any response), the request is sent once more on a new connection, as Node's documentation
 * advises for kept-alive sockets: within the same timeout and with the same `Upstash-Retried`, so it is not a
 * QStash retry. Like any at-least-once delivery, the destination may then see the request twice (a server that
 * died mid-request). Never throws: failures (refused, reset, timeout, abort, a header Node refuses to send)
 * become `{kind: "error"}`.
 *
 * Why not `fetch`: profiling the benchmark showed undici's fetch and the gzip it negotiates (workerd compresses
 * JSON responses when the client accepts gzip) as the emulator's largest CPU costs, on the same two cores as the
 * worker it measures.
 */
export async function sendAttempt(req: OutgoingRequest): Promise<AttemptOutcome> {
  let target: URL;
  try {
    target = new URL(req.url);
  } catch {
    return { kind: "error", error: `invalid URL ${req.url}` };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    return { kind: "error", error: `unsupported protocol ${target.protocol}` };
  const deadline = Date.now() + req.timeoutMs;
  const first = await attemptOnce(req, target, deadline);
  if (first.kind !== "retry-on-new-connection") return first;
  const second = await attemptOnce(req, target, deadline, true);
  return second.kind === "retry-on-new-connection" ? { kind: "error", error: "connection reset" } : second;
}

type Once = AttemptOutcome | { kind: "retry-on-new-connection" };

/** One request on a kept-alive connection (or, `fresh`, on a new one), settled by `deadline` (ms since epoch). */
function attemptOnce(req: OutgoingRequest, target: URL, deadline: number, fresh = false): Promise<Once> {
  return new Promise<Once>((resolve) => {
    if (req.signal?.aborted) return resolve({ kind: "error", error: "aborted" });
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const headers: Record<string, string> = { ...req.headers };
    if (hasBody) headers["content-length"] = String(req.body.length);
    let request: ClientRequest;
    try {
      request = (target.protocol === "https:" ? httpsRequest : httpRequest)(target, {
        method: req.method,
        headers,
        agent: fresh ? false : agents[target.protocol as "http:" | "https:"],
      });
    } catch (err) {
      // e.g. ERR_INVALID_CHAR for a header value with CR/LF, or an invalid method
      return resolve({ kind: "error", error: err instanceof Error ? err.message : String(err) });
    }
    let settled = false;
    let responded = false;
    const finish = (o: Once) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      resolve(o);
    };
    // the error listener goes first: destroy() below emits "error" on the next tick
    request.on("error", (err: NodeJS.ErrnoException) => {
      if (!responded && !fresh && request.reusedSocket && err.code === "ECONNRESET")
        return finish({ kind: "retry-on-new-connection" });
      finish({ kind: "error", error: err.message });
    });
    const timer = setTimeout(
      () => {
        request.destroy();
        finish({ kind: "error", error: `timeout after ${req.timeoutMs} ms` });
      },
      Math.max(0, deadline - Date.now()),
    );
    const onAbort = () => {
      request.destroy();
      finish({ kind: "error", error: "aborted" });
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    request.on("response", (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (chunk: Buffer) => {
        if (kept >= MAX_KEPT_RESPONSE_BYTES) return;
        const part = chunk.subarray(0, MAX_KEPT_RESPONSE_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      });
      res.on("error", (err) => finish({ kind: "error", error: err.message }));
      res.on("end", () => {
        const { "set-cookie": cookies, ...rest } = res.headersDistinct;
        const headers: Record<string, string[]> = {};
        // one value per header as fetch's Headers gives it (repeated values joined), set-cookie kept apart
        for (const [name, values] of Object.entries(rest)) if (values) headers[name] = [values.join(", ")];
        if (cookies && cookies.length > 0) headers["set-cookie"] = cookies;
        finish({ kind: "response", status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    request.end(hasBody ? req.body : undefined);
  });
}
