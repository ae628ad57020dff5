/**
 * One measured LangGraph.js run of a workload (see langgraph-peer.ts), as a {@link RunResult}: wall-clock makespan
 * in-process, its ratio to the critical path, and the per-hop wait of every node (start − last parent's finish).
 */
import type { CompiledDag } from "../../shared/dag/compile.js";
import { emptyFigures } from "./engine-run.js";
import { hopOverheads } from "./hop-overhead.js";
import { runLangGraph } from "./langgraph-peer.js";
import type { RunResult } from "./results.js";

/**
 * Runs the DAG on LangGraph with each node sleeping its weight (ms) and measures it.
 * @param dag the DAG with simulated latencies as weights (ms).
 * @param expectedMs the level-barrier schedule of the same DAG (LangGraph's supersteps), ms.
 * @param concurrency LangGraph `maxConcurrency`; `unlimited` (≥ node count) passes none.
 * Never throws: a LangGraph error gives outcome `error` with the message.
 */
export async function measurePeerRun(
  workload: string,
  dag: Pick<CompiledDag, "ids" | "dependencies" | "weightMs" | "criticalPath" | "levels">,
  expectedMs: number,
  concurrency: number,
): Promise<RunResult> {
  const base = {
    scenario: "makespan" as const,
    workload,
    executor: "langgraph" as const,
    mode: "supersteps" as const,
    concurrency,
    nodes: dag.ids.length,
    criticalPathMs: dag.criticalPath.weightMs,
    expectedMs,
  };
  const tasks = dag.ids.map((id) => ({ id, dependsOn: dag.dependencies[id] ?? [], latencyMs: dag.weightMs[id] ?? 0 }));
  try {
    const run = await runLangGraph(tasks, {
      supersteps: dag.levels.length + 2,
      ...(concurrency < dag.ids.length ? { maxConcurrency: concurrency } : {}),
    });
    const t = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const view = {
      startedAt: new Date(0).toISOString(),
      levels: [
        { nodes: dag.ids.map((id) => ({ id, startedAt: t(run.startMs[id]), finishedAt: t(run.finishMs[id]) })) },
      ],
    };
    const hops = hopOverheads(view, dag.dependencies);
    const cp = dag.criticalPath.weightMs;
    const complete = run.executions === dag.ids.length;
    return {
      ...base,
      outcome: complete ? "completed" : "failed",
      ...(complete ? {} : { reason: `${run.executions} node executions for ${dag.ids.length} nodes` }),
      makespanMs: run.makespanMs,
      ratio: cp > 0 ? run.makespanMs / cp : null,
      measuredCriticalPathMs: null,
      ratioMeasuredCp: null,
      overExpected: expectedMs > 0 ? run.makespanMs / expectedMs : null,
      cpHopMs: (run.makespanMs - cp) / Math.max(1, dag.criticalPath.nodes.length),
      hop: { all: hops.all, dependent: hops.dependent },
      inNodeOverhead: null,
      attempts: run.executions,
      stats: null,
      perNode: null,
    };
  } catch (err) {
    return { ...base, ...emptyFigures(), outcome: "error", reason: err instanceof Error ? err.message : String(err) };
  }
}
