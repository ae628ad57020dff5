/*
 * A node's model call, budgeted before it runs, in two steps so the result cache can look up between them:
 * 1. routeCall: an explicit model or tier wins; otherwise task analysis picks `fast|balanced|deep` (capped by the
 *    USD left in the tightest budget), optionally asking the classifier when the rules are unsure;
 * 2. callRouted: pass the model's circuit breaker (circuit-gate.ts: an open circuit sends the call to a fallback of
 *    its tier, or fails the attempt retryably until the cool-down ends), reserve the worst case (input bound +
 *    `maxOutputTokens`, priced for the model called) in the run budget and the tenant's daily budget, atomically
 *    per budget (Lua; `onBudget: "downgrade"` retries one tier down, `"fail"` fails the node) with the call's intent
 *    beside it (call-intent.ts), call the provider, record the paid call in the run's books (once per node and
 *    attempt, before anything else that can fail: record-paid.ts), then settle the actual usage (an error answer
 *    releases it and removes the intent; an aborted call is booked and settled at its worst case).
 */

import { SpanKind } from "@opentelemetry/api";
import { type RunBudget, tenantDailyLimits } from "../budget/budget-spec.js";
import { inputTokenBound } from "../budget/input-bound.js";
import {
  type BudgetHold,
  releaseHold,
  reserveScopes,
  type ScopedLimits,
  settleHold,
} from "../budget/reserve-scopes.js";
import { reserveWithPolicy } from "../budget/reserve-with-policy.js";
import { describeScope, runScope, tenantDayScope } from "../budget/scopes.js";
import { microUsdToUsd, usdToMicroUsd } from "../budget/units.js";
import { remainingUsd, worstCase } from "../budget/worst-case.js";
import type { CompiledDag } from "../dag/types.js";
import { costUsd } from "../pricing/cost.js";
import { type GenerateResult, type LlmProvider, ProviderError, type TokenUsage } from "../providers/provider.js";
import { estimateTokens } from "../providers/simulated.js";
import {
  generateStructured,
  MISMATCH_NOTE_TOKEN_BOUND,
  PaidCallsError,
  STRUCTURED_CALLS_PER_ATTEMPT,
  StructuredOutputError,
} from "../providers/structured-output.js";
import { callKey } from "../providers/usage-log.js";
import { clampTier } from "../quota/model-allowance.js";
import { tenantQuota } from "../quota/quota-spec.js";
import type { ClassifierBudget } from "../routing/classifier.js";
import { resolveModelChoice } from "../routing/model-choice.js";
import { type RouteDecision, routeModel } from "../routing/route-model.js";
import { modelForTier } from "../routing/tier-map.js";
import type { AgentProfile, WorkflowNode } from "../schema/workflow.js";
import { AGENT_DAG, GEN_AI } from "../telemetry/attributes.js";
import { traced } from "../telemetry/run-tracer.js";
import { passCircuit } from "./circuit-gate.js";
import type { Engine } from "./engine.js";
import { CLASSIFY_SUFFIX, recoverAttemptHolds } from "./recover-holds.js";

/** One node's model call, as execute prepares it. */
export interface ModelCallInput {
  runId: string;
  tenant: string;
  node: WorkflowNode;
  agent: AgentProfile;
  attempt: number;
  dag: CompiledDag;
  /** Rendered prompt (without the shared context). */
  prompt: string;
  /** Upstream output sent first as a cacheable prefix, if any. */
  sharedContext: string | undefined;
  maxOutputTokens: number;
  budget: RunBudget | null;
  /** A child run's ancestor runs with a run budget (FrozenRun.ancestorBudgets): the call reserves in theirs too. */
  ancestorBudgets?: readonly { runId: string; budget: RunBudget }[] | undefined;
  simulate: { latencyMs?: number | undefined; failAttempts?: number | undefined; outputBytes?: number | undefined };
  signal: AbortSignal;
}

/** What the call produced, with its routing decision, cost and budget note. */
export interface ModelCallResult {
  result: GenerateResult;
  route: Pick<RouteDecision, "provider" | "tier" | "model" | "reason" | "source">;
  /** Cost of the call, integer micro-USD (1e-6 USD), from the price table. */
  costMicroUsd: number;
  /** e.g. `budget: downgraded deep -> balanced (run budget)`, or null. */
  budgetNote: string | null;
}

/** Every token a call billed: plain input + output + cache reads + cache writes. */
export function billedTokens(u: TokenUsage): number {
  return u.inputTokens + u.outputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0);
}

/** A call whose model is chosen: the routing decision and what reservation needs (input estimate, budgets). */
export interface RoutedCall {
  decision: RouteDecision;
  /** Upper bound of the call's input tokens (input-bound.ts: 1 token per UTF-8 byte plus template overhead). */
  inputTokens: number;
  scopes: ScopedLimits[];
  /** Prices a call in USD; throws ProviderError when a USD budget applies and the model has no price. */
  price: (model: string, usage: TokenUsage) => number;
}

/**
 * Step 1 of a node's model call: routes the call (explicit model or tier, else task analysis capped by the USD left in
 * the tightest budget, else the classifier when the rules are unsure). Reads budget usage only when a USD budget
 * applies and the model is routed automatically.
 * @throws ProviderError `non-retryable` for a configuration the routing cannot satisfy.
 */
export async function routeCall(engine: Engine, input: ModelCallInput): Promise<RoutedCall> {
  const { node, agent, dag } = input;
  const system = agent.system ?? "";
  // an upper bound, not an estimate: the hold must cover any input (input-bound.ts)
  // a node's output schema is sent with the call too (JSON mode or a tool definition): in the bound as its JSON text
  const schema = node.output?.schema;
  const inputTokens = inputTokenBound(
    schema
      ? [system, input.sharedContext, input.prompt, JSON.stringify(schema)]
      : [system, input.sharedContext, input.prompt],
  );
  const scopes = budgetScopes(engine, input);
  const needsUsd = scopes.some((s) => s.limits.usd !== undefined);
  const price = (model: string, usage: TokenUsage): number => {
    try {
      return costUsd(model, usage, engine.prices);
    } catch (err) {
      if (needsUsd)
        throw new ProviderError(
          "non-retryable",
          `${(err as Error).message}; a USD budget needs a price (config PRICES)`,
        );
      return 0;
    }
  };
  // the USD left only caps automatic routing: an explicit model or tier always wins, so it costs no Redis read
  const automatic = resolveModelChoice(node.model, agent.model).kind === "auto";
  const usages = needsUsd && automatic ? await Promise.all(scopes.map((s) => engine.budgets.store.usage(s.scope))) : [];
  const provider = agent.provider ?? engine.routing.defaultProvider;
  const decision = await routeModel(
    {
      nodeId: node.id,
      agent: node.agent,
      agentModel: agent.model,
      nodeModel: node.model,
      complexity: node.complexity ?? agent.complexity,
      // what the node asks for is its template; the upstream data it reads only counts by size (inputTokens).
      // Routing's size signal and budget steer keep the 4-characters-per-token estimate; the hold uses the bound
      prompt: node.prompt,
      system,
      inputTokens: estimateTokens(system) + estimateTokens(input.sharedContext ?? "") + estimateTokens(input.prompt),
      upstreamCount: dag.dependencies[node.id]?.length ?? 0,
      dependentsCount: dag.dependents[node.id]?.length ?? 0,
      isSink: (dag.dependents[node.id]?.length ?? 0) === 0,
      maxOutputTokens: input.maxOutputTokens,
      budgetRemainingUsd: remainingUsd(usages),
    },
    {
      tierMap: engine.routing.tierMap,
      provider,
      classifier: engine.routing.classifier,
      classifierBudget: scopes.length > 0 ? classifierBudget(engine, input, scopes, price) : undefined,
      costUsd: (m, u) => price(m, u),
      signal: input.signal,
      runId: input.runId,
    },
  );
  return { decision: withinAllowedTiers(engine, input.tenant, decision), inputTokens, scopes, price };
}

/**
 * An automatic decision moved into the tenant's `allowedTiers` (shared/quota/model-allowance.ts `clampTier`); explicit
 * choices were checked when the run started. In-memory only: no Redis command.
 */
function withinAllowedTiers(engine: Engine, tenant: string, decision: RouteDecision): RouteDecision {
  const allowed = engine.quotas ? tenantQuota(engine.quotas.tenants, tenant)?.allowedTiers : undefined;
  if (!allowed || decision.source === "explicit" || decision.tier === null) return decision;
  const tier = clampTier(decision.tier, allowed);
  if (tier === decision.tier) return decision;
  return {
    ...decision,
    tier,
    model: modelForTier(engine.routing.tierMap, decision.provider, tier),
    reason: `${decision.reason}; quota allows ${allowed.join(", ")}`,
  };
}

/**
 * Step 2 of a node's model call (after a cache miss): passes the circuit breaker (circuit-gate.ts: the routed model
 * or a fallback of its tier, whose price the reservation uses; the route's reason then says `fallback: …`), reserves
 * the worst case (with the `onBudget` policy) and
 * writes the call's intent (RunStore `recordIntent`: in the reservation's request, or without a budget beside the
 * call), calls the provider, then records the paid call (RunStore `recordPaid`, keyed by node and attempt) with the
 * settle in one request when there is a budget or the intent did not land; otherwise the completion records it.
 * A failed call releases the hold and removes the intent instead.
 * @throws ProviderError `non-retryable` when the budget refuses or the provider is not configured, `rate-limited`
 *   (code `circuit_open`) when the circuit is open and no fallback can take the call; UpstashError when
 *   the intent cannot be written with a budget (no call is made); whatever the provider throws (after releasing the
 *   reservation).
 */
export async function callRouted(engine: Engine, input: ModelCallInput, routed: RoutedCall): Promise<ModelCallResult> {
  const { node, agent } = input;
  const { decision, scopes, price } = routed;
  const system = agent.system ?? "";
  // a structured call may call twice in the attempt (a retry after a mismatch, with a bounded note): the intent and
  // the hold cover both
  const outputSchema = node.output?.schema;
  const calls = outputSchema ? STRUCTURED_CALLS_PER_ATTEMPT : 1;
  const inputTokens = outputSchema ? routed.inputTokens * calls + MISMATCH_NOTE_TOKEN_BOUND : routed.inputTokens;
  const maxOutputTokens = input.maxOutputTokens * calls;
  let tier = decision.tier;
  let hold: BudgetHold | null = null;
  let budgetNote: string | null = null;
  if (!engine.providers.has(decision.provider))
    throw new ProviderError("non-retryable", `provider "${decision.provider}" is not configured (config PROVIDERS)`);
  // the circuit breaker: the routed model, else a fallback of its tier (priced and reserved below), else a retryable
  // failure until the cool-down ends (circuit-gate.ts)
  let circuit = await passCircuit(engine, decision);
  let provider = circuit.provider;
  let model = circuit.model;
  // a budget downgrade steps down the tier map of the provider called (the routed one's when it has none)
  const tierProvider = engine.routing.tierMap[provider] ? provider : decision.provider;
  let llm = engine.providers.get(provider) as LlmProvider;
  // the call's intent goes with the reservation (one auto-pipelined request): a call whose answer never reaches the
  // books is then booked at this worst case (call-intent.ts); no intent, no call
  // a call through the usage log's gateway can be read back if its answer is lost (reconcile-estimates.ts)
  const logged = engine.usageLog?.providers.has(provider) ?? false;
  const intent = withRetries(() =>
    engine.store.recordIntent(
      input.runId,
      node.id,
      input.attempt,
      {
        inputTokens,
        outputTokens: maxOutputTokens,
        costMicroUsd: usdToMicroUsd(worstCase(inputTokens, maxOutputTokens, (u) => price(model, u)).usd, "up"),
      },
      engine.now(),
      logged,
    ),
  ).then(
    () => null,
    (err: unknown) => err ?? new Error("call intent not written"),
  );
  // no call without its intent; and no intent left behind for a call that is not made (it would be booked)
  const forgetIntent = async () => {
    await intent;
    await withRetries(() => engine.store.clearIntent(input.runId, node.id, input.attempt)).catch(() => undefined);
  };
  try {
    if (scopes.length > 0) {
      const policy = await traced(
        engine.tracing,
        "budget reservation",
        {
          attributes: { [AGENT_DAG.budgetScopes]: scopes.map((s) => s.scope.kind) },
          describe: (p) =>
            p.ok
              ? { [GEN_AI.requestModel]: p.chosen.model, [AGENT_DAG.budgetNote]: p.note ?? "reserved" }
              : { [AGENT_DAG.budgetNote]: p.status },
        },
        () =>
          reserveWithPolicy({
            store: engine.budgets.store,
            scopes,
            reservationId: `${input.runId}:${node.id}:${input.attempt}`,
            onBudget: input.budget?.onBudget ?? "fail",
            start: { tier, model },
            worstCase: (m) => worstCase(inputTokens, maxOutputTokens, (u) => price(m, u)),
            modelForTier: (t) => modelForTier(engine.routing.tierMap, tierProvider, t),
          }),
      );
      if (!policy.ok) {
        const why =
          policy.status === "refused" ? policy.error.message : `budget reservation already ${policy.closedAs}`;
        throw new ProviderError("non-retryable", why);
      }
      hold = policy.hold;
      model = policy.chosen.model;
      tier = policy.chosen.tier;
      budgetNote = policy.note;
      if (model !== circuit.model) {
        provider = tierProvider;
        llm = engine.providers.get(provider) ?? llm;
        // the downgrade's model has a circuit of its own, checked without fallbacks (the reservation priced it); the
        // model first chosen is not called, so its probe lease (if any) is given back
        const first = circuit;
        circuit = await passCircuit(engine, { provider, model, tier }, { fallbacks: false });
        await first.release();
      }
      // with a budget the intent shares the reservation's request, so waiting for it costs nothing
      const intentError = await intent;
      if (intentError) throw intentError;
    }
  } catch (err) {
    if (hold) await releaseHold(engine.budgets.store, hold);
    await forgetIntent();
    // no call was made: a probe lease this call held goes back at once (circuit-gate.ts)
    await circuit.release();
    throw err;
  }
  /**
   * Books the paid call(s): records them under this attempt and settles the hold, in one auto-pipelined request;
   * `failing` records even when the intent landed (no completion will); `err` is the call's failure reported to the
   * circuit breaker (undefined: the provider answered). Returns the cost in micro-USD.
   */
  const bookPaid = async (u: TokenUsage, usd: number, failing: boolean, err?: unknown): Promise<number> => {
    const costMicroUsd = usdToMicroUsd(usd, "nearest");
    const paid = {
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheReadTokens: u.cacheReadTokens ?? 0,
      cacheWriteTokens: u.cacheWriteTokens ?? 0,
      costMicroUsd,
    };
    // Without a budget the intent travelled beside the provider call, not before it (a round trip off every node).
    // Once it is in, the completion records the call (complete_node), and an attempt that dies first is booked at
    // the intent's worst case; only when the intent did not land is the call recorded here, before anything else.
    const intentMissing = hold || failing ? false : (await intent) !== null;
    // issued in the same tick, the record and the settle travel in one auto-pipelined request
    const recording =
      hold || intentMissing || failing
        ? withRetries(() => engine.store.recordPaid(input.runId, node.id, input.attempt, paid)).catch(
            (err: unknown) => {
              console.error(`paid call ${input.runId}/${node.id}#${input.attempt}: not recorded yet (${String(err)})`);
            },
          )
        : undefined;
    const h = hold;
    const settling = h
      ? withRetries(() => settleHold(engine.budgets.store, h, { tokens: billedTokens(u), usd }))
      : undefined;
    await Promise.all([recording, settling, circuit.report(provider, model, err)]);
    return costMicroUsd;
  };
  let result: GenerateResult;
  let usd: number;
  try {
    const request = {
      runId: input.runId,
      nodeId: node.id,
      agent: node.agent,
      system,
      prompt: input.prompt,
      sharedContext: input.sharedContext,
      model,
      maxOutputTokens: input.maxOutputTokens,
      temperature: agent.temperature,
      attempt: input.attempt,
      usageKey: callKey({ runId: input.runId, nodeId: node.id, attempt: input.attempt }),
      simulate: input.simulate,
      signal: input.signal,
    };
    // with tracing on, the call is a `chat <model>` span (GenAI semantic conventions; no prompt, no output)
    const calling = llm;
    result = await traced(
      engine.tracing,
      `chat ${model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [GEN_AI.operationName]: "chat",
          [GEN_AI.providerName]: provider,
          [GEN_AI.system]: provider,
          [GEN_AI.requestModel]: model,
          [GEN_AI.requestMaxTokens]: input.maxOutputTokens,
          ...(agent.temperature !== undefined ? { [GEN_AI.requestTemperature]: agent.temperature } : {}),
        },
        describe: (r) => ({
          [GEN_AI.responseModel]: r.model,
          [GEN_AI.inputTokens]: r.usage.inputTokens,
          [GEN_AI.outputTokens]: r.usage.outputTokens,
          [AGENT_DAG.simulated]: r.simulated,
        }),
      },
      () => (outputSchema ? generateStructured(calling, { ...request, outputSchema }) : calling.generate(request)),
    );
    // the answering model may be a dated id the table lacks: fall back to the model that was asked for
    usd = priceOrNull(price, result.model, result.usage) ?? price(model, result.usage);
  } catch (err) {
    if (err instanceof PaidCallsError && !input.signal.aborted) {
      // a structured call failed after answers came back: they were paid, so they are booked (recorded under this
      // attempt, hold settled) before the attempt fails
      const paidUsd = priceOrNull(price, err.model, err.usage) ?? priceOrNull(price, model, err.usage) ?? 0;
      // a final mismatch is an answer (the provider is up); a failed retry (5xx, overload…) counts as the failure it is
      await bookPaid(err.usage, paidUsd, true, err instanceof StructuredOutputError ? undefined : err);
      throw err;
    }
    // a 5xx, overload or timeout counts toward opening the model's circuit (breaker-failure.ts)
    const reporting = circuit.report(provider, model, err);
    if (input.signal.aborted) {
      // aborted mid-call (cancel, timeout): the answer may have been billed already, so the call is booked at its
      // worst case (a paid record arriving later replaces it) and its hold settled at that worst case
      await bookAborted(engine, input, hold, logged).catch((e: unknown) => {
        console.error(`aborted call ${input.runId}/${node.id}#${input.attempt}: not booked yet (${String(e)})`);
      });
      await reporting;
      throw err;
    }
    // an error answer is not billed: the hold is released, the intent removed
    if (hold) await releaseHold(engine.budgets.store, hold);
    await forgetIntent();
    await reporting;
    throw err;
  }
  const costMicroUsd = await bookPaid(result.usage, usd, false);
  return {
    result,
    route: {
      provider,
      tier,
      model,
      reason: [decision.reason, circuit.note, budgetNote].filter((x) => x !== null).join("; "),
      source: decision.source,
    },
    costMicroUsd,
    budgetNote,
  };
}

/**
 * Books an aborted call of attempt `input.attempt` at its reserved worst case (RunStore `bookUnrecorded`) and settles
 * its budget hold at that worst case (released when there was nothing to book; left to the usage log's reconciliation
 * when the call went through its gateway, `logged`: reconcile-estimates.ts).
 * @throws UpstashError when Redis fails (the intent stays: a later attempt, the run's finish or the sweeper books it).
 */
async function bookAborted(
  engine: Engine,
  input: ModelCallInput,
  hold: BudgetHold | null,
  logged: boolean,
): Promise<void> {
  const [booked] = await withRetries(() =>
    engine.store.bookUnrecorded(input.runId, { nodeId: input.node.id, only: input.attempt }),
  );
  if (!hold) return;
  if (!booked) {
    await releaseHold(engine.budgets.store, hold);
    return;
  }
  // a call through the usage log's gateway: the hold waits for what the log says it cost (reconcile-estimates.ts)
  if (logged) return;
  await settleHold(engine.budgets.store, hold, { tokens: booked.tokens, usd: microUsdToUsd(booked.costMicroUsd) });
}

/**
 * Closes, in the budgets, the holds of the node's earlier attempts (1 .. `input.attempt` − 1), which are dead once a
 * later attempt runs: one may have died between its call and its settle. First books, at their worst case, the
 * earlier attempts' calls whose answer never reached the books (RunStore `bookUnrecorded`: an intent with no paid
 * record); then each earlier hold still open is settled at its paid record, or charged whole when there is none
 * (the attempt may still be alive before its intent), and classifier holds are charged whole (recover-holds.ts).
 * Idempotent per reservation id. Nothing on a first attempt; only the booking without a budget.
 * @throws UpstashError when Redis fails.
 */
export async function settleEarlierAttempts(engine: Engine, input: ModelCallInput, routed: RoutedCall): Promise<void> {
  if (input.attempt <= 1) return;
  // an earlier attempt is dead once a later one runs: a call it made whose answer never reached the books is booked
  await engine.store.bookUnrecorded(input.runId, { nodeId: input.node.id, below: input.attempt });
  if (routed.scopes.length === 0) return;
  const earlier = Array.from({ length: input.attempt - 1 }, (_, i) => i + 1);
  await recoverAttemptHolds(
    engine,
    input.runId,
    { tenant: input.tenant, budget: input.budget ?? null, ancestorBudgets: input.ancestorBudgets },
    input.node.id,
    earlier,
  );
}

/**
 * The classifier call's budget side (classifier.ts `ClassifierBudget`): reserves its worst case in the node's budgets
 * under `<runId>:<nodeId>:<attempt>:classify` before the call (a refusal keeps the rules' tier), settles its usage
 * after, releases it when the call fails (charged whole when aborted). A hold left by a dead attempt is charged whole
 * by the recovery (recover-holds.ts).
 */
function classifierBudget(
  engine: Engine,
  input: ModelCallInput,
  scopes: ScopedLimits[],
  price: RoutedCall["price"],
): ClassifierBudget {
  let hold: BudgetHold | null = null;
  const reservationId = `${input.runId}:${input.node.id}:${input.attempt}${CLASSIFY_SUFFIX}`;
  return {
    async reserve(model, inputTokens, maxOutputTokens) {
      const amount = worstCase(inputTokens, maxOutputTokens, (u) => price(model, u));
      const res = await reserveScopes(engine.budgets.store, scopes, reservationId, amount);
      if (res.ok) {
        hold = res.hold;
        return { ok: true };
      }
      const r = res.result;
      return {
        ok: false,
        reason: r.status === "refused" ? `${describeScope(res.scope)} refused it` : `reservation already ${r.closedAs}`,
      };
    },
    async settle(model, usage) {
      if (!hold) return;
      const usd = priceOrNull(price, model, usage) ?? 0;
      await withRetries(() =>
        settleHold(engine.budgets.store, hold as BudgetHold, { tokens: billedTokens(usage), usd }),
      );
    },
    async release(charge) {
      if (!hold) return;
      const h = hold;
      if (charge) await settleHold(engine.budgets.store, h, { tokens: 1e12, usd: 1e6 });
      else await releaseHold(engine.budgets.store, h);
    },
  };
}

/** Pauses before the 2nd, 3rd and 4th try of {@link withRetries}, ms. */
const RETRY_PAUSES_MS = [50, 150, 400];

/** Runs `fn` up to 4 times while it throws (a Redis request answered 5xx is not retried by its client). */
async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const pause = RETRY_PAUSES_MS[i];
      if (pause === undefined) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

function priceOrNull(price: RoutedCall["price"], model: string, usage: TokenUsage): number | null {
  try {
    return price(model, usage);
  } catch {
    return null;
  }
}

/** The node's budgets, most likely to refuse first: the run's, then the tenant's day. Empty when none applies. */
function budgetScopes(engine: Engine, input: ModelCallInput): ScopedLimits[] {
  const scopes: ScopedLimits[] = [];
  const run = input.budget;
  if (run && (run.tokens !== undefined || run.usd !== undefined)) {
    scopes.push({ scope: runScope(input.runId), limits: { tokens: run.tokens, usd: run.usd } });
  }
  // a child run's calls count against its ancestors' run budgets too (shared/engine/sub-workflow-node.ts)
  for (const a of input.ancestorBudgets ?? [])
    if (a.budget.tokens !== undefined || a.budget.usd !== undefined)
      scopes.push({ scope: runScope(a.runId), limits: { tokens: a.budget.tokens, usd: a.budget.usd } });
  const daily = tenantDailyLimits(engine.budgets.tenantDaily, input.tenant);
  if (daily && (daily.tokens !== undefined || daily.usd !== undefined)) {
    scopes.push({
      scope: tenantDayScope(input.tenant, engine.now()),
      limits: { tokens: daily.tokens, usd: daily.usd },
    });
  }
  return scopes;
}
