/**
 * The level-barrier ("wave") schedule: what a scheduler that joins with a barrier per level pays (a classic wave
 * executor, Upstash Workflow's `Promise.all`, LangGraph supersteps). Level k + 1 starts only when every node of
 * level k is done; inside a level, nodes are list-scheduled on P processors by longest remaining path.
 */
import type { CompiledDag } from "../../shared/dag/compile.js";
import { listSchedule, type Schedule, type ScheduleDag } from "./list-schedule.js";

/**
 * Simulates the level-barrier schedule. With `processors = Infinity` the makespan is the sum over levels of each
 * level's heaviest node (`barrier_inf` in bench/workloads/stats.txt); with P processors it is the `sim P=… bar`
 * figure there.
 * @param dag compiled DAG: `levels` are the engine compiler's 1-based levels (longest path from a root), weights ms.
 * @param processors an integer ≥ 1, or `Infinity`.
 * @returns node start/finish times and the makespan, ms from the schedule's start.
 * @throws RangeError for a bad `processors` (from {@link listSchedule}).
 */
export function levelBarrierSchedule(dag: ScheduleDag & Pick<CompiledDag, "levels">, processors: number): Schedule {
  const startMs: Record<string, number> = Object.create(null);
  const finishMs: Record<string, number> = Object.create(null);
  let offset = 0;
  for (const level of dag.levels) {
    // No edges inside a level: each level is an independent list schedule, shifted by the barrier before it.
    const s = listSchedule(
      {
        order: level,
        dependents: Object.fromEntries(level.map((id) => [id, []])),
        pendingCounts: Object.fromEntries(level.map((id) => [id, 0])),
        weightMs: dag.weightMs,
        remainingPathMs: dag.remainingPathMs,
      },
      processors,
    );
    for (const id of level) {
      startMs[id] = offset + s.startMs[id]!;
      finishMs[id] = offset + s.finishMs[id]!;
    }
    offset += s.makespanMs;
  }
  return { makespanMs: offset, startMs, finishMs };
}
