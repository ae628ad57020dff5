import { estimateTokens } from "../../shared/providers/simulated.js";
import {
  type FakeAnswer,
  type FakeContext,
  type FakeFault,
  type FakeProviderServer,
  type FakeServerOptions,
  fakeReplyText,
  isRecord,
  startFakeServer,
  truncateToTokens,
  type VendorAdapter,
} from "./harness.js";
import { prefixKey } from "./prompt-cache.js";

/**
 * A local fake of an OpenAI-compatible Chat Completions endpoint (`POST /v1/chat/completions`), built from OpenAI's
 * documented shapes (the Chat Completions API reference, the "Error codes", "Rate limits" and "Prompt caching" guides):
 * - request: `Authorization: Bearer <key>` required; body `model` and `messages` (non-empty; roles `system`,
 *   `developer`, `user`, `assistant`, `tool`; string or text-part content) required; `max_tokens` /
 *   `max_completion_tokens` optional ints >= 1;
 * - response: a `chat.completion` with one choice (`finish_reason` `stop` or `length`) and `usage` (prompt,
 *   completion and total tokens, `prompt_tokens_details.cached_tokens`), header `x-request-id`;
 * - errors: `{error: {message, type, param, code}}`: 400 (`context_length_exceeded`, …), 401, 404, 429
 *   (`rate_limit_exceeded` + `retry-after`, `x-ratelimit-*-requests`), 500 and 503.
 * Automatic prompt caching: the longest message-boundary prefix seen before within 5 minutes, if at least
 * `minCacheableTokens` (OpenAI: 1024) long, is reported as `cached_tokens`, rounded down to 128-token steps.
 * Tokens are counted at 4 characters per token.
 * @returns the running fake; give the AI SDK `baseUrl` (`<url>/v1`).
 */
export function startFakeOpenAI(opts: FakeServerOptions = {}): Promise<FakeProviderServer> {
  return startFakeServer(opts, openAIAdapter);
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

const DEFAULTS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "fake: invalid request" },
  401: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided." },
  403: {
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Country, region, or territory not supported.",
  },
  404: {
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model does not exist or you do not have access to it.",
  },
  429: { type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached for requests (fake)." },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  503: { type: "server_error", code: null, message: "The engine is currently overloaded, please try again later." },
};

function errorAnswer(
  status: number,
  e: { message: string; type: string; param?: string | null; code: string | null },
  headers: Record<string, string> = {},
): FakeAnswer {
  return {
    status,
    body: { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } },
    headers,
  };
}

function invalid(message: string, param: string | null = null, code: string | null = null): FakeAnswer {
  return errorAnswer(400, { message, type: "invalid_request_error", param, code });
}

const openAIAdapter: VendorAdapter = {
  apiRoot: "/v1",
  requestIdHeader: "x-request-id",

  reject(req, _ctx, apiKey) {
    if (!req.path.endsWith("/chat/completions")) {
      return errorAnswer(404, {
        message: `Invalid URL (${req.method} ${req.path})`,
        type: "invalid_request_error",
        code: null,
      });
    }
    if (req.method !== "POST")
      return errorAnswer(405, {
        message: `Method ${req.method} not allowed`,
        type: "invalid_request_error",
        code: null,
      });
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!auth) {
      return errorAnswer(401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        type: "invalid_request_error",
        code: null,
      });
    }
    if (apiKey !== undefined && auth !== apiKey) {
      return errorAnswer(401, {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        code: "invalid_api_key",
      });
    }
    if (!isRecord(req.body))
      return invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      );
    const b = req.body;
    if (typeof b.model !== "string" || b.model === "") return invalid("you must provide a model parameter");
    if (b.messages === undefined)
      return invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
    if (!Array.isArray(b.messages) || b.messages.length === 0) {
      return invalid(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        "messages",
        "empty_array",
      );
    }
    for (const [i, m] of b.messages.entries()) {
      if (!isRecord(m) || typeof m.role !== "string" || !ROLES.has(m.role)) {
        return invalid(`Invalid value for 'messages[${i}].role'.`, `messages[${i}].role`, "invalid_value");
      }
      if (contentText(m.content) === undefined)
        return invalid(`Invalid type for 'messages[${i}].content'.`, `messages[${i}].content`, "invalid_type");
    }
    for (const f of ["max_tokens", "max_completion_tokens"]) {
      const v = b[f];
      if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v) || v < 1)) {
        return invalid(
          `Invalid '${f}': integer below minimum value. Expected a value >= 1.`,
          f,
          "integer_below_min_value",
        );
      }
    }
    if (b.stream === true) return invalid("fake: streaming is not supported by this fake", "stream");
    return undefined;
  },

  fault(fault, ctx) {
    const d = DEFAULTS[fault.status] ?? {
      type: fault.status >= 500 ? "server_error" : "invalid_request_error",
      code: null,
      message: "fake error",
    };
    const headers = { ...rateLimitHeaders(fault, ctx), ...fault.headers };
    return errorAnswer(
      fault.status,
      { message: fault.message ?? d.message, type: fault.type ?? d.type, code: fault.code ?? d.code },
      headers,
    );
  },

  complete(req, ctx) {
    const b = req.body as Record<string, unknown>;
    const model = b.model as string;
    const parts = (b.messages as Record<string, unknown>[]).map((m) => ({
      role: m.role as string,
      text: contentText(m.content) as string,
    }));
    const tokens = parts.map((p) => estimateTokens(p.text));
    const total = tokens.reduce((a, n) => a + n, 0);
    const window = ctx.behaviour.contextWindowTokens;
    if (window !== undefined && total > window) {
      return invalid(
        `This model's maximum context length is ${window} tokens. However, your messages resulted in ${total} tokens. Please reduce the length of the messages.`,
        "messages",
        "context_length_exceeded",
      );
    }
    let cached = 0;
    let running = 0;
    for (let i = 0; i < parts.length; i++) {
      running += tokens[i] as number;
      if (running < ctx.minCacheableTokens) continue;
      const key = prefixKey(model, parts.slice(0, i + 1));
      if (ctx.cache.hit(key, ctx.nowMs, ctx.cacheTtlMs)) cached = Math.floor(running / 128) * 128;
      else ctx.cache.store(key, ctx.nowMs, ctx.cacheTtlMs);
    }
    const promptText = parts.map((p) => p.text).join("\n");
    const lastUser = [...parts].reverse().find((p) => p.role === "user")?.text ?? "";
    const full = ctx.behaviour.reply ?? fakeReplyText("OPENAI", model, promptText, lastUser);
    const limit = (b.max_completion_tokens ?? b.max_tokens) as number | undefined | null;
    const cut = limit ? truncateToTokens(full, limit) : { text: full, truncated: false };
    const completion = estimateTokens(cut.text);
    const usage = {
      prompt_tokens: total,
      completion_tokens: completion,
      total_tokens: total + completion,
      prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    return {
      status: 200,
      usage,
      body: {
        id: `chatcmpl-fake${String(ctx.seq).padStart(6, "0")}`,
        object: "chat.completion",
        created: Math.floor(ctx.nowMs / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: cut.text, refusal: null },
            logprobs: null,
            finish_reason: ctx.behaviour.stopReason ?? (cut.truncated ? "length" : "stop"),
          },
        ],
        usage,
        system_fingerprint: "fp_fake",
      },
    };
  },
};

/** For 429: `retry-after` (seconds) unless omitted, and `x-ratelimit-*-requests` with a duration reset (`2s`). */
function rateLimitHeaders(fault: FakeFault, _ctx: FakeContext): Record<string, string> {
  if (fault.status !== 429) return {};
  const seconds = fault.retryAfterSeconds ?? 1;
  const headers: Record<string, string> = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": `${seconds}s`,
  };
  if (!fault.omitRetryAfterHeader) headers["retry-after"] = String(seconds);
  return headers;
}

/** Text of a message's content: a string, or the concatenated `text` parts; undefined when malformed. */
function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (content === null) return "";
  if (!Array.isArray(content)) return undefined;
  let out = "";
  for (const p of content) {
    if (!isRecord(p) || p.type !== "text" || typeof p.text !== "string") return undefined;
    out += p.text;
  }
  return out;
}
