import { parseDurationMs } from "./duration.js";
import type { CallbackSpec, FlowControlSpec, MessageRecord } from "./message.js";

/** Retries when `Upstash-Retries` is absent (docs/upstash-protocols.md B5: default 3, i.e. 4 attempts). */
export const DEFAULT_RETRIES = 3;

/**
 * Per-attempt timeout when `Upstash-Timeout` is absent, in ms. Real QStash uses the plan's maximum HTTP
 * response duration (B5, unconfirmed value); 15 minutes is the free plan's figure.
 */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** Flow-control period when the value gives none, in ms (B5: "period (default 1s)"). */
export const DEFAULT_FLOW_CONTROL_PERIOD_MS = 1000;

/** Thrown for an invalid publish request; the API answers `400 {"error": message}`. */
export class PublishRequestError extends Error {
  override name = "PublishRequestError";
}

/** Raw input of a publish: destination from the path (B1), lower-case header names, raw body. */
export interface PublishInput {
  /** Destination, rebuilt from the raw path and query (B1). */
  destination: string;
  /** Request headers with lower-case names. */
  headers: Record<string, string>;
  /** Raw body bytes. */
  body: Buffer;
  /** Publisher's IP address. */
  callerIp: string;
  /** Current time, unix ms. */
  now: number;
}

/** A validated publish: everything needed to create a message, plus its deduplication settings. */
export interface PublishRequest extends Omit<MessageRecord, "id" | "kind" | "retried" | "state" | "sourceMessageId"> {
  /** `Upstash-Deduplication-Id`, if given. */
  deduplicationId?: string;
  /** `Upstash-Content-Based-Deduplication: true`. */
  contentBasedDeduplication: boolean;
}

/** Hop-by-hop and transport headers that are never forwarded to a destination. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-connection",
]);

/** Headers named `<prefix><name>` with the prefix removed (names lower-case), hop-by-hop headers skipped. */
export function strippedHeaders(headers: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith(prefix)) continue;
    const name = k.slice(prefix.length);
    if (name && !NOT_FORWARDED.has(name)) out[name] = v;
  }
  return out;
}

function parseRetries(value: string | undefined, header: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new PublishRequestError(`invalid ${header}: expected a non-negative integer, got "${value}"`);
  return Number(value.trim());
}

function parseDuration(value: string | undefined, header: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined)
    throw new PublishRequestError(`invalid ${header}: "${value}" is not a duration like 10s, 5m or 1d10h30m`);
  return ms;
}

function parseMethod(value: string | undefined, header: string): string {
  const method = (value ?? "POST").trim().toUpperCase();
  if (!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].includes(method)) {
    throw new PublishRequestError(`invalid ${header}: "${value}"`);
  }
  return method;
}

/**
 * Parses `Upstash-Flow-Control-Value` (`"parallelism=2, rate=5, period=10s"`; parts optional, separated by
 * commas with or without spaces, B2).
 * @throws PublishRequestError when a part is malformed or neither parallelism nor rate is given.
 */
export function parseFlowControl(key: string, value: string | undefined): FlowControlSpec {
  const spec: FlowControlSpec = { key, periodMs: DEFAULT_FLOW_CONTROL_PERIOD_MS };
  for (const part of (value ?? "").split(",")) {
    const p = part.trim();
    if (!p) continue;
    const [name, raw] = p.split("=").map((s) => s.trim());
    if (name === "parallelism" && raw && /^\d+$/.test(raw) && Number(raw) > 0) spec.parallelism = Number(raw);
    else if (name === "rate" && raw && Number(raw) > 0) spec.rate = Number(raw);
    else if (name === "period" && raw && parseDurationMs(raw)) spec.periodMs = parseDurationMs(raw)!;
    else throw new PublishRequestError(`invalid Upstash-Flow-Control-Value part "${p}"`);
  }
  if (spec.parallelism === undefined && spec.rate === undefined) {
    throw new PublishRequestError("Upstash-Flow-Control-Value must set parallelism or rate");
  }
  return spec;
}

function parseCallback(
  headers: Record<string, string>,
  prefix: "upstash-callback" | "upstash-failure-callback",
): CallbackSpec | undefined {
  const url = headers[prefix];
  if (url === undefined) return undefined;
  if (!/^https?:\/\//i.test(url)) throw new PublishRequestError(`invalid ${prefix}: "${url}" is not an http(s) URL`);
  const spec: CallbackSpec = {
    url,
    method: parseMethod(headers[`${prefix}-method`], `${prefix}-method`),
    headers: strippedHeaders(headers, `${prefix}-forward-`),
  };
  const retries = parseRetries(headers[`${prefix}-retries`], `${prefix}-retries`);
  if (retries !== undefined) spec.retries = retries;
  const timeoutMs = parseDuration(headers[`${prefix}-timeout`], `${prefix}-timeout`);
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  const delayMs = parseDuration(headers[`${prefix}-delay`], `${prefix}-delay`);
  if (delayMs !== undefined) spec.delayMs = delayMs;
  const retryDelay = headers[`${prefix}-retry-delay`];
  if (retryDelay !== undefined) spec.retryDelayExpression = retryDelay;
  return spec;
}

/**
 * Validates a publish (or one batch item) and reads its Upstash-* headers (docs/upstash-protocols.md B2):
 * Upstash-Method, -Delay, -Not-Before (unix s, overrides Delay), -Retries, -Retry-Delay, -Timeout, -Callback*,
 * -Failure-Callback*, -Flow-Control-Key/-Value, -Label, -Deduplication-Id, -Content-Based-Deduplication,
 * Upstash-Forward-* (prefix removed) and Content-Type.
 * @throws PublishRequestError when the destination is not an http(s) URL (URL groups and `api` destinations are
 * not emulated) or a header is malformed.
 */
export function parsePublish(input: PublishInput): PublishRequest {
  const { destination, headers, body, callerIp, now } = input;
  if (!/^https?:\/\//i.test(destination)) {
    throw new PublishRequestError(
      `invalid destination "${destination}": the local stack only delivers to http(s) URLs (no URL groups or api destinations)`,
    );
  }
  try {
    new URL(destination);
  } catch {
    throw new PublishRequestError(`invalid destination URL "${destination}"`);
  }
  const notBeforeHeader = headers["upstash-not-before"];
  let notBefore = now;
  if (notBeforeHeader !== undefined) {
    if (!/^\d+$/.test(notBeforeHeader.trim()))
      throw new PublishRequestError(`invalid Upstash-Not-Before: "${notBeforeHeader}" (unix seconds)`);
    notBefore = Number(notBeforeHeader.trim()) * 1000;
  } else {
    notBefore = now + (parseDuration(headers["upstash-delay"], "Upstash-Delay") ?? 0);
  }
  const flowKey = headers["upstash-flow-control-key"];
  const labels = (headers["upstash-label"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const req: PublishRequest = {
    url: destination,
    method: parseMethod(headers["upstash-method"], "Upstash-Method"),
    body,
    forwardHeaders: strippedHeaders(headers, "upstash-forward-"),
    maxRetries: parseRetries(headers["upstash-retries"], "Upstash-Retries") ?? DEFAULT_RETRIES,
    timeoutMs: parseDuration(headers["upstash-timeout"], "Upstash-Timeout") ?? DEFAULT_TIMEOUT_MS,
    labels,
    notBefore,
    createdAt: now,
    callerIp,
    contentBasedDeduplication: (headers["upstash-content-based-deduplication"] ?? "").toLowerCase() === "true",
  };
  const callback = parseCallback(headers, "upstash-callback");
  const failureCallback = parseCallback(headers, "upstash-failure-callback");
  return {
    ...req,
    ...(headers["content-type"] !== undefined ? { contentType: headers["content-type"] } : {}),
    ...(headers["upstash-retry-delay"] !== undefined ? { retryDelayExpression: headers["upstash-retry-delay"] } : {}),
    ...(callback ? { callback } : {}),
    ...(failureCallback ? { failureCallback } : {}),
    ...(flowKey !== undefined && flowKey !== ""
      ? { flowControl: parseFlowControl(flowKey, headers["upstash-flow-control-value"]) }
      : {}),
    ...(headers["upstash-deduplication-id"] !== undefined
      ? { deduplicationId: headers["upstash-deduplication-id"] }
      : {}),
  };
}
