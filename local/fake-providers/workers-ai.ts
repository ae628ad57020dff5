import { estimateTokens } from "../../shared/providers/simulated.js";
import { sleep } from "../../shared/util/sleep.js";
import { fakeReplyText, isRecord, truncateToTokens } from "./harness.js";

/**
 * A failure the fake binding throws, as the real `env.AI.run` does: an `Error` whose message starts with the
 * Workers AI error code (`"3040: Capacity temporarily exceeded, please try again."`). workers-ai-provider maps
 * known codes to HTTP statuses (its WORKERS_AI_ERROR_CODE_TO_STATUS: 3036/3040 -> 429, 5007/5004/3039/3003 -> 400,
 * 5016/5018/3023/3041 -> 403, 3042 -> 404, 3006 -> 413, 3007/3008 -> 408); other codes get no status.
 */
export interface FakeBindingFault {
  /** Workers AI error code. */
  code: number;
  /** Message after the code. @default "fake Workers AI error" */
  message?: string;
  /** How many consecutive calls fail this way. @default 1 */
  times?: number;
}

/** One `run` call the fake binding received. */
export interface FakeBindingCall {
  model: string;
  inputs: Record<string, unknown>;
}

/** A fake `env.AI` binding and its controls. */
export interface FakeWorkersAiBinding {
  /** The binding's `run(model, inputs, options)`; honours `options.signal`. */
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
  /** Calls so far (copies). */
  calls(): FakeBindingCall[];
  /** Failures for the next calls, consumed in order; `latencyMs` delays every answer (aborts end the wait). */
  setBehaviour(b: { faults?: FakeBindingFault[]; latencyMs?: number; reply?: string }): void;
}

/**
 * A fake Workers AI binding for text generation. It answers the documented text-generation output
 * `{response: string, usage: {prompt_tokens, completion_tokens, total_tokens}}`
 * (developers.cloudflare.com/workers-ai/models, "Text Generation" output schema), with a deterministic
 * `[FAKE WORKERS-AI <model>] …` text cut at `inputs.max_tokens` (4 characters per token; no finish reason, as
 * the binding gives none for this shape). Inputs must carry a non-empty `messages` array or a `prompt` string,
 * else it throws `5007: …` like the binding does for invalid input.
 */
export function createFakeWorkersAiBinding(): FakeWorkersAiBinding {
  const calls: FakeBindingCall[] = [];
  let faults: FakeBindingFault[] = [];
  let latencyMs = 0;
  let reply: string | undefined;

  return {
    async run(model, inputs, options) {
      calls.push({ model, inputs: structuredClone(inputs) });
      const signal = options?.signal as AbortSignal | undefined;
      if (latencyMs > 0) await sleep(latencyMs, signal);
      if (signal?.aborted) throw signal.reason;
      const head = faults[0];
      if (head) {
        const left = (head.times ?? 1) - 1;
        faults = left > 0 ? [{ ...head, times: left }, ...faults.slice(1)] : faults.slice(1);
        throw new Error(`${head.code}: ${head.message ?? "fake Workers AI error"}`);
      }
      const messages = Array.isArray(inputs.messages) ? inputs.messages.filter(isRecord) : [];
      const prompt = typeof inputs.prompt === "string" ? inputs.prompt : undefined;
      if (messages.length === 0 && prompt === undefined)
        throw new Error("5007: Input is invalid: messages or prompt is required");
      const texts =
        prompt !== undefined
          ? [prompt]
          : messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
      const lastUser = prompt ?? [...messages].reverse().find((m) => m.role === "user")?.content;
      const promptText = texts.join("\n");
      const full =
        reply ?? fakeReplyText("WORKERS-AI", model, promptText, typeof lastUser === "string" ? lastUser : "");
      const max = typeof inputs.max_tokens === "number" ? inputs.max_tokens : 256;
      const text = truncateToTokens(full, max).text;
      const promptTokens = texts.reduce((a, t) => a + estimateTokens(t), 0);
      const completion = estimateTokens(text);
      return {
        response: text,
        usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion },
      };
    },
    calls: () => calls.map((c) => ({ ...c })),
    setBehaviour(b) {
      faults = [...(b.faults ?? [])];
      latencyMs = b.latencyMs ?? 0;
      reply = b.reply;
    },
  };
}
