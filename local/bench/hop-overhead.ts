/**
 * Per-hop overhead of a finished run, read from its run view (`GET /v1/runs/:id`): for each node, how long it
 * waited between becoming runnable and starting. That is the scheduler's own cost per dependency hop (callback,
 * state transition, publish, delivery, claim), plus any wait for a concurrency slot or a level barrier.
 */
import { type Summary, summarize } from "./percentiles.js";

/** The fields of a run view this module reads (ISO 8601 times with ms precision; durations in ms). */
export interface HopRunView {
  startedAt: string;
  levels: {
    nodes: { id: string; startedAt: string | null; finishedAt: string | null; durationMs?: number | null }[];
  }[];
}

/** One node's hop: `waitMs` = its start − the last finish among its dependencies (roots: − the run's start). */
export interface NodeHop {
  id: string;
  root: boolean;
  waitMs: number;
}

/** What {@link hopOverheads} found: every node's hop (nodes that never started are listed in `missing`). */
export interface HopOverheads {
  hops: NodeHop[];
  /** Ids of nodes without a start time, or whose dependencies lack a finish time (not counted). */
  missing: string[];
  /** Summary over all counted hops, ms. */
  all: Summary;
  /** Summary over non-root hops only (the dependency hops), ms. */
  dependent: Summary;
}

/**
 * Extracts per-node hop overheads from a run view.
 * @param view the final run view.
 * @param dependencies node id → ids of its dependencies (duplicates are harmless).
 * @returns hops in ms (may be slightly negative if clocks disagree), and their summaries.
 * @throws RangeError when a time in the view is not a valid date.
 */
export function hopOverheads(
  view: HopRunView,
  dependencies: Readonly<Record<string, readonly string[]>>,
): HopOverheads {
  const ms = (iso: string) => {
    const t = Date.parse(iso);
    if (Number.isNaN(t)) throw new RangeError(`invalid time in run view: ${iso}`);
    return t;
  };
  const runStart = ms(view.startedAt);
  const start = new Map<string, number>();
  const finish = new Map<string, number>();
  const ids: string[] = [];
  for (const level of view.levels) {
    for (const n of level.nodes) {
      ids.push(n.id);
      if (n.startedAt) start.set(n.id, ms(n.startedAt));
      if (n.finishedAt) finish.set(n.id, ms(n.finishedAt));
    }
  }
  const hops: NodeHop[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const s = start.get(id);
    const deps = dependencies[id] ?? [];
    const depFinishes = deps.map((d) => finish.get(d));
    if (s === undefined || depFinishes.some((f) => f === undefined)) {
      missing.push(id);
      continue;
    }
    const ready = deps.length === 0 ? runStart : Math.max(...(depFinishes as number[]));
    hops.push({ id, root: deps.length === 0, waitMs: s - ready });
  }
  return {
    hops,
    missing,
    all: summarize(hops.map((h) => h.waitMs)),
    dependent: summarize(hops.filter((h) => !h.root).map((h) => h.waitMs)),
  };
}

/**
 * The engine's time inside each node: measured duration (run view `durationMs`) − the node's simulated latency.
 * Nodes without a duration (not done) or without a latency are left out.
 * @param latencyMs node id → simulated latency, ms.
 * @returns one value per counted node, ms.
 */
export function inNodeOverheads(view: HopRunView, latencyMs: Readonly<Record<string, number>>): number[] {
  const out: number[] = [];
  for (const level of view.levels) {
    for (const n of level.nodes) {
      const latency = latencyMs[n.id];
      if (typeof n.durationMs === "number" && latency !== undefined) out.push(n.durationMs - latency);
    }
  }
  return out;
}
