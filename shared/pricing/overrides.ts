import { z } from "zod";
import type { ModelPrice, PriceTable } from "./prices.js";

const rate = z.number().finite().min(0).max(100_000);

const ratesSchema = z.strictObject({
  input: rate,
  output: rate,
  cacheRead: rate.optional(),
  cacheWrite: rate.optional(),
});

/**
 * One override in `PRICES`: USD per million tokens. For a model already in the table any subset of fields may be
 * given and the rest are kept; for a new model `input` and `output` are required and `cacheRead`/`cacheWrite`
 * default to `input` (no cache discount or surcharge assumed).
 */
export const priceOverrideSchema = z.strictObject({
  input: rate.optional(),
  output: rate.optional(),
  cacheRead: rate.optional(),
  cacheWrite: rate.optional(),
  longPrompt: ratesSchema
    .extend({ aboveInputTokens: z.number().int().min(1) })
    .nullable()
    .optional(),
  source: z.string().min(1).max(500).optional(),
  asOf: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "asOf is YYYY-MM-DD")
    .optional(),
  note: z.string().max(1000).optional(),
});

/**
 * zod schema of the `PRICES` worker var: a JSON object from model id to {@link priceOverrideSchema}, e.g.
 * `{"claude-sonnet-5-5": {"cacheRead": 0.2}, "llama-3.3-70b-versatile": {"input": 0.59, "output": 0.79, "source": "https://groq.com/pricing"}}`.
 * `longPrompt: null` removes a model's long-prompt band.
 */
export const priceOverridesSchema = z.record(z.string().min(1).max(200), priceOverrideSchema);

/** Validated `PRICES` overrides. */
export type PriceOverrides = z.output<typeof priceOverridesSchema>;

/** Thrown for an invalid `PRICES` var or an override that cannot be applied; `issues` name each culprit. */
export class PriceOverridesError extends Error {
  override readonly name = "PriceOverridesError";
  /** @param issues one line per problem, `<model>.<field>: <message>`. */
  constructor(readonly issues: string[]) {
    super(`invalid PRICES config: ${issues.join("; ")}`);
  }
}

/**
 * Parses the `PRICES` worker var.
 * @param json the var's text; undefined or blank means no overrides.
 * @throws PriceOverridesError when it is not JSON or does not match {@link priceOverridesSchema}.
 */
export function parsePriceOverrides(json: string | undefined): PriceOverrides {
  if (json === undefined || json.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new PriceOverridesError([`(root): not JSON: ${(err as Error).message}`]);
  }
  const parsed = priceOverridesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PriceOverridesError(
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`),
    );
  }
  return parsed.data;
}

/**
 * A new table: `table` with `overrides` applied (the input table is not modified). An overridden entry gets
 * `confirmed: false` (nobody has checked it against the vendor here), `source` = the override's `source` or
 * "PRICES config", and keeps its `asOf` and `note` unless the override gives them.
 * @throws PriceOverridesError when a new model lacks `input` or `output`.
 */
export function mergePriceOverrides(table: PriceTable, overrides: PriceOverrides): PriceTable {
  const out: Record<string, ModelPrice> = { ...table };
  const issues: string[] = [];
  for (const [model, o] of Object.entries(overrides)) {
    const base = table[model];
    if (!base && (o.input === undefined || o.output === undefined)) {
      issues.push(`${model}: a model not in the built-in table needs input and output`);
      continue;
    }
    const input = o.input ?? (base as ModelPrice).input;
    const merged: ModelPrice = {
      input,
      output: o.output ?? (base as ModelPrice).output,
      cacheRead: o.cacheRead ?? base?.cacheRead ?? input,
      cacheWrite: o.cacheWrite ?? base?.cacheWrite ?? input,
      source: o.source ?? "PRICES config",
      asOf: o.asOf ?? base?.asOf ?? "unknown",
      confirmed: false,
      note: o.note ?? base?.note,
    };
    const longPrompt =
      o.longPrompt === null
        ? undefined
        : o.longPrompt
          ? {
              ...o.longPrompt,
              cacheRead: o.longPrompt.cacheRead ?? o.longPrompt.input,
              cacheWrite: o.longPrompt.cacheWrite ?? o.longPrompt.input,
            }
          : base?.longPrompt;
    if (longPrompt) merged.longPrompt = longPrompt;
    out[model] = merged;
  }
  if (issues.length > 0) throw new PriceOverridesError(issues);
  return out;
}
