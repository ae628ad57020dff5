/**
 * The tier map: which concrete model each provider runs for each {@link Tier}. It comes from configuration (a JSON
 * env value), so it is parsed with zod here, at that trust boundary; everything inside works with the typed value.
 *
 * Example (`MODEL_TIERS` or similar, chosen by the worker's env):
 * ```json
 * { "anthropic": { "fast": "claude-haiku-…", "balanced": "claude-sonnet-…", "deep": "claude-opus-…" },
 *   "simulated": { "fast": "sim-fast", "balanced": "sim-balanced", "deep": "sim-deep" } }
 * ```
 */
import { z } from "zod";
import { TIERS, type Tier } from "./tier.js";

/** Provider name pattern: lower-case letters, digits and dashes, 1..64 chars (e.g. `anthropic`, `workers-ai`). */
export const PROVIDER_NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

const modelIdSchema = z.string().min(1).max(128);

/**
 * zod schema of a tier map: provider name -> `{ fast, balanced, deep }` model ids (1..128 chars each). Every tier is
 * required so that a downgrade always has a model to go to (map two tiers to the same model if a provider has no
 * third size). At least one provider is required.
 */
export const tierMapSchema = z
  .record(
    z.string().regex(PROVIDER_NAME_RE, { message: "provider name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
    z.strictObject({ fast: modelIdSchema, balanced: modelIdSchema, deep: modelIdSchema }),
  )
  .refine((map) => Object.keys(map).length > 0, { message: "the tier map needs at least one provider" });

/** A parsed tier map: provider -> tier -> model id. */
export type TierMap = Record<string, Record<Tier, string>>;

/**
 * The tier map used when the configuration sets none: the simulated provider's three models, which
 * `SimulatedProvider` accepts (and `workflows/review-all.json` names). Real providers are added by configuration.
 */
export const DEFAULT_TIER_MAP: TierMap = {
  simulated: { fast: "sim-fast", balanced: "sim-balanced", deep: "sim-deep" },
};

/**
 * Parses a tier map from its JSON text (an env value).
 * @throws Error naming the first offending path (e.g. `anthropic.deep: Required`) when the text is not JSON or
 *   does not match {@link tierMapSchema}.
 */
export function parseTierMapJson(text: string): TierMap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`tier map is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = tierMapSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "(root)";
    // a bad provider name arrives as "Invalid key in record" with the key's own issue nested inside
    const nested =
      issue && "issues" in issue && Array.isArray(issue.issues)
        ? (issue.issues[0] as { message?: string } | undefined)
        : undefined;
    throw new Error(`invalid tier map at ${path}: ${nested?.message ?? issue?.message ?? "invalid"}`);
  }
  return parsed.data as TierMap;
}

/**
 * The model `provider` runs for `tier`.
 * @throws Error when the map has no entry for `provider`.
 */
export function modelForTier(map: TierMap, provider: string, tier: Tier): string {
  const models = map[provider];
  if (!models) throw new Error(`no tier map entry for provider "${provider}" (known: ${Object.keys(map).join(", ")})`);
  return models[tier];
}

/**
 * Where a concrete model sits in the map: its provider and tier. `preferProvider` is searched first (a model id may
 * appear under two providers); otherwise providers are searched in the map's key order, tiers from `fast` up.
 * @returns `{ provider, tier }`, or null when no provider maps any tier to `model`.
 */
export function findModel(
  map: TierMap,
  model: string,
  preferProvider?: string,
): { provider: string; tier: Tier } | null {
  const providers = Object.keys(map);
  if (preferProvider !== undefined && map[preferProvider]) {
    providers.splice(providers.indexOf(preferProvider), 1);
    providers.unshift(preferProvider);
  }
  for (const provider of providers) {
    for (const tier of TIERS) {
      if (map[provider]?.[tier] === model) return { provider, tier };
    }
  }
  return null;
}
