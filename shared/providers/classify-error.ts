import {
  APICallError,
  InvalidArgumentError,
  InvalidPromptError,
  LoadAPIKeyError,
  NoSuchModelError,
  RetryError,
  UnsupportedFunctionalityError,
} from "ai";
import { ProviderError, type ProviderErrorDetails } from "./provider.js";
import { DEFAULT_RETRY_AFTER_SECONDS, retryAfterSecondsFrom } from "./retry-after.js";

/**
 * Vendor error codes that come with HTTP 429 but will not clear by waiting: the account is out of quota or credit.
 * Source: OpenAI "Error codes" (`insufficient_quota`: "You exceeded your current quota, please check your plan and
 * billing details"). Retrying them only burns QStash attempts, so they are non-retryable.
 */
export const QUOTA_EXHAUSTED_CODES: ReadonlySet<string> = new Set(["insufficient_quota", "billing_hard_limit_reached"]);

/**
 * Vendor error types/codes that mean "rate limited" whatever the status (e.g. behind a proxy that rewrites it).
 * Sources: Anthropic "Errors" (`rate_limit_error`, HTTP 429), OpenAI "Error codes" (`rate_limit_exceeded`).
 */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(["rate_limit_error", "rate_limit_exceeded"]);

/** Vendor error types that mean "try again later". Source: Anthropic "Errors" (`overloaded_error` 529, `api_error` 500). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "overloaded_error",
  "api_error",
  "server_error",
  "timeout_error",
]);

/** HTTP statuses that are transient although they are 4xx: 408 Request Timeout, 409 Conflict, 425 Too Early. */
const RETRYABLE_4XX: ReadonlySet<number> = new Set([408, 409, 425]);

/**
 * Classifies any error thrown while calling a provider into a {@link ProviderError} whose `kind` tells the
 * `/internal/execute` route how to answer QStash (docs/upstash-protocols.md B5); status codes per Anthropic "HTTP
 * errors" (docs.claude.com/en/api/errors) and OpenAI's "Error codes" guide:
 * - `rate-limited`: 429 or vendor `rate_limit_error` / `rate_limit_exceeded`, except out of credit
 *   (`insufficient_quota`: `non-retryable`); `retryAfterSeconds` from retry-after.ts, else the default;
 * - `retryable`: 529 / `overloaded_error`, any 5xx, 408, 409, 425, a network failure, timeout, abort, or anything
 *   unrecognised (QStash's retry budget bounds it);
 * - `non-retryable`: any other 4xx (invalid request, context too long, auth, billing, model not found…), and SDK-side
 *   refusals (missing API key, invalid prompt or argument, unsupported feature, unknown model id).
 * @param err whatever was thrown (AI SDK `APICallError`, `RetryError`, `DOMException`, `ProviderError`, …).
 * @param provider provider name, for the details and the message (`<provider>: HTTP <status> <code>: <text>`).
 * @param nowMs current time in ms since epoch, for HTTP-date and RFC 3339 reset headers.
 * @returns the classified error; a `ProviderError` passed in is returned unchanged. Never throws.
 */
export function classifyProviderError(err: unknown, provider = "provider", nowMs: number = Date.now()): ProviderError {
  if (err instanceof ProviderError) return err;
  if (RetryError.isInstance(err)) return classifyProviderError(err.lastError, provider, nowMs);
  if (isAbortLike(err)) {
    const timedOut = (err as { name?: string }).name === "TimeoutError";
    return new ProviderError(
      "retryable",
      `${provider}: call ${timedOut ? "timed out" : "was aborted"} (${messageOf(err)})`,
      undefined,
      {
        provider,
        code: timedOut ? "timeout" : "aborted",
      },
    );
  }
  if (APICallError.isInstance(err)) return classifyApiCallError(err, provider, nowMs);
  if (
    LoadAPIKeyError.isInstance(err) ||
    InvalidPromptError.isInstance(err) ||
    InvalidArgumentError.isInstance(err) ||
    UnsupportedFunctionalityError.isInstance(err) ||
    NoSuchModelError.isInstance(err)
  ) {
    return new ProviderError("non-retryable", `${provider}: ${messageOf(err)}`, undefined, { provider });
  }
  return new ProviderError("retryable", `${provider}: ${messageOf(err)}`, undefined, { provider });
}

function classifyApiCallError(err: APICallError, provider: string, nowMs: number): ProviderError {
  const vendor = vendorError(err.data) ?? vendorError(parseJson(err.responseBody));
  const status = err.statusCode;
  const code = vendor?.code;
  const headers = err.responseHeaders;
  const requestId = header(headers, "request-id") ?? header(headers, "x-request-id") ?? vendor?.requestId;
  const details: ProviderErrorDetails = { provider, status, code, requestId };
  const message = formatMessage(provider, status, code, vendor?.message ?? err.message, requestId);

  if (code !== undefined && QUOTA_EXHAUSTED_CODES.has(code))
    return new ProviderError("non-retryable", message, undefined, details);
  if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
    const wait = retryAfterSecondsFrom(headers, nowMs) ?? DEFAULT_RETRY_AFTER_SECONDS;
    return new ProviderError("rate-limited", message, wait, details);
  }
  if (status === undefined) return new ProviderError("retryable", message, undefined, details);
  if (code !== undefined && TRANSIENT_CODES.has(code))
    return new ProviderError("retryable", message, undefined, details);
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
    return new ProviderError("non-retryable", message, undefined, details);
  }
  return new ProviderError("retryable", message, undefined, details);
}

interface VendorError {
  code?: string | undefined;
  message?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Reads the vendor's error body. Anthropic: `{type: "error", error: {type, message}, request_id}`; OpenAI and
 * compatible servers: `{error: {message, type, param, code}}` (OpenRouter sends a numeric `code`).
 */
function vendorError(data: unknown): VendorError | undefined {
  if (!isRecord(data)) return undefined;
  const e = data.error;
  if (!isRecord(e)) return typeof data.message === "string" ? { message: data.message } : undefined;
  const code = typeof e.code === "string" ? e.code : typeof e.type === "string" ? e.type : undefined;
  return {
    code,
    message: typeof e.message === "string" ? e.message : undefined,
    requestId: typeof data.request_id === "string" ? data.request_id : undefined,
  };
}

function formatMessage(
  provider: string,
  status: number | undefined,
  code: string | undefined,
  text: string,
  requestId: string | undefined,
): string {
  const head = [status !== undefined ? `HTTP ${status}` : undefined, code].filter((x) => x !== undefined).join(" ");
  return `${provider}: ${head ? `${head}: ` : ""}${text}${requestId ? ` (request-id ${requestId})` : ""}`;
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isAbortLike(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const name = (err as { name?: unknown }).name;
  return name === "AbortError" || name === "TimeoutError";
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    return (err as { message: string }).message;
  }
  return String(err);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
