/**
 * The planner's own model call, through the machinery of a node's call: routed to the `fast` tier of the default
 * provider (shared/routing, an explicit tier), its worst case (input bound + output limit, doubled for the
 * structured-output retry, priced at the dearest input rate) reserved in the tenant's daily budget before it runs
 * and settled at its actual usage after, and its answer a structured output checked against PLAN_ANSWER_SCHEMA
 * (shared/providers/structured-output.ts: one retry on a mismatch). The simulated provider does not call a model:
 * it plans deterministically (simulated-planner.ts), with usage estimated as its calls are (4 characters a token).
 */
import { tenantDailyLimits } from "../budget/budget-spec.js";
import { inputTokenBound } from "../budget/input-bound.js";
import { type BudgetHold, releaseHold, reserveScopes, settleHold } from "../budget/reserve-scopes.js";
import { describeScope, tenantDayScope } from "../budget/scopes.js";
import { worstCase } from "../budget/worst-case.js";
import type { Engine } from "../engine/engine.js";
import { billedTokens } from "../engine/model-call.js";
import { ProblemError, problem } from "../errors/problem.js";
import { costUsd } from "../pricing/cost.js";
import type { TokenUsage } from "../providers/provider.js";
import { estimateTokens } from "../providers/simulated.js";
import {
  generateStructured,
  MISMATCH_NOTE_TOKEN_BOUND,
  PaidCallsError,
  STRUCTURED_CALLS_PER_ATTEMPT,
} from "../providers/structured-output.js";
import { routeModel } from "../routing/route-model.js";
import type { Tier } from "../routing/tier.js";
import { PLAN_ANSWER_SCHEMA, type PlanAnswer } from "./plan-answer.js";

/** The tier the planner runs on: a fast model (the issue: "produced as structured output by a fast-tier model"). */
export const PLANNER_TIER: Tier = "fast";

/** Output limit of one planner call, tokens (ours: 16 nodes with 2,000-character prompts fit with room). */
export const PLANNER_MAX_OUTPUT_TOKENS = 8192;

/** One planner call as recorded in the plan: who answered, the tokens and the USD it cost. */
export interface PlannerCall {
  provider: string;
  model: string;
  tier: Tier | null;
  /** Why this model (routing's reason, e.g. `explicit: node model "fast"`). */
  reason: string;
  usage: TokenUsage;
  /** USD from the price table (0 for the simulated and fake models). */
  costUsd: number;
  /** True when no model was called (the simulated planner). */
  simulated: boolean;
}

/** What a call returned: the answer (checked against the schema) and the call's record. */
export interface PlannerCallResult {
  answer: unknown;
  call: PlannerCall;
}

/**
 * Runs one planner call (see the module header).
 * @param req.reservationId unique per call in the tenant's day, e.g. `<planId>:<attempt>`.
 * @param req.simulate the deterministic plan the simulated provider answers.
 * @throws ProblemError 429 `budget-exceeded` when the tenant's daily budget refuses the call's worst case;
 *   502 `planner-failed` when the provider is not configured, fails, or answers twice off the schema (the paid
 *   answers are settled first).
 */
export async function callPlanner(
  engine: Engine,
  req: {
    tenant: string;
    reservationId: string;
    attempt: number;
    system: string;
    prompt: string;
    simulate: () => PlanAnswer;
  },
): Promise<PlannerCallResult> {
  const decision = await routeModel(
    {
      nodeId: "planner",
      agent: "planner",
      nodeModel: PLANNER_TIER,
      prompt: req.prompt,
      system: req.system,
      upstreamCount: 0,
      dependentsCount: 0,
      isSink: true,
      maxOutputTokens: PLANNER_MAX_OUTPUT_TOKENS,
    },
    { tierMap: engine.routing.tierMap, provider: engine.routing.defaultProvider },
  );
  const llm = engine.providers.get(decision.provider);
  if (!llm) {
    throw new ProblemError(
      problem("planner-failed", `provider "${decision.provider}" is not configured (config PROVIDERS)`),
    );
  }
  const schemaText = JSON.stringify(PLAN_ANSWER_SCHEMA);
  const inputTokens =
    inputTokenBound([req.system, req.prompt, schemaText]) * STRUCTURED_CALLS_PER_ATTEMPT + MISMATCH_NOTE_TOKEN_BOUND;
  const outputTokens = PLANNER_MAX_OUTPUT_TOKENS * STRUCTURED_CALLS_PER_ATTEMPT;
  const daily = tenantDailyLimits(engine.budgets.tenantDaily, req.tenant);
  const price = (u: TokenUsage): number => {
    try {
      return costUsd(decision.model, u, engine.prices);
    } catch (err) {
      if (daily?.usd !== undefined) {
        throw new ProblemError(
          problem("planner-failed", `${(err as Error).message}; a USD budget needs a price (config PRICES)`),
        );
      }
      return 0;
    }
  };
  let hold: BudgetHold | null = null;
  if (daily && (daily.tokens !== undefined || daily.usd !== undefined)) {
    const scope = tenantDayScope(req.tenant, engine.now());
    const res = await reserveScopes(
      engine.budgets.store,
      [{ scope, limits: { tokens: daily.tokens, usd: daily.usd } }],
      req.reservationId,
      worstCase(inputTokens, outputTokens, price),
    );
    if (!res.ok) {
      throw new ProblemError(
        problem("budget-exceeded", `${describeScope(scope)} refused the planner's call (its worst case does not fit)`),
      );
    }
    hold = res.hold;
  }
  const settle = async (usage: TokenUsage): Promise<number> => {
    const usd = price(usage);
    if (hold) await settleHold(engine.budgets.store, hold, { tokens: billedTokens(usage), usd });
    return usd;
  };
  const record = (usage: TokenUsage, usd: number, simulated: boolean, model = decision.model): PlannerCall => ({
    provider: decision.provider,
    model,
    tier: decision.tier,
    reason: decision.reason,
    usage,
    costUsd: usd,
    simulated,
  });
  if (llm.name === "simulated") {
    const answer = req.simulate();
    const usage = {
      inputTokens: estimateTokens(req.system) + estimateTokens(req.prompt) + estimateTokens(schemaText),
      outputTokens: estimateTokens(JSON.stringify(answer)),
    };
    return { answer, call: record(usage, await settle(usage), true) };
  }
  try {
    const result = await generateStructured(llm, {
      runId: req.reservationId,
      nodeId: "planner",
      agent: "planner",
      system: req.system,
      prompt: req.prompt,
      model: decision.model,
      maxOutputTokens: PLANNER_MAX_OUTPUT_TOKENS,
      temperature: 0,
      attempt: req.attempt,
      outputSchema: PLAN_ANSWER_SCHEMA,
    });
    const value = result.structured && "value" in result.structured ? result.structured.value : null;
    return { answer: value, call: record(result.usage, await settle(result.usage), result.simulated, result.model) };
  } catch (err) {
    if (err instanceof PaidCallsError) await settle(err.usage);
    else if (hold) await releaseHold(engine.budgets.store, hold);
    if (err instanceof ProblemError) throw err;
    throw new ProblemError(
      problem("planner-failed", `the planner's model call failed: ${(err as Error).message ?? String(err)}`),
      { cause: err },
    );
  }
}
