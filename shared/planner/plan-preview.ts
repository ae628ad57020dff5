/**
 * The preview of a plan: each node with its dependencies, level, routed tier and reason (shared/routing: the rules
 * the run applies, before any upstream output exists), the DAG's levels and critical path, and the worst-case
 * cost of the whole run (node-worst-case.ts) compared with the run budget.
 */
import type { RunBudget } from "../budget/budget-spec.js";
import type { PricedUsage } from "../budget/worst-case.js";
import { estimatedTokens, renderedSize } from "../dag/prompt-size.js";
import type { CompiledDag } from "../dag/types.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "../engine/execute-node.js";
import { estimateTokens } from "../providers/simulated.js";
import type { ModelFallbacks } from "../routing/model-fallbacks.js";
import { routeModel } from "../routing/route-model.js";
import { TIERS, type Tier } from "../routing/tier.js";
import type { TierMap } from "../routing/tier-map.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import { type NodeWorstCase, nodeWorstCase } from "./node-worst-case.js";

/** What routing and pricing read: the engine's tier map, default provider, fallbacks, classifier and prices. */
export interface PreviewContext {
  tierMap: TierMap;
  defaultProvider: string;
  fallbacks?: ModelFallbacks | undefined;
  /** Whether an LLM classifier decides when the rules are unsure (the preview then says the run may differ). */
  classifier: boolean;
  /** USD of a usage on a model (shared/pricing `costUsd` over the engine's table); throws for an unpriced model. */
  price: (model: string, usage: PricedUsage) => number;
}

/** One node of the preview. */
export interface PlanPreviewNode {
  id: string;
  kind: string;
  agent: string;
  dependsOn: string[];
  /** 1-based level (1 = roots). */
  level: number;
  /** Routed tier (null for an explicit model outside the tier map, or a node that calls no model). */
  tier: Tier | null;
  provider: string | null;
  model: string | null;
  /** Why this tier, as the run's progress shows it (`explicit: …`, `synthesis over 5 inputs`…). */
  reason: string;
  worstCase: NodeWorstCase;
}

/** The whole plan's preview. */
export interface PlanPreview {
  nodes: PlanPreviewNode[];
  /** Node ids per level, level 1 first. */
  levels: string[][];
  /** The longest chain of nodes, root to sink. */
  criticalPath: string[];
  /** Sums of the nodes' worst cases (one attempt each); `usd` null when a node's is, `bounded` false when one's is. */
  worstCase: NodeWorstCase;
  /** The run budget the worst case is compared with (the request's, else the workflow's), or null. */
  budget: RunBudget | null;
  /** Whether the worst case stays within every limit of `budget` (true without a budget; false when a USD limit
   * meets an unknown price or an unbounded node). */
  fits: boolean;
}

/**
 * Builds the preview of a validated workflow (see the module header). Pure but for routing's promise (no classifier
 * is called: a node the rules are unsure of shows the rules' tier, and the reason says the classifier decides).
 * @param input the run input the prompts' `{{input…}}` read.
 */
export async function previewPlan(
  workflow: WorkflowDefinition,
  dag: CompiledDag,
  input: unknown,
  budget: RunBudget | null,
  ctx: PreviewContext,
): Promise<PlanPreview> {
  const byId = new Map(workflow.nodes.map((n) => [n.id, n]));
  const outputBound = (id: string): number | null => {
    const n = byId.get(id);
    if (!n || n.kind === "http" || n.kind === "wait" || n.kind === "map" || n.kind === "workflow") return null;
    const agent = Object.hasOwn(workflow.agents, n.agent) ? workflow.agents[n.agent] : undefined;
    return n.maxOutputTokens ?? agent?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  };
  const nodes: PlanPreviewNode[] = [];
  for (const id of dag.order) {
    const node = byId.get(id);
    if (!node) continue;
    const agent = Object.hasOwn(workflow.agents, node.agent) ? workflow.agents[node.agent] : undefined;
    const maxOutputTokens = outputBound(id) ?? node.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const base = {
      id,
      kind: node.kind,
      agent: node.agent,
      dependsOn: dag.dependencies[id] ?? [],
      level: dag.levelOf[id] ?? 1,
    };
    if (node.kind === "http" || node.kind === "wait" || node.kind === "workflow") {
      const worstCase = nodeWorstCase({
        node,
        agent,
        input,
        maxOutputTokens,
        outputBound,
        models: [],
        price: ctx.price,
      });
      nodes.push({
        ...base,
        tier: null,
        provider: null,
        model: null,
        reason: `${node.kind} node: no model call`,
        worstCase,
      });
      continue;
    }
    const system = agent?.system ?? "";
    const provider = agent?.provider ?? ctx.defaultProvider;
    const upstream = (dag.dependencies[id] ?? []).reduce((sum, up) => sum + (outputBound(up) ?? 0), 0);
    let route: { tier: Tier | null; provider: string | null; model: string | null; reason: string; auto: boolean };
    try {
      const d = await routeModel(
        {
          nodeId: id,
          agent: node.agent,
          agentModel: agent?.model,
          nodeModel: node.model,
          complexity: node.complexity ?? agent?.complexity,
          prompt: node.prompt,
          system,
          // the run estimates on the rendered prompt; here the input is rendered and each upstream output counts at
          // its limit
          inputTokens:
            estimateTokens(system) + estimatedTokens(renderedSize(node.prompt, { input, outputs: {} })) + upstream,
          upstreamCount: dag.dependencies[id]?.length ?? 0,
          dependentsCount: dag.dependents[id]?.length ?? 0,
          isSink: (dag.dependents[id]?.length ?? 0) === 0,
          maxOutputTokens,
          budgetRemainingUsd: budget?.usd,
        },
        {
          tierMap: ctx.tierMap,
          provider,
          costUsd: (m, u) => {
            try {
              return ctx.price(m, u);
            } catch {
              return null;
            }
          },
        },
      );
      const unsure = d.source === "rules" && !d.analysis.confident && ctx.classifier;
      route = {
        tier: d.tier,
        provider: d.provider,
        model: d.model,
        reason: unsure ? `${d.reason}; rules unsure: the classifier decides at run time` : d.reason,
        auto: d.source !== "explicit",
      };
    } catch (err) {
      route = { tier: null, provider, model: null, reason: `not routable: ${(err as Error).message}`, auto: false };
    }
    const worstCase = nodeWorstCase({
      node,
      agent,
      input,
      maxOutputTokens,
      outputBound,
      models: modelsToPrice(route, ctx),
      price: ctx.price,
    });
    if (route.model === null) worstCase.usd = null;
    nodes.push({
      ...base,
      tier: route.tier,
      provider: route.provider,
      model: route.model,
      reason: route.reason,
      worstCase,
    });
  }
  const total = { calls: 0, inputTokens: 0, outputTokens: 0, tokens: 0, usd: 0 as number | null, bounded: true };
  for (const n of nodes) {
    total.calls += n.worstCase.calls;
    total.inputTokens += n.worstCase.inputTokens;
    total.outputTokens += n.worstCase.outputTokens;
    total.tokens += n.worstCase.tokens;
    total.usd = total.usd === null || n.worstCase.usd === null ? null : total.usd + n.worstCase.usd;
    total.bounded &&= n.worstCase.bounded;
  }
  if (total.usd !== null) total.usd = Math.round(total.usd * 1e9) / 1e9;
  const fits =
    budget === null ||
    ((budget.tokens === undefined || (total.bounded && total.tokens <= budget.tokens)) &&
      (budget.usd === undefined || (total.bounded && total.usd !== null && total.usd <= budget.usd)));
  return {
    nodes,
    levels: dag.levels.map((l) => [...l]),
    criticalPath: [...dag.criticalPath.nodes],
    worstCase: total,
    budget,
    fits,
  };
}

/**
 * The models a routed node may end up calling, each priced for the worst case: automatic routing may land on any
 * tier of its provider (the rules read the rendered prompt's size; quotas may clamp), an explicit tier on its model,
 * and either on the circuit breaker's fallbacks of those tiers; an explicit model outside the tier map on itself.
 */
function modelsToPrice(
  route: { tier: Tier | null; provider: string | null; model: string | null; auto: boolean },
  ctx: PreviewContext,
): string[] {
  if (route.model === null) return [];
  const models = new Set([route.model]);
  const tiers: readonly Tier[] = route.auto ? TIERS : route.tier ? [route.tier] : [];
  for (const tier of tiers) {
    const mapped = route.provider ? ctx.tierMap[route.provider]?.[tier] : undefined;
    if (mapped) models.add(mapped);
    for (const f of ctx.fallbacks?.[tier] ?? []) models.add(f.model);
  }
  return [...models];
}
