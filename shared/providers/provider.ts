/**
 * The provider interface every LLM backend implements (simulated now; Anthropic, OpenAI-compatible and Workers AI
 * in the next slice). `/internal/execute` knows only this interface (design.md, decision 4).
 */

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
  /** Model id to call. */
  model: string;
  /** Upper bound of generated tokens. */
  maxOutputTokens: number;
  /** Sampling temperature, 0..2, when the agent sets one. */
  temperature?: number | undefined;
  /** 1-based attempt number of the node. */
  attempt: number;
  /** Simulation knobs (ignored by real providers): latency in ms, and how many first attempts fail. */
  simulate?: { latencyMs?: number | undefined; failAttempts?: number | undefined } | undefined;
  /** Aborts the call (the node's timeout). */
  signal?: AbortSignal | undefined;
}

/** Token usage of one call. */
export interface TokenUsage {
  /** Prompt tokens billed (system + user). */
  inputTokens: number;
  /** Generated tokens billed. */
  outputTokens: number;
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

/**
 * A provider failure, classified for QStash: `retryable` (timeout, 5xx: QStash retries with backoff),
 * `rate-limited` (answered 429 with `Retry-After`, which QStash honours), `non-retryable` (answered 489 with
 * `Upstash-NonRetryable-Error: true`, so QStash fails the message at once; upstash-protocols.md B5).
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  /**
   * @param kind how QStash should treat the failure.
   * @param message provider's message, recorded on the node.
   * @param retryAfterSeconds for `rate-limited`: seconds to wait before the next attempt.
   */
  constructor(
    readonly kind: "retryable" | "rate-limited" | "non-retryable",
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
