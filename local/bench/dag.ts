/**
 * A workload as a compiled DAG (shared/dag/compile.ts, the engine's own compiler): levels, dependents, longest
 * remaining paths and the critical path, with node weights in ms, either the recorded runtimes (× 1000) or the
 * scaled latencies the benchmark actually runs.
 */
import { type CompiledDag, compileDag } from "../../shared/dag/compile.js";
import { dedupe, latencyMs } from "./workflow.js";
import type { Workload } from "./workloads.js";

/**
 * Compiles a workload with weight = recorded runtime in ms (`runtime_s × 1000`), or, when `scaleMsPerSecond` is
 * given, the simulated latency of each node ({@link latencyMs}: `round(runtime_s × scale)` ms).
 * @throws DagError when the workload is not a DAG (duplicate ids, unknown dependency, cycle).
 */
export function workloadDag(workload: Workload, scaleMsPerSecond?: number): CompiledDag {
  return compileDag(
    workload.tasks.map((t) => ({
      id: t.id,
      dependsOn: dedupe(t.deps),
      weightMs: scaleMsPerSecond === undefined ? t.runtime_s * 1000 : latencyMs(t.runtime_s, scaleMsPerSecond),
    })),
  );
}
