import { sha256Hex } from "../util/hash.js";
import { sleep } from "../util/sleep.js";
import { type GenerateRequest, type GenerateResult, type LlmProvider, ProviderError } from "./provider.js";
import { SIMULATED_STRING, simulatedObject } from "./simulated-object.js";

/**
 * First line of every simulated text output, so that no reader mistakes it for a model's answer; in a simulated
 * structured answer, the value of every free string (simulated-object.ts).
 */
export const SIMULATED_BANNER = SIMULATED_STRING;

/**
 * Whether an output (or its excerpt) came from the simulated provider: a text output starts with
 * {@link SIMULATED_BANNER}; a structured one (JSON, starting with `{` or `[`) holds it as a string value. A
 * structured answer whose schema has no free string carries no mark.
 */
export function isSimulatedText(text: string): boolean {
  if (text.startsWith(SIMULATED_BANNER)) return true;
  return (text.startsWith("{") || text.startsWith("[")) && text.includes(`"${SIMULATED_BANNER}`);
}

/**
 * Rough token count of a text: one token per 4 characters, rounded up. This is the rule of thumb OpenAI gives for
 * English text ("a token is ~4 characters", help.openai.com, "What are tokens and how to count them?"); the
 * simulated provider has no tokenizer.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The offline default provider: deterministic output that says it is simulated, token usage estimated from the
 * text, latency configurable per node (`simulate.latencyMs`, else the provider's default), and failure injection
 * (`simulate.failAttempts`: the first N attempts throw a retryable error) for tests and demos. With an
 * `outputSchema`, the answer is the deterministic schema-valid value of simulated-object.ts (its strings say it is
 * simulated), as compact JSON.
 */
export class SimulatedProvider implements LlmProvider {
  readonly name = "simulated";

  /** @param defaultLatencyMs latency of a call, in ms, when the node sets none (config `SIMULATED_LATENCY_MS`). */
  constructor(private readonly defaultLatencyMs = 0) {}

  /**
   * @throws ProviderError (`retryable`) on the attempts `simulate.failAttempts` asks to fail.
   * @throws DOMException `AbortError` when `signal` aborts during the simulated latency.
   */
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const latencyMs = req.simulate?.latencyMs ?? this.defaultLatencyMs;
    if (latencyMs > 0) await sleep(latencyMs, req.signal);
    if (req.attempt <= (req.simulate?.failAttempts ?? 0)) {
      throw new ProviderError("retryable", `simulated failure of attempt ${req.attempt} (simulate.failAttempts)`);
    }
    const shared = req.sharedContext ?? "";
    const inputTokens = estimateTokens(shared) + estimateTokens(req.system) + estimateTokens(req.prompt);
    if (req.outputSchema) {
      const value = simulatedObject(req.outputSchema);
      const json = JSON.stringify(value) ?? "null";
      return {
        text: json,
        model: req.model,
        usage: {
          inputTokens: inputTokens + estimateTokens(JSON.stringify(req.outputSchema)),
          outputTokens: estimateTokens(json),
        },
        stopReason: "end",
        simulated: true,
        provider: this.name,
        structured: { value },
      };
    }
    // the digest and the gist are only for the text answer (a structured one depends on the schema alone)
    const digest = (await sha256Hex(`${req.model}\n${shared}\n${req.system}\n${req.prompt}`)).slice(0, 12);
    const lines = req.prompt
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    const gist = lines.slice(0, 3).map((l) => `> ${l.length > 100 ? `${l.slice(0, 100)}…` : l}`);
    let text = [
      SIMULATED_BANNER,
      `Agent ${req.agent} (model ${req.model}) on node ${req.nodeId}, attempt ${req.attempt}.`,
      `It read a prompt of ${req.prompt.length} characters (~${inputTokens} tokens, digest ${digest}) beginning:`,
      ...gist,
      `A real provider would answer here; configure one to get real ${req.agent} output.`,
    ].join("\n");
    const pad = req.simulate?.outputBytes ?? 0;
    if (pad > text.length) text += `\n${"x".repeat(pad - text.length - 1)}`;
    let stopReason: GenerateResult["stopReason"] = "end";
    if (pad === 0 && estimateTokens(text) > req.maxOutputTokens) {
      text = text.slice(0, req.maxOutputTokens * 4);
      stopReason = "max_tokens";
    }
    return {
      text,
      model: req.model,
      usage: { inputTokens, outputTokens: estimateTokens(text) },
      stopReason,
      simulated: true,
      provider: this.name,
    };
  }
}
