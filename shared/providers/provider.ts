/**
 * The provider interface every LLM backend implements: simulated (the offline default), Anthropic, any
 * OpenAI-compatible Chat Completions endpoint, and the Workers AI binding. `/internal/execute` knows only this
 * interface.
 */
import type { OutputJsonSchema } from "../schema/output-schema.js";

/** One model call. */
export interface GenerateRequest {
  /** Run and node the call belongs to (for logs and deterministic simulation). */
  runId: string;
  nodeId: string;
  /** Agent profile name. */
  agent: string;
  /** System prompt of the agent. */
  system: string;
  /** Rendered user prompt. */
  prompt: string;
  /**
   * Optional context that sibling nodes share verbatim (e.g. the upstream analysis all five reviewers read). It is
   * sent FIRST, before the agent's own `system` prompt, as a system block of its own, so that calls whose `system`
   * and `prompt` differ still share a byte-identical prefix:
   * - Anthropic: the block carries `cache_control: {type: "ephemeral"}` (5-minute prompt cache). The first sibling
   *   pays a cache write (1.25 x input price), the others read it (0.1 x or less); see `usage.cacheReadTokens` /
   *   `usage.cacheWriteTokens`. Anthropic only caches prefixes of at least 1024-4096 tokens depending on the model
   *   (platform.claude.com, "Prompt caching"); shorter ones are billed as plain input.
   * - OpenAI-compatible: sent as the first system message; OpenAI's automatic prefix caching (prefixes of 1024+
   *   tokens) can then serve it from cache, reported as `usage.cacheReadTokens`.
   * - Workers AI and simulated: prepended to the system prompt (no caching).
   * Callers must not repeat this text inside `prompt`.
   */
  sharedContext?: string | undefined;
  /** Model id to call. */
  model: string;
  /** Upper bound of generated tokens. */
  maxOutputTokens: number;
  /** Sampling temperature, 0..2, when the agent sets one. */
  temperature?: number | undefined;
  /** 1-based attempt number of the node. */
  attempt: number;
  /**
   * The key the usage log files this call under (usage-log.ts `callKey`, `<runId>/<nodeId>/<attempt>`): set by the
   * engine for a node attempt's call; a provider that tags calls sends it (AI Gateway metadata). Absent (the routing
   * classifier's call): the call is not tagged.
   */
  usageKey?: string | undefined;
  /** Simulation knobs (ignored by real providers): latency in ms, how many first attempts fail, and the output size
   * in bytes (padding; not cut by maxOutputTokens). */
  simulate?:
    | { latencyMs?: number | undefined; failAttempts?: number | undefined; outputBytes?: number | undefined }
    | undefined;
  /** Aborts the call (the node's timeout). */
  signal?: AbortSignal | undefined;
  /**
   * JSON Schema the answer must match (the node's `output.schema`): the provider asks for structured output and
   * reports the parsed value in `GenerateResult.structured`. Absent: plain text.
   */
  outputSchema?: OutputJsonSchema | undefined;
}

/**
 * Token usage of one call. The three input counts are disjoint (each prompt token is in exactly one of them), so
 * the whole prompt is `inputTokens + (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0)` and each count is billed at
 * its own rate (shared/pricing/prices.ts). This is Anthropic's own split (`input_tokens`,
 * `cache_read_input_tokens`, `cache_creation_input_tokens`); for OpenAI, `inputTokens = prompt_tokens -
 * prompt_tokens_details.cached_tokens`.
 */
export interface TokenUsage {
  /** Prompt tokens billed at the plain input rate (system + user), excluding cache reads and cache writes. */
  inputTokens: number;
  /** Generated tokens billed (including any reasoning/thinking tokens). */
  outputTokens: number;
  /** Prompt tokens served from the provider's prompt cache (absent or 0 when nothing was read from cache). */
  cacheReadTokens?: number | undefined;
  /** Prompt tokens written to the provider's prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheWriteTokens?: number | undefined;
}

/** What a call returned. */
export interface GenerateResult {
  /** Generated text. */
  text: string;
  /** Model that actually answered. */
  model: string;
  usage: TokenUsage;
  /** `end` (the model stopped) or `max_tokens` (cut at maxOutputTokens). */
  stopReason: "end" | "max_tokens";
  /** true when no real model was called. */
  simulated: boolean;
  /** Name of the provider that answered (its key in the providers config, e.g. `anthropic`, `openrouter`). */
  provider?: string | undefined;
  /**
   * Only when the request had an `outputSchema`: the answer parsed as JSON (`text` is then its compact JSON), not yet
   * checked against the schema (shared/providers/structured-output.ts does), or `{ parseError }` when the answer
   * was not JSON (`text` is then the raw answer).
   */
  structured?: { value: unknown } | { parseError: string } | undefined;
}

/** An LLM backend. */
export interface LlmProvider {
  /** Provider name shown in progress, e.g. `simulated`. */
  readonly name: string;
  /**
   * Runs one call.
   * @throws ProviderError for failures with a known retry semantics; anything else counts as retryable.
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

/** What a provider told us about a failure, for logs and the node's error record. */
export interface ProviderErrorDetails {
  /** Provider name (config key), e.g. `anthropic`. */
  provider?: string | undefined;
  /** HTTP status the provider answered, when there was an answer. */
  status?: number | undefined;
  /** Vendor error type or code, e.g. `invalid_request_error`, `context_length_exceeded`, `overloaded_error`. */
  code?: string | undefined;
  /** Vendor request id (`request-id` / `x-request-id` header), for support tickets. */
  requestId?: string | undefined;
}

/**
 * A provider failure, classified for QStash: `retryable` (timeout, 5xx: QStash retries with backoff),
 * `rate-limited` (answered 429 with `Retry-After`, which QStash honours), `non-retryable` (answered 489 with
 * `Upstash-NonRetryable-Error: true`, so QStash fails the message at once; docs/upstash-protocols.md B5).
 * shared/providers/classify-error.ts turns any SDK or network error into one of these.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  /**
   * @param kind how QStash should treat the failure.
   * @param message provider's message, recorded on the node.
   * @param retryAfterSeconds for `rate-limited`: seconds to wait before the next attempt.
   * @param details optional facts about the failure (status, vendor code, request id).
   */
  constructor(
    readonly kind: "retryable" | "rate-limited" | "non-retryable",
    message: string,
    readonly retryAfterSeconds?: number,
    readonly details?: ProviderErrorDetails,
  ) {
    super(message);
  }
}
