/**
 * Task analysis for `model: "auto"`: which tier a node needs, why, and how sure the rules are.
 *
 * Order of rules (first that applies decides the tier; the budget cap applies after the last two):
 * 1. explicit: the node's `model`, else its agent's, names a tier, a `<provider>:<tier>` or a concrete model
 *    -> that, confident, reason `explicit: node model "deep"`. No budget cap: an explicit choice always wins
 *    (the reservation may still refuse it, or downgrade it under `onBudget: "downgrade"`).
 * 2. hint: `complexity` low / medium / high -> fast / balanced / deep, confident, reason `hint: complexity high`.
 * 3. signals: the points of {@link ROUTING_POINTS} are summed; score <= {@link FAST_MAX_SCORE} -> fast,
 *    >= {@link DEEP_MIN_SCORE} -> deep, else balanced. Unsure (`confident: false`) when no signal fired, or when
 *    signals pull both ways by 2 points or more; an optional LLM classifier may then decide (route-model.ts).
 * 4. budget cap (after 2 and 3): a tight remaining budget lowers the tier (budget-cap.ts); the result counts as
 *    confident since a classifier could not raise it.
 */
import { budgetCap, type TierCosts } from "./budget-cap.js";
import { type ModelChoice, resolveModelChoice } from "./model-choice.js";
import { DEEP_KEYWORDS, LIGHT_KEYWORDS, matchKeywords, roleSignal } from "./task-signals.js";
import { minTier, type Tier } from "./tier.js";

/** Difficulty hints a workflow may declare on a node or agent (`complexity`). */
export const COMPLEXITIES = ["low", "medium", "high"] as const;

/** Declared difficulty of a node (workflow hint). */
export type Complexity = (typeof COMPLEXITIES)[number];

/** Tier of each {@link Complexity} hint. */
export const COMPLEXITY_TIER: Readonly<Record<Complexity, Tier>> = { low: "fast", medium: "balanced", high: "deep" };

/** What the analysis reads about a node. */
export interface TaskInput {
  nodeId: string;
  /** Agent profile name. */
  agent: string;
  /** The agent profile's `model`, if set. */
  agentModel?: string | undefined;
  /** The node's `model`, if set (wins over the agent's; `"auto"` forces routing). */
  nodeModel?: string | undefined;
  /** Declared difficulty hint. */
  complexity?: Complexity | undefined;
  /** The node's prompt, rendered or as a template; keywords are read from its first 4,000 characters. */
  prompt: string;
  /** The agent's system prompt; role words are read from its first 200 characters. */
  system?: string | undefined;
  /** Estimated input tokens of the call (system + rendered prompt); default: prompt characters / 4, rounded up. */
  inputTokens?: number | undefined;
  /** Number of direct dependencies (inputs) of the node. */
  upstreamCount: number;
  /** Number of nodes that depend on it directly. */
  dependentsCount: number;
  /** Whether nothing depends on the node (its output is a run output). */
  isSink: boolean;
  /** Output limit of the call, tokens. */
  maxOutputTokens: number;
  /** USD left in the node's tightest budget (run or tenant day); undefined when there is no USD budget. */
  budgetRemainingUsd?: number | undefined;
  /** Worst-case USD of this call per tier, when prices are known (sharpens the budget cap). */
  tierCosts?: TierCosts | undefined;
}

/** One signal that contributed to the score: name, points (negative pushes towards `fast`), text for the reason. */
export interface SignalPoints {
  signal: keyof typeof ROUTING_POINTS;
  points: number;
  detail: string;
}

/** Everything the rules looked at, recorded with the decision. */
export interface TaskSignals {
  complexity: Complexity | null;
  /** Estimated input tokens (see {@link TaskInput.inputTokens}). */
  inputTokens: number;
  upstreamCount: number;
  dependentsCount: number;
  isSink: boolean;
  maxOutputTokens: number;
  /** Labels of {@link DEEP_KEYWORDS} found in the prompt. */
  deepKeywords: string[];
  /** Labels of {@link LIGHT_KEYWORDS} found in the prompt. */
  lightKeywords: string[];
  /** Role read from agent name, node id or system prompt, with the matched word. */
  role: { role: "deep" | "light"; word: string } | null;
  budgetRemainingUsd: number | null;
  /** Sum of `points`. */
  score: number;
  /** The signals that fired, strongest first. */
  points: SignalPoints[];
  /** The tier the budget allowed at most, when it capped the choice. */
  budgetCap: Tier | null;
}

/** Result of {@link analyzeTask}. */
export interface TaskAnalysis {
  /** `explicit` (rule 1) or `rules` (rules 2-4). */
  source: "explicit" | "rules";
  /** The tier; null only for an explicit concrete model, whose tier the tier map knows (route-model.ts). */
  tier: Tier | null;
  /** The parsed `model` choice that applied. */
  choice: ModelChoice;
  /** false when the rules could not tell (see rule 3). */
  confident: boolean;
  /** Why, without the tier: `synthesis over 5 inputs`, `explicit: agent model "sim-deep"`, … */
  reason: string;
  signals: TaskSignals;
}

/**
 * Points per signal (rule 3). Ours, tuned so that one strong signal (hard-task words, synthesis) plus one weak one
 * reaches `deep`, and light-task words alone reach `fast`.
 */
export const ROUTING_POINTS = {
  /** The prompt uses one hard-task word ({@link DEEP_KEYWORDS}); two or more distinct: `deepKeywordsMany`. */
  deepKeyword: 2,
  deepKeywordsMany: 3,
  /** The prompt uses one light-task word ({@link LIGHT_KEYWORDS}); two or more distinct: `lightKeywordsMany`. */
  lightKeyword: -2,
  lightKeywordsMany: -3,
  /** Role words in agent name, node id or system prompt opening. */
  deepRole: 1,
  lightRole: -1,
  /** Synthesis: {@link SYNTHESIS_MIN_INPUTS} or more inputs; {@link WIDE_SYNTHESIS_MIN_INPUTS} or more: `wideSynthesis`. */
  synthesis: 2,
  wideSynthesis: 3,
  /** A sink with 2 or more inputs: its output is what the run delivers. */
  finalOutput: 1,
  /** {@link FAN_OUT_MIN_DEPENDENTS} or more nodes read its output: mistakes spread. */
  fanOut: 1,
  /** {@link LONG_INPUT_TOKENS} or more input tokens. */
  longInput: 1,
  /** maxOutputTokens >= {@link LONG_OUTPUT_TOKENS}. */
  longOutput: 1,
  /** maxOutputTokens <= {@link SHORT_OUTPUT_TOKENS}. */
  shortOutput: -1,
} as const;

/** Inputs that make a node a synthesis (issue: "a synthesis over many inputs", ≥ 3). */
export const SYNTHESIS_MIN_INPUTS = 3;
/** Inputs that make a synthesis wide. */
export const WIDE_SYNTHESIS_MIN_INPUTS = 10;
/** Dependents that make a node's output widely reused. */
export const FAN_OUT_MIN_DEPENDENTS = 3;
/** Input tokens from which a prompt counts as long. */
export const LONG_INPUT_TOKENS = 16_000;
/** Output limit (tokens) from which an answer counts as long. */
export const LONG_OUTPUT_TOKENS = 4096;
/** Output limit (tokens) up to which an answer counts as short. */
export const SHORT_OUTPUT_TOKENS = 256;
/** Highest score routed to `fast`. */
export const FAST_MAX_SCORE = -1;
/** Lowest score routed to `deep`. */
export const DEEP_MIN_SCORE = 3;

/**
 * Decides the tier of a node by the rules above. Pure and synchronous.
 * @returns the analysis; never throws for well-typed input (negative counts are treated as 0).
 */
export function analyzeTask(input: TaskInput): TaskAnalysis {
  const signals = collectSignals(input);
  const choice = resolveModelChoice(input.nodeModel, input.agentModel);

  if (choice.kind !== "auto") {
    return {
      source: "explicit",
      tier: choice.kind === "tier" ? choice.tier : null,
      choice,
      confident: true,
      reason: `explicit: ${choice.from} model "${choice.spec}"`,
      signals: { ...signals, budgetCap: null },
    };
  }

  let tier: Tier;
  let confident: boolean;
  let reason: string;
  if (input.complexity) {
    tier = COMPLEXITY_TIER[input.complexity];
    confident = true;
    reason = `hint: complexity ${input.complexity}`;
  } else {
    ({ tier, confident, reason } = scoreToTier(signals));
  }

  const cap = budgetCap(input.budgetRemainingUsd, input.tierCosts);
  let capped: Tier | null = null;
  if (cap.cap && minTier(tier, cap.cap) !== tier) {
    tier = cap.cap;
    capped = cap.cap;
    confident = true;
    reason = `${reason}; ${cap.reason}`;
  }
  return { source: "rules", tier, choice, confident, reason, signals: { ...signals, budgetCap: capped } };
}

function scoreToTier(signals: TaskSignals): { tier: Tier; confident: boolean; reason: string } {
  const { score, points } = signals;
  const tier: Tier = score <= FAST_MAX_SCORE ? "fast" : score >= DEEP_MIN_SCORE ? "deep" : "balanced";
  if (points.length === 0) return { tier, confident: false, reason: "no routing signal (default)" };
  const up = points.filter((p) => p.points > 0);
  const down = points.filter((p) => p.points < 0);
  const upSum = up.reduce((s, p) => s + p.points, 0);
  const downSum = down.reduce((s, p) => s + p.points, 0);
  if (upSum >= 2 && downSum <= -2) {
    return {
      tier,
      confident: false,
      reason: `mixed signals: ${up.map((p) => p.detail).join(", ")} vs ${down.map((p) => p.detail).join(", ")}`,
    };
  }
  // Explain with the signals that pushed towards the result (all of them when balanced).
  const pushing = tier === "deep" ? up : tier === "fast" ? down : points;
  return {
    tier,
    confident: true,
    reason: pushing
      .slice(0, 3)
      .map((p) => p.detail)
      .join(", "),
  };
}

function collectSignals(input: TaskInput): TaskSignals {
  const upstreamCount = Math.max(0, input.upstreamCount);
  const dependentsCount = Math.max(0, input.dependentsCount);
  const inputTokens = Math.max(0, input.inputTokens ?? Math.ceil(input.prompt.length / 4));
  // template expressions ({{nodes.extract.output}}) name data, not what the node asks for
  const instructions = input.prompt.replace(/\{\{[^}]*\}\}/g, " ");
  const deepKeywords = matchKeywords(instructions, DEEP_KEYWORDS);
  const lightKeywords = matchKeywords(instructions, LIGHT_KEYWORDS);
  const role = roleSignal(input.agent, input.nodeId, input.system);
  const P = ROUTING_POINTS;
  const points: SignalPoints[] = [];
  const add = (signal: SignalPoints["signal"], detail: string) => points.push({ signal, points: P[signal], detail });

  if (upstreamCount >= WIDE_SYNTHESIS_MIN_INPUTS) add("wideSynthesis", `synthesis over ${upstreamCount} inputs`);
  else if (upstreamCount >= SYNTHESIS_MIN_INPUTS) add("synthesis", `synthesis over ${upstreamCount} inputs`);
  if (deepKeywords.length > 0) {
    add(deepKeywords.length > 1 ? "deepKeywordsMany" : "deepKeyword", `asks for ${deepKeywords.join("/")}`);
  }
  if (lightKeywords.length > 0) {
    add(lightKeywords.length > 1 ? "lightKeywordsMany" : "lightKeyword", `asks to ${lightKeywords.join("/")}`);
  }
  if (role) add(role.role === "deep" ? "deepRole" : "lightRole", `${role.word} role`);
  if (input.isSink && upstreamCount >= 2) add("finalOutput", "final output");
  if (dependentsCount >= FAN_OUT_MIN_DEPENDENTS) add("fanOut", `feeds ${dependentsCount} nodes`);
  if (inputTokens >= LONG_INPUT_TOKENS) add("longInput", `long prompt (~${Math.round(inputTokens / 1000)}k tokens)`);
  if (input.maxOutputTokens >= LONG_OUTPUT_TOKENS)
    add("longOutput", `long output (up to ${input.maxOutputTokens} tokens)`);
  else if (input.maxOutputTokens <= SHORT_OUTPUT_TOKENS)
    add("shortOutput", `short output (up to ${input.maxOutputTokens} tokens)`);
  // Strongest first; the sort is stable, so equal weights keep the order above.
  points.sort((a, b) => Math.abs(b.points) - Math.abs(a.points));

  return {
    complexity: input.complexity ?? null,
    inputTokens,
    upstreamCount,
    dependentsCount,
    isSink: input.isSink,
    maxOutputTokens: input.maxOutputTokens,
    deepKeywords,
    lightKeywords,
    role,
    budgetRemainingUsd: input.budgetRemainingUsd ?? null,
    score: points.reduce((s, p) => s + p.points, 0),
    points,
    budgetCap: null,
  };
}
