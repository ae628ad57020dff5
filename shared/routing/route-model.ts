/**
 * Model routing: turns a node's `model` choice and task analysis into the provider and model to call, with the
 * reason shown in progress ("balanced: synthesis over 5 inputs").
 */
import type { TokenUsage } from "../providers/provider.js";
import { analyzeTask, type TaskAnalysis, type TaskInput } from "./analyze-task.js";
import { budgetCap, type TierCosts } from "./budget-cap.js";
import {
  type ClassifierBudget,
  ClassifierBudgetRefusedError,
  type ClassifierVerdict,
  type TierClassifier,
} from "./classifier.js";
import { minTier, TIERS, type Tier } from "./tier.js";
import { findModel, modelForTier, type TierMap } from "./tier-map.js";

/** How routing reaches a decision. */
export interface RouteOptions {
  /** Provider -> tier -> model (tier-map.ts). */
  tierMap: TierMap;
  /** Provider used for bare tiers (`"deep"`) and automatic routing; must be a key of `tierMap`. */
  provider: string;
  /** Asked when the rules are unsure; without one the rules' tier stands. */
  classifier?: TierClassifier | undefined;
  /**
   * Provider of a concrete model that no tier map entry lists (e.g. by id prefix); default: `provider`.
   * Return undefined for "don't know".
   */
  providerOfModel?: ((model: string) => string | undefined) | undefined;
  /**
   * Price of a call in USD (shared/pricing `costUsd`), used to price each tier's worst case (input estimate +
   * maxOutputTokens) for the budget cap when `input.tierCosts` is not given. A null, undefined, non-finite result
   * or a throw means "unknown price" for that tier.
   */
  costUsd?: ((model: string, usage: TokenUsage) => number | null | undefined) | undefined;
  /** Aborts the classifier call. */
  signal?: AbortSignal | undefined;
  /** The node's budgets for the classifier call (reserved before it, settled after); none: not budgeted. */
  classifierBudget?: ClassifierBudget | undefined;
  /** Run id, for the classifier's provider logs. */
  runId?: string | undefined;
}

/** Where a decision came from: an explicit model or tier, the rules, or the LLM classifier. */
export type RouteSource = "explicit" | "rules" | "classifier";

/** The routing decision recorded on the node. */
export interface RouteDecision {
  provider: string;
  /** The tier; null only for an explicit model that no tier map entry lists (such a model cannot be downgraded). */
  tier: Tier | null;
  model: string;
  /** Why, without the tier: `synthesis over 5 inputs`, `explicit: node model "deep"`, `classifier (rules unsure: …)`. */
  reason: string;
  source: RouteSource;
  /** The rules' analysis, with every signal they read. */
  analysis: TaskAnalysis;
  /** The classifier's verdict when it was asked (its `usage` belongs to the node's budget), else null. */
  classifier: ClassifierVerdict | null;
}

/**
 * Routes one node: an explicit model or tier wins; otherwise {@link analyzeTask} decides, and when it is unsure
 * and a classifier is configured, the classifier decides (capped by the budget like the rules). A classifier that
 * fails or names no tier leaves the rules' tier, and the reason says so.
 * @throws Error when `options.provider` (or the provider of a `"<provider>:<tier>"` choice) has no tier map entry.
 */
export async function routeModel(input: TaskInput, options: RouteOptions): Promise<RouteDecision> {
  const withCosts = needsCosts(input, options) ? { ...input, tierCosts: priceTiers(input, options) } : input;
  const analysis = analyzeTask(withCosts);
  const { choice } = analysis;

  if (choice.kind === "tier") {
    const provider = choice.provider ?? options.provider;
    return {
      provider,
      tier: choice.tier,
      model: modelForTier(options.tierMap, provider, choice.tier),
      reason: analysis.reason,
      source: "explicit",
      analysis,
      classifier: null,
    };
  }
  if (choice.kind === "model") {
    const found = findModel(options.tierMap, choice.model, options.provider);
    const provider = found?.provider ?? options.providerOfModel?.(choice.model) ?? options.provider;
    return {
      provider,
      tier: found?.tier ?? null,
      model: choice.model,
      reason: analysis.reason,
      source: "explicit",
      analysis,
      classifier: null,
    };
  }

  const provider = options.provider;
  let tier = analysis.tier as Tier;
  let reason = analysis.reason;
  let source: RouteSource = "rules";
  let verdict: ClassifierVerdict | null = null;
  if (!analysis.confident && options.classifier) {
    try {
      verdict = await options.classifier.classify({
        prompt: input.prompt,
        system: input.system,
        nodeId: input.nodeId,
        runId: options.runId,
        signal: options.signal,
        budget: options.classifierBudget,
      });
    } catch (err) {
      reason =
        err instanceof ClassifierBudgetRefusedError
          ? `${reason}; ${err.message}`
          : `${reason}; classifier failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (verdict?.tier) {
      const cap = budgetCap(withCosts.budgetRemainingUsd, withCosts.tierCosts);
      tier = cap.cap ? minTier(verdict.tier, cap.cap) : verdict.tier;
      source = "classifier";
      reason = `classifier${verdict.cached ? " (cached)" : ""}, rules unsure: ${analysis.reason}`;
      if (cap.cap && tier !== verdict.tier) reason = `${reason}; ${cap.reason}`;
    } else if (verdict) {
      reason = `${reason}; classifier named no tier`;
    }
  }
  return {
    provider,
    tier,
    model: modelForTier(options.tierMap, provider, tier),
    reason,
    source,
    analysis,
    classifier: verdict,
  };
}

/**
 * The one-line form shown in progress: `<tier>: <reason>`, e.g. `balanced: synthesis over 5 inputs`, or
 * `<model>: <reason>` for an explicit model without a tier.
 */
export function describeRoute(decision: Pick<RouteDecision, "tier" | "model" | "reason">): string {
  return `${decision.tier ?? decision.model}: ${decision.reason}`;
}

function needsCosts(input: TaskInput, options: RouteOptions): boolean {
  return input.tierCosts === undefined && input.budgetRemainingUsd !== undefined && options.costUsd !== undefined;
}

/** Worst-case USD per tier of the routing provider's models; tiers without a known price are left out. */
function priceTiers(input: TaskInput, options: RouteOptions): TierCosts {
  const usage: TokenUsage = {
    inputTokens: Math.max(0, input.inputTokens ?? Math.ceil(input.prompt.length / 4)),
    outputTokens: input.maxOutputTokens,
  };
  const costs: TierCosts = {};
  const models = options.tierMap[options.provider];
  if (!models || !options.costUsd) return costs;
  for (const tier of TIERS) {
    try {
      const usd = options.costUsd(models[tier], usage);
      if (typeof usd === "number" && Number.isFinite(usd)) costs[tier] = usd;
    } catch {
      // unknown price: the tier is left out and counts as fitting
    }
  }
  return costs;
}
