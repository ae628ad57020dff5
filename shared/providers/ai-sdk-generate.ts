import {
  generateText,
  type JSONSchema7,
  jsonSchema,
  type LanguageModel,
  type LanguageModelUsage,
  NoObjectGeneratedError,
  Output,
  type SystemModelMessage,
} from "ai";
import { classifyProviderError } from "./classify-error.js";
import { type GenerateRequest, type GenerateResult, ProviderError, type TokenUsage } from "./provider.js";
import { estimateTokens } from "./simulated.js";
import { callKeyHeaders } from "./usage-log.js";

/**
 * How a provider sends `GenerateRequest.sharedContext`:
 * - `cached-block`: its own system block, first, marked `cache_control: {type: "ephemeral"}` (Anthropic);
 * - `block`: its own system message, first, unmarked (OpenAI-compatible: automatic prefix caching);
 * - `merged`: prepended to the agent's system prompt, separated by a blank line (Workers AI).
 */
export type SharedContextMode = "cached-block" | "block" | "merged";

/**
 * Anthropic prompt-cache breakpoint as the AI SDK expects it on a message's `providerOptions`
 * (@ai-sdk/anthropic docs, "Cache Control"): a 5-minute ephemeral cache entry.
 */
export const ANTHROPIC_EPHEMERAL_CACHE = { anthropic: { cacheControl: { type: "ephemeral" } } } as const;

/**
 * Builds the system part of a call: `sharedContext` first (so siblings share a byte-identical prefix), then the
 * agent's own system prompt. Empty parts are left out.
 * @returns the AI SDK `instructions` (an array of system messages), or undefined when there is nothing to send.
 */
export function buildInstructions(
  req: Pick<GenerateRequest, "system" | "sharedContext">,
  mode: SharedContextMode,
): SystemModelMessage[] | undefined {
  const shared = req.sharedContext ?? "";
  const system = req.system;
  if (mode === "merged") {
    const text = [shared, system].filter((t) => t.length > 0).join("\n\n");
    return text ? [{ role: "system", content: text }] : undefined;
  }
  const out: SystemModelMessage[] = [];
  if (shared) {
    out.push(
      mode === "cached-block"
        ? { role: "system", content: shared, providerOptions: ANTHROPIC_EPHEMERAL_CACHE }
        : { role: "system", content: shared },
    );
  }
  if (system) out.push({ role: "system", content: system });
  return out.length > 0 ? out : undefined;
}

/**
 * Maps the AI SDK's usage onto ours: the three input counts disjoint (plain input, cache read, cache write).
 * When the provider reports no usage at all (some OpenAI-compatible servers), counts are estimated at 4 characters
 * per token from the texts sent and received ({@link estimateTokens}), so budgets never see zero for a real call.
 * @param sentText everything sent (shared context + system + prompt), for the estimate.
 * @param receivedText the generated text, for the estimate.
 */
export function mapUsage(usage: LanguageModelUsage | undefined, sentText: string, receivedText: string): TokenUsage {
  const details = usage?.inputTokenDetails;
  const cacheRead = details?.cacheReadTokens ?? 0;
  const cacheWrite = details?.cacheWriteTokens ?? 0;
  const total = usage?.inputTokens;
  const plain =
    details?.noCacheTokens ?? (total === undefined ? estimateTokens(sentText) : total - cacheRead - cacheWrite);
  const out: TokenUsage = {
    inputTokens: Math.max(0, plain),
    outputTokens: usage?.outputTokens ?? estimateTokens(receivedText),
  };
  if (cacheRead > 0) out.cacheReadTokens = cacheRead;
  if (cacheWrite > 0) out.cacheWriteTokens = cacheWrite;
  return out;
}

/**
 * Runs one {@link GenerateRequest} through the AI SDK's `generateText` with the SDK's own retries off
 * (`maxRetries: 0`: QStash does the retries) and the node's `signal` as abort signal.
 * Finish reasons: `length` -> `max_tokens`; `stop` and anything else -> `end`; `content-filter` (Anthropic
 * `stop_reason: "refusal"`, OpenAI `finish_reason: "content_filter"`) is thrown as a `non-retryable`
 * ProviderError, since the same request would be refused again.
 * With `req.outputSchema`, the SDK's structured output is asked for (`Output.object` over `jsonSchema(schema)`: the
 * provider's JSON mode or tool call, per the SDK's provider); the parsed value is returned in `structured` (checked
 * against the schema by the caller, structured-output.ts), and an answer that is not JSON comes back as
 * `{ parseError }` with its usage, since it was paid for.
 * @param model the AI SDK language model to call.
 * @param provider our provider name, reported on the result and in error messages.
 * With `opts.tagCall`, a request with a `usageKey` carries it as AI Gateway metadata (usage-log.ts `callKeyHeaders`).
 * @throws ProviderError for every failure, classified by {@link classifyProviderError}.
 */
export async function generateWithAiSdk(
  model: LanguageModel,
  req: GenerateRequest,
  opts: {
    provider: string;
    sharedContext: SharedContextMode;
    now?: () => number;
    /** Tag the call with its `usageKey`, when it has one, for the usage log (`cf-aig-metadata`, usage-log.ts). */
    tagCall?: boolean | undefined;
    /** The provider's own `cf-aig-metadata` header, merged into the tag. */
    baseMetadata?: string | undefined;
  },
): Promise<GenerateResult> {
  const instructions = buildInstructions(req, opts.sharedContext);
  const sent = `${req.sharedContext ?? ""}${req.system}${req.prompt}`;
  let result: Awaited<ReturnType<typeof generateText>>;
  try {
    result = await generateText({
      model,
      ...(instructions ? { instructions } : {}),
      prompt: req.prompt,
      maxOutputTokens: req.maxOutputTokens,
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      maxRetries: 0,
      ...(opts.tagCall && req.usageKey ? { headers: callKeyHeaders(req.usageKey, opts.baseMetadata) } : {}),
      ...(req.signal ? { abortSignal: req.signal } : {}),
      ...(req.outputSchema ? { output: Output.object({ schema: jsonSchema(req.outputSchema as JSONSchema7) }) } : {}),
    });
  } catch (err) {
    if (req.outputSchema && NoObjectGeneratedError.isInstance(err)) {
      // the model answered, but not with JSON: a paid answer the caller retries with the parse error
      const text = err.text ?? "";
      return {
        text,
        model: err.response?.modelId || req.model,
        usage: mapUsage(err.usage, sent, text),
        stopReason: err.finishReason === "length" ? "max_tokens" : "end",
        simulated: false,
        provider: opts.provider,
        structured: { parseError: err.message },
      };
    }
    throw classifyProviderError(err, opts.provider, opts.now?.() ?? Date.now());
  }
  if (result.finishReason === "content-filter") {
    throw new ProviderError(
      "non-retryable",
      `${opts.provider}: the model declined to answer (finish reason ${result.rawFinishReason ?? "content-filter"})`,
      undefined,
      { provider: opts.provider, code: result.rawFinishReason ?? "content-filter" },
    );
  }
  const answer: GenerateResult = {
    text: result.text,
    model: result.response.modelId || req.model,
    usage: mapUsage(result.usage, sent, result.text),
    stopReason: result.finishReason === "length" ? "max_tokens" : "end",
    simulated: false,
    provider: opts.provider,
  };
  if (!req.outputSchema) return answer;
  try {
    const value: unknown = result.output;
    return { ...answer, text: JSON.stringify(value) ?? "null", structured: { value } };
  } catch (err) {
    // no output at all (e.g. the answer was cut before any text): paid, and retried like an unparsable one
    return { ...answer, structured: { parseError: (err as Error).message } };
  }
}
