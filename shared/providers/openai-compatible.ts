import {
  type OpenAICompatibleProvider as AiSdkOpenAICompatible,
  createOpenAICompatible,
} from "@ai-sdk/openai-compatible";
import { generateWithAiSdk } from "./ai-sdk-generate.js";
import { type GenerateRequest, type GenerateResult, type LlmProvider, ProviderError } from "./provider.js";
import { gatewayMetadataOf } from "./usage-log.js";

/** Settings of an {@link OpenAICompatibleProvider}. */
export interface OpenAICompatibleProviderOptions {
  /** Provider name (its key in the providers config), e.g. `openai`, `openrouter`, `groq`, `ollama`. */
  name: string;
  /**
   * API root; the call is `POST {baseUrl}/chat/completions`. Examples: `https://api.openai.com/v1`,
   * `https://openrouter.ai/api/v1`, `https://api.groq.com/openai/v1`, `http://localhost:11434/v1` (Ollama),
   * `https://api.cloudflare.com/client/v4/accounts/<account>/ai/v1` (Workers AI, OpenAI-compatible).
   */
  baseUrl: string;
  /** Bearer token. Undefined with {@link apiKeySecret} set: every call fails `non-retryable`. */
  apiKey?: string | undefined;
  /** Name of the secret the key should come from; when set, a missing key is an error (else keyless, e.g. Ollama). */
  apiKeySecret?: string | undefined;
  /** Extra request headers (e.g. OpenRouter's `HTTP-Referer`, `X-Title`). */
  headers?: Record<string, string> | undefined;
  /** fetch implementation (tests). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined;
  /** Tag each node call with its call key for the usage log (header `cf-aig-metadata`, usage-log.ts). @default false */
  tagCalls?: boolean | undefined;
}

/**
 * Any OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter, Groq, vLLM, Ollama, Cloudflare's
 * OpenAI-compatible Workers AI endpoint), via the AI SDK (`@ai-sdk/openai-compatible`). `sharedContext` is sent as
 * the first system message, so providers with automatic prefix caching (OpenAI: prefixes of 1024+ tokens) can
 * serve it from cache; `prompt_tokens_details.cached_tokens` is reported as `cacheReadTokens` and subtracted from
 * `inputTokens`.
 */
export class OpenAICompatibleProvider implements LlmProvider {
  readonly name: string;
  readonly #sdk: AiSdkOpenAICompatible | undefined;
  readonly #missingKey: string | undefined;
  readonly #tagCalls: boolean;
  readonly #baseMetadata: string | undefined;

  constructor(opts: OpenAICompatibleProviderOptions) {
    this.name = opts.name;
    this.#tagCalls = opts.tagCalls ?? false;
    this.#baseMetadata = gatewayMetadataOf(opts.headers);
    const keyMissing = opts.apiKeySecret !== undefined && !opts.apiKey;
    this.#missingKey = keyMissing ? opts.apiKeySecret : undefined;
    this.#sdk = keyMissing
      ? undefined
      : createOpenAICompatible({
          name: opts.name,
          baseURL: opts.baseUrl.replace(/\/+$/, ""),
          ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
          ...(opts.headers ? { headers: opts.headers } : {}),
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        });
  }

  /**
   * @throws ProviderError `non-retryable` when the configured API key secret is missing; otherwise as classified by
   *   classifyProviderError (429 -> `rate-limited`, 4xx -> `non-retryable`, 5xx/timeout -> `retryable`).
   */
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    if (!this.#sdk) {
      throw new ProviderError(
        "non-retryable",
        `${this.name}: API key secret ${this.#missingKey} is not set`,
        undefined,
        { provider: this.name },
      );
    }
    return generateWithAiSdk(this.#sdk.chatModel(req.model), req, {
      provider: this.name,
      sharedContext: "block",
      tagCall: this.#tagCalls,
      baseMetadata: this.#baseMetadata,
    });
  }
}
