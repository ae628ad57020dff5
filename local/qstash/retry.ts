import { parseDurationMs } from "./duration.js";

/**
 * Longest wait before a retry, in ms (docs/upstash-protocols.md B5: default backoff capped at 86400 s; Retry-After
 * capped at 1 day).
 */
export const MAX_RETRY_DELAY_MS = 86_400_000;

/**
 * QStash's default backoff before retry number `n` (1 for the first retry): `min(86400, e^(2.5 n))` seconds,
 * returned in ms (docs/upstash-protocols.md B5; n=1 -> ~12 s, 2 -> ~2m28s, 3 -> ~30 m).
 */
export function defaultBackoffMs(n: number): number {
  return Math.min(86_400, Math.exp(2.5 * n)) * 1000;
}

/** Response headers that tell when to retry, in the order they are consulted (docs/upstash-protocols.md B5). */
export const RETRY_AFTER_HEADERS = [
  "retry-after",
  "x-ratelimit-reset",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
] as const;

/**
 * Reads the wait a destination asked for, in ms, from the first present header of {@link RETRY_AFTER_HEADERS}:
 * a number of seconds (a value above 1e9 is taken as a unix timestamp in seconds, as `X-RateLimit-Reset` often
 * is), an HTTP date (RFC 1123), or a Go-style duration such as `6m5s`. Capped at {@link MAX_RETRY_DELAY_MS}.
 * @param headers response headers with lower-case names.
 * @returns ms to wait (>= 0), or undefined when no usable header is present.
 */
export function retryAfterMs(headers: Record<string, string[]>, nowMs = Date.now()): number | undefined {
  for (const name of RETRY_AFTER_HEADERS) {
    const value = headers[name]?.[0]?.trim();
    if (!value) continue;
    let ms: number | undefined;
    if (/^\d+(\.\d+)?$/.test(value)) {
      const n = Number(value);
      ms = n > 1e9 ? n * 1000 - nowMs : n * 1000;
    } else {
      ms = parseDurationMs(value);
      if (ms === undefined) {
        const date = Date.parse(value);
        if (!Number.isNaN(date)) ms = date - nowMs;
      }
    }
    if (ms !== undefined) return Math.min(MAX_RETRY_DELAY_MS, Math.max(0, ms));
  }
  return undefined;
}

/** Inputs of {@link nextRetryDelayMs}. */
export interface RetryDelayInput {
  /** Retries already made before this one (0 when scheduling the first retry). */
  retried: number;
  /** Compiled `Upstash-Retry-Delay` expression (ms), if the message has one. */
  expression?: (retried: number) => number;
  /** Headers of the failed response (lower-case names), if there was a response. */
  responseHeaders?: Record<string, string[]>;
  /** Divisor applied to every wait (the local stack's `retrySpeedup`, >= 1 speeds retries up). */
  speedup: number;
}

/**
 * Wait before the next retry, in ms: the destination's Retry-After (or X-RateLimit-Reset*) when present, else
 * the `Upstash-Retry-Delay` expression, else {@link defaultBackoffMs}(retried + 1); then divided by `speedup`
 * (local-stack rule: every retry wait is compressed by the same factor).
 */
export function nextRetryDelayMs(input: RetryDelayInput, nowMs = Date.now()): number {
  const fromHeader = input.responseHeaders ? retryAfterMs(input.responseHeaders, nowMs) : undefined;
  let ms: number;
  if (fromHeader !== undefined) ms = fromHeader;
  else if (input.expression) ms = Math.min(MAX_RETRY_DELAY_MS * 365, input.expression(input.retried));
  else ms = defaultBackoffMs(input.retried + 1);
  return ms / (input.speedup > 0 ? input.speedup : 1);
}
