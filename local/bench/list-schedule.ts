/**
 * Greedy list scheduling of a weighted DAG on P identical processors, the reference the benchmark holds the
 * engine's concurrency limit to: whenever a processor is free and nodes are ready, the ready node with the longest
 * remaining path (its own weight plus the heaviest chain below it) starts first; ties go to the smaller node id
 * (code-unit order). With that tie rule it reproduces every `sim P=… dep/bar` figure of bench/workloads/stats.txt
 * (the `bar` figure is `levelBarrierSchedule` in barrier-schedule.ts); test/unit/bench checks them.
 */
import type { CompiledDag } from "../../shared/dag/compile.js";

/** A simulated schedule: per node start and finish, and the makespan, all in the DAG's weight unit (ms). */
export interface Schedule {
  makespanMs: number;
  startMs: Record<string, number>;
  finishMs: Record<string, number>;
}

/** The pieces of a compiled DAG a schedule needs. */
export type ScheduleDag = Pick<CompiledDag, "order" | "dependents" | "pendingCounts" | "weightMs" | "remainingPathMs">;

/**
 * Simulates a greedy list schedule with longest-remaining-path priority.
 * @param dag compiled DAG (weights in ms; `remainingPathMs` is the priority).
 * @param processors how many nodes may run at once: an integer ≥ 1, or `Infinity` (then the makespan equals the
 *   critical path).
 * @returns node start/finish times and the makespan, ms from the schedule's start.
 * @throws RangeError when `processors` is not ≥ 1 (integer or Infinity), or Error when the DAG is inconsistent
 *   (a node never becomes ready).
 */
export function listSchedule(dag: ScheduleDag, processors: number): Schedule {
  const order = dag.order;
  if (!(processors === Infinity || (Number.isInteger(processors) && processors >= 1))) {
    throw new RangeError(`processors must be an integer >= 1 or Infinity, got ${processors}`);
  }
  const pending = new Map(order.map((id) => [id, dag.pendingCounts[id] ?? 0]));
  const priority = (id: string) => dag.remainingPathMs[id] ?? 0;
  // Highest priority first, then the smaller id: `ready` stays sorted so the best node is ready[0].
  const before = (a: string, b: string) => priority(b) - priority(a) || (a < b ? -1 : a > b ? 1 : 0);
  let ready = order.filter((id) => pending.get(id) === 0).sort(before);
  const running: { id: string; finish: number }[] = [];
  const startMs: Record<string, number> = Object.create(null);
  const finishMs: Record<string, number> = Object.create(null);
  let now = 0;
  let finished = 0;
  while (finished < order.length) {
    while (running.length < processors && ready.length > 0) {
      const id = ready.shift()!;
      startMs[id] = now;
      running.push({ id, finish: now + (dag.weightMs[id] ?? 0) });
    }
    if (running.length === 0)
      throw new Error(`schedule stuck at ${now} ms: ${order.length - finished} nodes never became ready`);
    now = Math.min(...running.map((r) => r.finish));
    const released: string[] = [];
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i]!;
      if (r.finish > now) continue;
      running.splice(i, 1);
      finishMs[r.id] = r.finish;
      finished += 1;
      for (const d of dag.dependents[r.id] ?? []) {
        const left = (pending.get(d) ?? 0) - 1;
        pending.set(d, left);
        if (left === 0) released.push(d);
      }
    }
    if (released.length > 0) ready = [...ready, ...released].sort(before);
  }
  return { makespanMs: now, startMs, finishMs };
}
