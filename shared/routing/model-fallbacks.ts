/**
 * Model fallbacks: per tier, the models a call goes to instead when the circuit of the model it was routed to is open
 * (shared/providers/circuit/). Configuration (`MODEL_FALLBACKS`, a JSON env value), parsed with zod here. Example:
 * ```json
 * { "deep": ["openrouter:anthropic/claude-opus-4.5", "anthropic:claude-opus-4-1"], "fast": ["groq:llama-3.1-8b"] }
 * ```
 * Each entry is `<provider>:<model>`, tried in order; it should be a model of the same tier (the operator's promise:
 * it is not checked). A tier without an entry has no fallback.
 */
import { z } from "zod";
import type { Tier } from "./tier.js";
import { PROVIDER_NAME_RE } from "./tier-map.js";

/** One fallback: the provider (a `PROVIDERS` key or `simulated`) and the model id to call there. */
export interface FallbackModel {
  provider: string;
  model: string;
}

/** Parsed fallbacks: tier -> models to try, in order. */
export type ModelFallbacks = Partial<Record<Tier, FallbackModel[]>>;

const entrySchema = z
  .string()
  .max(200)
  .refine((s) => PROVIDER_NAME_RE.test(s.split(":")[0] ?? "") && s.indexOf(":") > 0 && s.indexOf(":") < s.length - 1, {
    message: "a fallback is <provider>:<model>",
  });

/** zod schema of `MODEL_FALLBACKS`: `{fast?, balanced?, deep?}` each a list of 1..8 `<provider>:<model>` strings. */
export const modelFallbacksSchema = z.strictObject({
  fast: z.array(entrySchema).min(1).max(8).optional(),
  balanced: z.array(entrySchema).min(1).max(8).optional(),
  deep: z.array(entrySchema).min(1).max(8).optional(),
});

/**
 * Parses `MODEL_FALLBACKS` from its JSON text.
 * @returns tier -> fallbacks (the model is everything after the first `:`, so a model id may contain `:`).
 * @throws Error naming the first offending path (e.g. `deep.0: a fallback is <provider>:<model>`) when the text is
 *   not JSON or does not match {@link modelFallbacksSchema}.
 */
export function parseModelFallbacksJson(text: string): ModelFallbacks {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`);
  }
  const parsed = modelFallbacksSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const out: ModelFallbacks = {};
  for (const [tier, list] of Object.entries(parsed.data) as [Tier, string[] | undefined][]) {
    if (!list) continue;
    out[tier] = list.map((s) => {
      const i = s.indexOf(":");
      return { provider: s.slice(0, i), model: s.slice(i + 1) };
    });
  }
  return out;
}
