import { estimateTokens } from "../../shared/providers/simulated.js";
import { simulatedObject } from "../../shared/providers/simulated-object.js";
import type { OutputJsonSchema } from "../../shared/schema/output-schema.js";
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
 * A local fake of the Anthropic Messages API (`POST /v1/messages`), built from Anthropic's documented shapes
 * (the Messages API reference, "HTTP errors" at docs.claude.com/en/api/errors, and the "Prompt caching" guide):
 * - request: headers `x-api-key` and `anthropic-version` required; body `model`, `max_tokens` (int >= 1) and
 *   `messages` (non-empty, roles `user`/`assistant`, string or text-block content) required; `system` a string or
 *   text blocks; up to 4 `cache_control` breakpoints (`{type: "ephemeral", ttl?: "5m" | "1h"}`);
 * - response: a `message` with one text block, `stop_reason` and `usage` (input, output, cache creation and read
 *   tokens, per-TTL cache creation, `service_tier`), header `request-id`;
 * - errors: `{type: "error", error: {type, message}, request_id}` with 400, 401, 403, 404, 413, 429 (+
 *   `retry-after`, `anthropic-ratelimit-requests-*`), 500 and 529, each with its documented error type.
 * Prompt caching: a breakpoint's prefix (system blocks, then message blocks, up to the marked block) seen before
 * within its TTL (5 min, refreshed on hit) is a cache read; otherwise a prefix of at least `minCacheableTokens` is
 * written. Tokens are counted at 4 characters per token. Structured output: {@link structuredRequest}.
 * @returns the running fake; give the AI SDK `baseUrl` (`<url>/v1`).
 */
export function startFakeAnthropic(opts: FakeServerOptions = {}): Promise<FakeProviderServer> {
  return startFakeServer(opts, anthropicAdapter);
}

/** Anthropic's `error.type` for each status ("Errors" page); other 4xx use invalid_request_error, other 5xx api_error. */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

const DEFAULT_MESSAGES: Record<string, string> = {
  invalid_request_error: "fake: invalid request",
  authentication_error: "invalid x-api-key",
  billing_error: "Your credit balance is too low to access the Anthropic API.",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "The requested resource could not be found.",
  request_too_large: "Request exceeds the maximum allowed number of bytes.",
  rate_limit_error: "This request would exceed your organization's rate limit (fake).",
  api_error: "Internal server error",
  overloaded_error: "Overloaded",
};

function errorAnswer(
  status: number,
  type: string,
  message: string,
  ctx: FakeContext,
  headers: Record<string, string> = {},
): FakeAnswer {
  return { status, body: { type: "error", error: { type, message }, request_id: ctx.requestId }, headers };
}

function invalid(message: string, ctx: FakeContext): FakeAnswer {
  return errorAnswer(400, "invalid_request_error", message, ctx);
}

/** One cacheable unit of the prompt, in the order Anthropic builds the prefix: system blocks, then messages. */
interface Block {
  role: string;
  text: string;
  /** TTL in ms when this block carries a cache breakpoint. */
  breakpointTtlMs?: number;
}

const anthropicAdapter: VendorAdapter = {
  apiRoot: "/v1",
  requestIdHeader: "request-id",

  reject(req, ctx, apiKey) {
    if (req.path !== "/v1/messages")
      return errorAnswer(404, "not_found_error", `Not found: ${req.method} ${req.path}`, ctx);
    if (req.method !== "POST")
      return errorAnswer(405, "invalid_request_error", `Method ${req.method} not allowed`, ctx);
    const key = req.headers["x-api-key"];
    if (!key) return errorAnswer(401, "authentication_error", "x-api-key header is required", ctx);
    if (apiKey !== undefined && key !== apiKey)
      return errorAnswer(401, "authentication_error", "invalid x-api-key", ctx);
    if (!req.headers["anthropic-version"]) return invalid("anthropic-version: header is required", ctx);
    if (!isRecord(req.body))
      return invalid("There was an error parsing the body of your request: expected a JSON object", ctx);
    const b = req.body;
    if (typeof b.model !== "string" || b.model === "") return invalid("model: Field required", ctx);
    if (b.max_tokens === undefined) return invalid("max_tokens: Field required", ctx);
    if (typeof b.max_tokens !== "number" || !Number.isInteger(b.max_tokens) || b.max_tokens < 1) {
      return invalid("max_tokens: Input should be an integer greater than or equal to 1", ctx);
    }
    if (b.messages === undefined) return invalid("messages: Field required", ctx);
    if (!Array.isArray(b.messages) || b.messages.length === 0)
      return invalid("messages: at least one message is required", ctx);
    if (b.stream === true) return invalid("fake: streaming is not supported by this fake", ctx);
    const blocks = toBlocks(b);
    if (typeof blocks === "string") return invalid(blocks, ctx);
    const breakpoints = blocks.filter((x) => x.breakpointTtlMs !== undefined).length;
    if (breakpoints > 4)
      return invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.`, ctx);
    return undefined;
  },

  fault(fault, ctx) {
    const type =
      fault.type ?? ERROR_TYPES[fault.status] ?? (fault.status >= 500 ? "api_error" : "invalid_request_error");
    const headers: Record<string, string> = { ...rateLimitHeaders(fault, ctx), ...fault.headers };
    return errorAnswer(fault.status, type, fault.message ?? DEFAULT_MESSAGES[type] ?? "fake error", ctx, headers);
  },

  complete(req, ctx) {
    const b = req.body as Record<string, unknown>;
    const model = b.model as string;
    const blocks = toBlocks(b) as Block[];
    const tokens = blocks.map((x) => estimateTokens(x.text));
    const total = tokens.reduce((a, n) => a + n, 0);
    const window = ctx.behaviour.contextWindowTokens;
    if (window !== undefined && total > window)
      return invalid(`prompt is too long: ${total} tokens > ${window} maximum`, ctx);

    const upTo = (i: number): number => tokens.slice(0, i + 1).reduce((a, n) => a + n, 0);
    const bps = blocks.flatMap((x, i) => (x.breakpointTtlMs !== undefined ? [i] : []));
    let hit = -1;
    for (const i of [...bps].reverse()) {
      if (ctx.cache.hit(prefixKey(model, blocks.slice(0, i + 1)), ctx.nowMs, blocks[i]?.breakpointTtlMs as number)) {
        hit = i;
        break;
      }
    }
    const read = hit >= 0 ? upTo(hit) : 0;
    let write = 0;
    let write1h = 0;
    for (const i of bps) {
      if (i <= hit || upTo(i) < ctx.minCacheableTokens) continue;
      const ttl = blocks[i]?.breakpointTtlMs as number;
      ctx.cache.store(prefixKey(model, blocks.slice(0, i + 1)), ctx.nowMs, ttl);
      const added = upTo(i) - read - write - write1h;
      if (ttl > 300_000) write1h += added;
      else write += added;
    }

    const promptText = blocks.map((x) => x.text).join("\n");
    const lastUser = [...blocks].reverse().find((x) => x.role === "user")?.text ?? "";
    const structured = ctx.behaviour.reply === undefined ? structuredRequest(b) : null;
    const value = structured
      ? simulatedObject(structured.schema, `[FAKE ANTHROPIC ${model}: no model was called]`)
      : null;
    const full = structured
      ? JSON.stringify(value)
      : (ctx.behaviour.reply ?? fakeReplyText("ANTHROPIC", model, promptText, lastUser));
    const cut = truncateToTokens(full, b.max_tokens as number);
    const usage = {
      input_tokens: total - read - write - write1h,
      cache_creation_input_tokens: write + write1h,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: write, ephemeral_1h_input_tokens: write1h },
      output_tokens: estimateTokens(cut.text),
      service_tier: "standard",
    };
    return {
      status: 200,
      usage,
      body: {
        id: `msg_fake_${String(ctx.seq).padStart(6, "0")}`,
        type: "message",
        role: "assistant",
        model,
        content:
          structured?.tool !== undefined && !cut.truncated
            ? [
                {
                  type: "tool_use",
                  id: `toolu_fake_${String(ctx.seq).padStart(6, "0")}`,
                  name: structured.tool,
                  input: value,
                },
              ]
            : [{ type: "text", text: cut.text }],
        stop_reason:
          ctx.behaviour.stopReason ??
          (cut.truncated ? "max_tokens" : structured?.tool !== undefined ? "tool_use" : "end_turn"),
        stop_sequence: null,
        usage,
      },
    };
  },
};

/**
 * The JSON Schema a request asks its answer to match, and the forced tool that carries it (absent: native
 * `output_config.format`), or null for a plain text request. Structured output as the AI SDK asks for it
 * (`Output.object`): native `output_config.format` (`json_schema`) is answered with a text block of JSON, a forced
 * tool (`tool_choice: {type: "tool", name}`, the SDK's `json` tool) with a `tool_use` block; either way with a
 * deterministic value matching the schema (shared/providers/simulated-object.ts: every free string marked as the
 * fake's, booleans `true`). A fixed `reply` behaviour wins over both.
 */
function structuredRequest(b: Record<string, unknown>): { schema: OutputJsonSchema; tool?: string } | null {
  const format = isRecord(b.output_config) ? b.output_config.format : undefined;
  if (isRecord(format) && format.type === "json_schema" && isRecord(format.schema))
    return { schema: format.schema as OutputJsonSchema };
  const choice = b.tool_choice;
  if (!isRecord(choice) || choice.type !== "tool" || typeof choice.name !== "string") return null;
  const tool = Array.isArray(b.tools) ? b.tools.find((t) => isRecord(t) && t.name === choice.name) : undefined;
  if (!isRecord(tool) || !isRecord(tool.input_schema)) return null;
  return { schema: tool.input_schema as OutputJsonSchema, tool: choice.name };
}

/** For 429: `retry-after` (seconds) unless omitted, and `anthropic-ratelimit-requests-*` with an RFC 3339 reset. */
function rateLimitHeaders(fault: FakeFault, ctx: FakeContext): Record<string, string> {
  if (fault.status !== 429) return {};
  const seconds = fault.retryAfterSeconds ?? 1;
  const headers: Record<string, string> = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "0",
    "anthropic-ratelimit-requests-reset": new Date(ctx.nowMs + seconds * 1000).toISOString(),
  };
  if (!fault.omitRetryAfterHeader) headers["retry-after"] = String(seconds);
  return headers;
}

/**
 * Flattens `system` and `messages` into blocks, validating their documented shapes.
 * @returns the blocks, or the error message Anthropic would give.
 */
function toBlocks(b: Record<string, unknown>): Block[] | string {
  const blocks: Block[] = [];
  const pushContent = (role: string, content: unknown, where: string): string | undefined => {
    if (typeof content === "string") {
      blocks.push({ role, text: content });
      return undefined;
    }
    if (!Array.isArray(content)) return `${where}: Input should be a valid string or list of content blocks`;
    for (const [j, part] of content.entries()) {
      if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") {
        return `${where}.${j}: this fake accepts only text content blocks`;
      }
      const block: Block = { role, text: part.text };
      if (part.cache_control !== undefined) {
        const cc = part.cache_control;
        if (!isRecord(cc) || cc.type !== "ephemeral")
          return `${where}.${j}.cache_control.type: Input should be 'ephemeral'`;
        if (cc.ttl !== undefined && cc.ttl !== "5m" && cc.ttl !== "1h")
          return `${where}.${j}.cache_control.ttl: Input should be '5m' or '1h'`;
        block.breakpointTtlMs = cc.ttl === "1h" ? 3_600_000 : 300_000;
      }
      blocks.push(block);
    }
    return undefined;
  };
  if (b.system !== undefined) {
    const err = pushContent("system", b.system, "system");
    if (err) return err;
  }
  for (const [i, m] of (b.messages as unknown[]).entries()) {
    if (!isRecord(m)) return `messages.${i}: Input should be an object`;
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (m.content === undefined) return `messages.${i}.content: Field required`;
    const err = pushContent(m.role, m.content, `messages.${i}.content`);
    if (err) return err;
  }
  return blocks;
}
