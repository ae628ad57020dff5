/**
 * Seeded random DAGs for the chaos suite: 5..50 nodes in one of four shapes (wide fan-out, deep chains, random
 * fan-in/fan-out, a diamond with one large fan-in), each a workflow definition for `POST /v1/runs` whose nodes call
 * the fake Anthropic model and carry the prompt marker the provider ledger attributes calls by. Some runs get a
 * token budget (`onBudget: "fail"`); in some, a share of the nodes get a `compensate` step, and half of those runs
 * have a node whose prompt is over the fake's context window (a 400, not retried), so the run fails and compensates
 * (drawn from a PRNG of their own, so the rest of a seed's runs stay as they were); in some, one node is a map over
 * 2..12 items of the run input (a PRNG of its own too). Same PRNG state in, same runs out.
 */

import { createPrng, hash32, type Prng } from "./prng.js";
import { CHAOS_CONTEXT_WINDOW_TOKENS, promptMarker } from "./provider-ledger.js";

/** Shapes the generator draws from. */
export const DAG_SHAPES = ["wide", "deep", "random", "diamond"] as const;

/** One of {@link DAG_SHAPES}. */
export type DagShape = (typeof DAG_SHAPES)[number];

/** Fewest and most nodes of a generated DAG. */
export const MIN_NODES = 5;
/** Most nodes of a generated DAG. */
export const MAX_NODES = 50;

/** The model every node calls (priced in the default price table). */
export const CHAOS_MODEL = "claude-haiku-4-5";

/** Timeout of every node's attempt (the fake provider answers in milliseconds). */
export const CHAOS_NODE_TIMEOUT = "10s";

/** Share of runs with one map node (its children run as ordinary nodes: shared/engine/map-node.ts). */
export const MAP_SHARE = 0.3;

/** Most elements a chaos map runs over (at least 2). */
export const MAX_MAP_CHILDREN = 12;

/**
 * How a map child's prompt marker names it: `<map>#<index>`, since `]` cannot occur in a marker; the provider ledger
 * reads it back as the child's id `<map>[<index>]` (provider-ledger.ts).
 */
export const MAP_CHILD_MARK = "#";

/** Output limit of every node, tokens (a node's worst case for a budget reservation). */
export const CHAOS_MAX_OUTPUT_TOKENS = 64;

/** A generated run: its tag (in every prompt marker), its trigger body, and facts the audit needs. */
export interface ChaosRunSpec {
  /** `s<seed>-r<index>`: unique within a suite, attributes provider calls to the run. */
  tag: string;
  shape: DagShape;
  /** Node ids with their dependencies, in definition order. */
  nodes: { id: string; dependsOn: string[] }[];
  /** The token budget of the run, or null. */
  budgetTokens: number | null;
  /** Ids of the nodes with a `compensate` step (their compensation is `<id>~compensate`). */
  compensated?: string[];
  /** The node made to fail (its prompt is over the fake's context window), or null. */
  failing?: string | null;
  /** The children of the run's map node (`<map>[i]`; not in `nodes`: {@link auditedNodes}), or none. */
  mapChildren?: string[];
  /** `POST /v1/runs` body: `{workflow, input, budget?}`. */
  body: { workflow: Record<string, unknown>; input: Record<string, unknown>; budget?: Record<string, unknown> };
}

/** Options of {@link generateRun}. */
export interface GenerateOptions {
  /** Chance that a run gets a token budget. @default 0.3 */
  budgetShare?: number;
  /** Chance that a node's prompt reads one upstream output. @default 0.3 */
  templateShare?: number;
  /** Chance that a run has compensations, and then that each of its nodes has a `compensate` step. @default 0.5, 0.3 */
  compensationShare?: { runs: number; nodes: number };
}

/** Dependencies of node `i` (0-based) for a shape; only earlier nodes, no duplicates. */
function depsFor(rng: Prng, shape: DagShape, i: number, n: number): number[] {
  if (i === 0) return [];
  const distinct = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  switch (shape) {
    case "wide": {
      // a few roots fan out to everything after them
      const roots = Math.min(i, 3);
      return i < 3 && rng.chance(0.5)
        ? []
        : distinct(Array.from({ length: rng.int(1, 2) }, () => rng.int(0, roots - 1)));
    }
    case "deep":
      // a chain, with an occasional extra edge back
      return distinct([i - 1, ...(rng.chance(0.3) ? [rng.int(0, i - 1)] : [])]);
    case "diamond":
      // one root, a wide middle, one sink reading all of it
      if (i === n - 1) return Array.from({ length: n - 2 }, (_, k) => k + 1);
      return [0];
    default: {
      const fanIn = rng.int(0, Math.min(i, 4));
      return distinct(Array.from({ length: fanIn }, () => rng.int(0, i - 1)));
    }
  }
}

/**
 * Generates run number `index` of a suite with seed `seed`, drawing everything from `rng`.
 * @returns the run spec; its workflow is valid for the engine (acyclic: every edge points to an earlier node).
 */
export function generateRun(rng: Prng, seed: number, index: number, opts: GenerateOptions = {}): ChaosRunSpec {
  const tag = `s${seed}-r${index}`;
  const shape = rng.pick(DAG_SHAPES);
  const n = rng.int(MIN_NODES, MAX_NODES);
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    dependsOn: depsFor(rng, shape, i, n).map((d) => `n${d}`),
  }));
  const templateShare = opts.templateShare ?? 0.3;
  const defs = nodes.map((node) => {
    const reads = node.dependsOn.length > 0 && rng.chance(templateShare) ? rng.pick(node.dependsOn) : null;
    const prompt = `${promptMarker(tag, node.id)} Do ${node.id}.${reads ? `\nUpstream:\n{{nodes.${reads}.output}}` : ""}`;
    return { id: node.id, agent: "chaos", prompt, dependsOn: node.dependsOn } as Record<string, unknown>;
  });
  const share = opts.compensationShare ?? { runs: 0.5, nodes: 0.3 };
  const compRng = createPrng(hash32(`${tag}:compensate`));
  const compensated = compRng.chance(share.runs)
    ? nodes.filter(() => compRng.chance(share.nodes)).map((x) => x.id)
    : [];
  for (const def of defs) {
    const id = def.id as string;
    if (!compensated.includes(id)) continue;
    const marker = promptMarker(tag, `${id}~compensate`);
    def.compensate = { prompt: `${marker} Undo ${id} ({{run.status}}).\n{{nodes.${id}.output}}` };
  }
  // a non-root node that fails for good, so that the nodes done before it are compensated
  const failing = compensated.length > 0 && n > 1 && compRng.chance(0.5) ? `n${compRng.int(1, n - 1)}` : null;
  const failingDef = defs.find((d) => d.id === failing);
  if (failingDef) failingDef.prompt = `${failingDef.prompt}\n${"pad ".repeat(CHAOS_CONTEXT_WINDOW_TOKENS * 2)}`;
  // some runs turn one node into a map over the run input's items, whose children run (and are audited) as nodes
  // (drawn from a PRNG of their own, so the rest of a seed's runs stay as they were)
  const mapRng = createPrng(hash32(`${tag}:map`));
  const mapCandidates = nodes.filter((x) => x.dependsOn.length > 0 && x.id !== failing && !compensated.includes(x.id));
  const mapNode = mapCandidates.length > 0 && mapRng.chance(MAP_SHARE) ? mapRng.pick(mapCandidates) : null;
  const items = mapNode ? Array.from({ length: mapRng.int(2, MAX_MAP_CHILDREN) }, (_, i) => `item-${i}`) : [];
  const mapChildren = items.map((_, i) => `${mapNode?.id}[${i}]`);
  const mapDef = defs.find((d) => d.id === mapNode?.id);
  if (mapNode && mapDef) {
    mapDef.kind = "map";
    mapDef.over = "{{input.items}}";
    mapDef.prompt = `${promptMarker(tag, `${mapNode.id}${MAP_CHILD_MARK}{{index}}`)} Review {{item}}.`;
  }
  const chains = rng.chance(0.3);
  const workflow: Record<string, unknown> = {
    name: `chaos-${shape}`,
    mode: rng.chance(0.2) ? "levels" : "eager",
    concurrency: rng.int(2, 20),
    cache: true,
    // a node's attempt counts as gone 10 s + the execute margin after it started (take-node.ts holderDeadline): a
    // delivery after a worker kill waits that long before it takes the node over, well within the run's deadline
    defaults: { timeout: CHAOS_NODE_TIMEOUT },
    ...(chains ? { nodesPerDelivery: rng.int(2, 4) } : {}),
    agents: {
      chaos: { system: "You are a chaos-suite node.", model: CHAOS_MODEL, maxOutputTokens: CHAOS_MAX_OUTPUT_TOKENS },
    },
    nodes: defs,
  };
  let budgetTokens: number | null = null;
  if (rng.chance(opts.budgetShare ?? 0.3)) {
    // a node's worst case is about 20 input tokens (+ 70 when it reads an upstream) plus the output limit
    budgetTokens = Math.round(n * (CHAOS_MAX_OUTPUT_TOKENS + 40) * (0.6 + rng.next() * 1.4));
  }
  return {
    tag,
    shape,
    nodes,
    budgetTokens,
    compensated,
    failing,
    ...(mapChildren.length > 0 ? { mapChildren } : {}),
    body: {
      workflow,
      input: { tag, ...(items.length > 0 ? { items } : {}) },
      ...(budgetTokens !== null ? { budget: { tokens: budgetTokens, onBudget: "fail" } } : {}),
    },
  };
}

/** The same run without `compensate` steps (the run the suite cancels and retries: a compensated run is not retried). */
/**
 * The run the suite cancels and retries: no compensations (a compensated run is not retried), no budget and no node
 * made to fail, so that its only expected end after the retry is `completed` whatever the seed drew.
 */
export function forCancelAndRetry(spec: ChaosRunSpec): ChaosRunSpec {
  const plain = withoutCompensation(spec);
  const nodes = (plain.body.workflow.nodes as Record<string, unknown>[]).map((n) =>
    n.id === spec.failing && typeof n.prompt === "string" ? { ...n, prompt: n.prompt.split("\npad ")[0] } : n,
  );
  const { budget: _, ...body } = plain.body;
  return { ...plain, budgetTokens: null, failing: null, body: { ...body, workflow: { ...body.workflow, nodes } } };
}

export function withoutCompensation(spec: ChaosRunSpec): ChaosRunSpec {
  const nodes = (spec.body.workflow.nodes as Record<string, unknown>[]).map(({ compensate: _, ...rest }) => rest);
  return { ...spec, compensated: [], body: { ...spec.body, workflow: { ...spec.body.workflow, nodes } } };
}

/**
 * The nodes the audits check: the workflow's own, then its map's children, each with its map's dependencies (a child
 * is ready when its map's dependencies are done; the map itself ends after its children).
 */
export function auditedNodes(spec: Pick<ChaosRunSpec, "nodes" | "mapChildren">): { id: string; dependsOn: string[] }[] {
  const children = (spec.mapChildren ?? []).map((id) => {
    const map = spec.nodes.find((n) => n.id === id.slice(0, id.indexOf("[")));
    return { id, dependsOn: map?.dependsOn ?? [] };
  });
  return [...spec.nodes, ...children];
}
