import { createWorkersAI, type WorkersAI } from "workers-ai-provider";
import { generateWithAiSdk } from "./ai-sdk-generate.js";
import { type GenerateRequest, type GenerateResult, type LlmProvider, ProviderError } from "./provider.js";

/**
 * The slice of the Workers AI binding (`env.AI`, type `Ai` in @cloudflare/workers-types) this provider uses:
 * `run(model, inputs, options)`. Declared narrowly so tests can pass a fake (local/fake-providers/workers-ai.ts).
 */
export interface WorkersAiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

/** Settings of a {@link WorkersAiProvider}. */
export interface WorkersAiProviderOptions {
  /** Provider name (its key in the providers config). @default "workers-ai" */
  name?: string | undefined;
  /** The `env.AI` binding, or undefined when the worker has none (every call then fails `non-retryable`). */
  binding: WorkersAiBinding | undefined;
  /** Name of the binding, for the error message when it is missing. @default "AI" */
  bindingName?: string | undefined;
}

/**
 * Cloudflare Workers AI through the `env.AI` binding, via the AI SDK (`workers-ai-provider`, Cloudflare's own
 * provider package). Model ids are Workers AI ids such as `@cf/meta/llama-3.3-70b-instruct-fp8-fast`. The binding
 * has no prompt cache, so `sharedContext` is prepended to the system prompt. Binding errors carry Workers AI error
 * codes, which the package maps to HTTP statuses (e.g. 3040 capacity -> 429, 3007 timeout -> 408) before
 * classifyProviderError sees them. For Workers AI over HTTP, use the OpenAI-compatible provider instead.
 */
export class WorkersAiProvider implements LlmProvider {
  readonly name: string;
  readonly #sdk: WorkersAI | undefined;
  readonly #bindingName: string;

  constructor(opts: WorkersAiProviderOptions) {
    this.name = opts.name ?? "workers-ai";
    this.#bindingName = opts.bindingName ?? "AI";
    // The binding's declared type (`Ai`) is much wider than what the package calls; it only uses `run` here.
    this.#sdk = opts.binding ? createWorkersAI({ binding: opts.binding as unknown as Ai }) : undefined;
  }

  /**
   * @throws ProviderError `non-retryable` when the worker has no such binding; otherwise as classified by
   *   classifyProviderError.
   */
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    if (!this.#sdk) {
      throw new ProviderError(
        "non-retryable",
        `${this.name}: the worker has no Workers AI binding named ${this.#bindingName}`,
        undefined,
        {
          provider: this.name,
        },
      );
    }
    return generateWithAiSdk(this.#sdk(req.model as Parameters<WorkersAI>[0]), req, {
      provider: this.name,
      sharedContext: "merged",
    });
  }
}
