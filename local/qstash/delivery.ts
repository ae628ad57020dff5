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

/** True when the outcome is a 2xx response (upstash-protocols.md B5: any 2xx marks the message DELIVERED). */
export function isSuccess(o: AttemptOutcome): boolean {
  return o.kind === "response" && o.status >= 200 && o.status < 300;
}

/**
 * True for a 489 response carrying `Upstash-NonRetryable-Error: true`, which fails the message at once
 * (upstash-protocols.md B5).
 */
export function isNonRetryable(o: AttemptOutcome): boolean {
  return o.kind === "response" && o.status === 489 && (o.headers["upstash-nonretryable-error"]?.[0] ?? "").toLowerCase() === "true";
}

/**
 * Sends one attempt with fetch. Redirects are not followed (a 3xx is a non-2xx, hence a failure). The body is
 * omitted for GET/HEAD. The response body is read (up to {@link MAX_KEPT_RESPONSE_BYTES}) within the timeout.
 * Never throws: failures become `{kind: "error"}`.
 */
export async function sendAttempt(req: OutgoingRequest): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: hasBody ? new Uint8Array(req.body) : undefined,
      redirect: "manual",
      signal,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const headers: Record<string, string[]> = {};
    res.headers.forEach((value, name) => {
      if (name !== "set-cookie") headers[name] = [value];
    });
    const cookies = res.headers.getSetCookie();
    if (cookies.length > 0) headers["set-cookie"] = cookies;
    return { kind: "response", status: res.status, headers, body: body.subarray(0, MAX_KEPT_RESPONSE_BYTES) };
  } catch (err) {
    if (timeout.aborted) return { kind: "error", error: `timeout after ${req.timeoutMs} ms` };
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return { kind: "error", error: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
