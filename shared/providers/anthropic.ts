import { type AnthropicProvider as AiSdkAnthropic, createAnthropic } from "@ai-sdk/anthropic";
import { generateWithAiSdk } from "./ai-sdk-generate.js";
import { type GenerateRequest, type GenerateResult, type LlmProvider, ProviderError } from "./provider.js";
import { gatewayMetadataOf } from "./usage-log.js";

/** Anthropic's API root (the AI SDK's default); the Messages API is `POST {base}/messages`. */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com/v1";

/** Settings of an {@link AnthropicProvider}. */
export interface AnthropicProviderOptions {
  /** Provider name (its key in the providers config). @default "anthropic" */
  name?: string | undefined;
  /** API key, sent as `x-api-key`. Undefined: every call fails `non-retryable` naming {@link apiKeySecret}. */
  apiKey: string | undefined;
  /** Name of the secret the key comes from, for the error message when it is missing. @default "ANTHROPIC_API_KEY" */
  apiKeySecret?: string | undefined;
  /** API root including `/v1`, e.g. a proxy or a local fake. @default {@link ANTHROPIC_DEFAULT_BASE_URL} */
  baseUrl?: string | undefined;
  /** Extra request headers (e.g. `anthropic-beta`). */
  headers?: Record<string, string> | undefined;
  /** fetch implementation (tests). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined;
  /** Tag each node call with its call key for the usage log (header `cf-aig-metadata`, usage-log.ts). @default false */
  tagCalls?: boolean | undefined;
}

/**
 * Claude through the Anthropic Messages API, via the AI SDK (`@ai-sdk/anthropic`, which sends
 * `anthropic-version: 2023-06-01`). `GenerateRequest.sharedContext` becomes the first system block with
 * `cache_control: {type: "ephemeral"}`, so sibling nodes reading the same upstream output share a prompt-cache
 * entry; usage reports `cacheWriteTokens` (`cache_creation_input_tokens`) and `cacheReadTokens`
 * (`cache_read_input_tokens`) apart from plain `inputTokens` (`input_tokens`).
 */
export class AnthropicProvider implements LlmProvider {
  readonly name: string;
  readonly #sdk: AiSdkAnthropic | undefined;
  readonly #missingKey: string;
  readonly #tagCalls: boolean;
  readonly #baseMetadata: string | undefined;

  constructor(opts: AnthropicProviderOptions) {
    this.name = opts.name ?? "anthropic";
    this.#tagCalls = opts.tagCalls ?? false;
    this.#baseMetadata = gatewayMetadataOf(opts.headers);
    this.#missingKey = opts.apiKeySecret ?? "ANTHROPIC_API_KEY";
    this.#sdk = opts.apiKey
      ? createAnthropic({
          apiKey: opts.apiKey,
          baseURL: opts.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
          ...(opts.headers ? { headers: opts.headers } : {}),
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        })
      : undefined;
  }

  /**
   * @throws ProviderError `non-retryable` when the API key is missing; otherwise as classified by
   *   classifyProviderError (429 -> `rate-limited`, 4xx -> `non-retryable`, 5xx/529/timeout -> `retryable`).
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
    return generateWithAiSdk(this.#sdk.messages(req.model), req, {
      provider: this.name,
      sharedContext: "cached-block",
      tagCall: this.#tagCalls,
      baseMetadata: this.#baseMetadata,
    });
  }
}
