import { APICallError, LoadAPIKeyError, RetryError } from "ai";
import { describe, expect, it } from "vitest";
import { classifyProviderError } from "../../../shared/providers/classify-error.js";
import { ProviderError } from "../../../shared/providers/provider.js";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../../../shared/providers/retry-after.js";

const NOW = Date.parse("2026-11-20T12:00:00Z");

/** An APICallError as the AI SDK builds it from a vendor's error answer. */
function apiError(
  statusCode: number | undefined,
  body: unknown,
  headers: Record<string, string> = {},
  isRetryable?: boolean,
): APICallError {
  const responseBody = body === undefined ? undefined : JSON.stringify(body);
  return new APICallError({
    message: "sdk message",
    url: "https://api.example/v1/messages",
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
    responseBody,
    ...(isRetryable !== undefined ? { isRetryable } : {}),
  });
}

const anthropic = (type: string, message: string) => ({
  type: "error",
  error: { type, message },
  request_id: "req_body",
});
const openai = (message: string, type: string, code: string | null) => ({
  error: { message, type, param: null, code },
});

describe("classifyProviderError", () => {
  const table: { name: string; err: unknown; kind: ProviderError["kind"]; retryAfter?: number; message?: RegExp }[] = [
    {
      name: "429 with retry-after",
      err: apiError(429, anthropic("rate_limit_error", "slow down"), { "retry-after": "17" }),
      kind: "rate-limited",
      retryAfter: 17,
    },
    {
      name: "429 without any header -> default wait",
      err: apiError(429, undefined),
      kind: "rate-limited",
      retryAfter: DEFAULT_RETRY_AFTER_SECONDS,
    },
    {
      name: "429 with only anthropic reset headers",
      err: apiError(429, anthropic("rate_limit_error", "slow down"), {
        "anthropic-ratelimit-tokens-reset": "2026-11-20T12:00:20Z",
        "anthropic-ratelimit-tokens-remaining": "0",
      }),
      kind: "rate-limited",
      retryAfter: 20,
    },
    {
      name: "429 with openai x-ratelimit-reset-requests",
      err: apiError(429, openai("Rate limit", "requests", "rate_limit_exceeded"), {
        "x-ratelimit-reset-requests": "2m",
      }),
      kind: "rate-limited",
      retryAfter: 120,
    },
    {
      name: "429 insufficient_quota is not waited out",
      err: apiError(429, openai("You exceeded your current quota", "insufficient_quota", "insufficient_quota")),
      kind: "non-retryable",
      message: /exceeded your current quota/,
    },
    {
      name: "rate_limit_error behind a proxy answering 503",
      err: apiError(503, anthropic("rate_limit_error", "limited")),
      kind: "rate-limited",
      retryAfter: DEFAULT_RETRY_AFTER_SECONDS,
    },
    {
      name: "400 invalid_request_error keeps the vendor message",
      err: apiError(400, anthropic("invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum")),
      kind: "non-retryable",
      message: /HTTP 400 invalid_request_error: prompt is too long: 250000 tokens > 200000 maximum/,
    },
    {
      name: "400 context_length_exceeded (openai)",
      err: apiError(
        400,
        openai(
          "This model's maximum context length is 128000 tokens.",
          "invalid_request_error",
          "context_length_exceeded",
        ),
      ),
      kind: "non-retryable",
      message: /context_length_exceeded: This model's maximum context length/,
    },
    {
      name: "400 content policy (openai)",
      err: apiError(
        400,
        openai(
          "Your request was rejected as a result of our safety system.",
          "invalid_request_error",
          "content_policy_violation",
        ),
      ),
      kind: "non-retryable",
      message: /safety system/,
    },
    {
      name: "401 authentication_error",
      err: apiError(401, anthropic("authentication_error", "invalid x-api-key")),
      kind: "non-retryable",
      message: /invalid x-api-key/,
    },
    {
      name: "402 billing_error",
      err: apiError(402, anthropic("billing_error", "credit balance too low")),
      kind: "non-retryable",
    },
    {
      name: "403 permission_error",
      err: apiError(403, anthropic("permission_error", "no access")),
      kind: "non-retryable",
    },
    {
      name: "404 not_found_error (unknown model)",
      err: apiError(404, anthropic("not_found_error", "model: claude-nope")),
      kind: "non-retryable",
      message: /claude-nope/,
    },
    {
      name: "413 request_too_large",
      err: apiError(413, anthropic("request_too_large", "Request exceeds the maximum allowed number of bytes.")),
      kind: "non-retryable",
    },
    {
      name: "422 unprocessable",
      err: apiError(422, { error: { message: "bad params" } }),
      kind: "non-retryable",
      message: /bad params/,
    },
    { name: "408 request timeout", err: apiError(408, undefined), kind: "retryable" },
    { name: "409 conflict", err: apiError(409, undefined), kind: "retryable" },
    {
      name: "500 api_error",
      err: apiError(500, anthropic("api_error", "Internal server error")),
      kind: "retryable",
      message: /HTTP 500 api_error/,
    },
    { name: "502 with an HTML body", err: apiError(502, undefined), kind: "retryable" },
    {
      name: "503 overloaded (openai)",
      err: apiError(503, openai("The engine is currently overloaded", "server_error", null)),
      kind: "retryable",
    },
    {
      name: "529 overloaded_error",
      err: apiError(529, anthropic("overloaded_error", "Overloaded")),
      kind: "retryable",
      message: /529 overloaded_error: Overloaded/,
    },
    { name: "network failure (no status)", err: apiError(undefined, undefined, {}, true), kind: "retryable" },
    {
      name: "RetryError is unwrapped to its last error",
      err: new RetryError({
        message: "gave up",
        reason: "maxRetriesExceeded",
        errors: [apiError(500, undefined), apiError(400, anthropic("invalid_request_error", "bad"))],
      }),
      kind: "non-retryable",
      message: /bad/,
    },
    {
      name: "timeout of the node's signal",
      err: new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      kind: "retryable",
      message: /timed out/,
    },
    {
      name: "abort",
      err: new DOMException("This operation was aborted", "AbortError"),
      kind: "retryable",
      message: /was aborted/,
    },
    {
      name: "missing API key in the SDK",
      err: new LoadAPIKeyError({ message: "Anthropic API key is missing." }),
      kind: "non-retryable",
      message: /API key is missing/,
    },
    { name: "unknown error", err: new Error("socket hang up"), kind: "retryable", message: /socket hang up/ },
    { name: "a thrown string", err: "weird", kind: "retryable", message: /weird/ },
  ];
  for (const row of table) {
    it(row.name, () => {
      const out = classifyProviderError(row.err, "anthropic", NOW);
      expect(out).toBeInstanceOf(ProviderError);
      expect(out.kind).toBe(row.kind);
      if (row.kind === "rate-limited") expect(out.retryAfterSeconds).toBe(row.retryAfter);
      else expect(out.retryAfterSeconds).toBeUndefined();
      if (row.message) expect(out.message).toMatch(row.message);
      expect(out.message.startsWith("anthropic: ")).toBe(true);
    });
  }

  it("returns a ProviderError unchanged", () => {
    const e = new ProviderError("non-retryable", "already classified");
    expect(classifyProviderError(e)).toBe(e);
  });

  it("records status, vendor code and request id (header first, then body)", () => {
    const withHeader = classifyProviderError(
      apiError(400, anthropic("invalid_request_error", "x"), { "request-id": "req_hdr" }),
      "anthropic",
      NOW,
    );
    expect(withHeader.details).toEqual({
      provider: "anthropic",
      status: 400,
      code: "invalid_request_error",
      requestId: "req_hdr",
    });
    expect(withHeader.message).toContain("(request-id req_hdr)");
    const fromBody = classifyProviderError(apiError(400, anthropic("invalid_request_error", "x")), "anthropic", NOW);
    expect(fromBody.details?.requestId).toBe("req_body");
    const openaiId = classifyProviderError(apiError(500, undefined, { "x-request-id": "req_oai" }), "openai", NOW);
    expect(openaiId.details?.requestId).toBe("req_oai");
  });

  it("falls back to the SDK message when the body is not the vendor's error shape", () => {
    const out = classifyProviderError(apiError(400, undefined), "groq", NOW);
    expect(out.message).toBe("groq: HTTP 400: sdk message");
  });
});
