import { readWorkload as readBenchWorkload, type WorkloadTask } from "../../local/bench/workloads.js";

/** One task of a workload file (`bench/workloads/*.dag.json`): id, category, runtime in seconds, dependency ids. */
export type { WorkloadTask };

/**
 * Reads the tasks of one of the nine real DAGs in bench/workloads/ by file stem, e.g. `viralrecon-dirt02-001`.
 * @throws Error when the file is missing or has no `tasks` array.
 */
export function readWorkload(stem: string): WorkloadTask[] {
  return readBenchWorkload(stem).tasks;
}

/**
 * A workflow definition with one simulated node per task: edges from `deps`, latency `runtime_s * scale` ms; the
 * result cache is off (every run measures real dispatch).
 * @param scaleMsPerSecond simulated ms per recorded second (0 = no latency).
 */
export function workloadWorkflow(name: string, tasks: WorkloadTask[], scaleMsPerSecond: number, concurrency = 1000) {
  return {
    name,
    concurrency,
    cache: false,
    agents: { task: { system: "Simulated workload task.", model: "sim-fast", maxOutputTokens: 64 } },
    nodes: tasks.map((t) => ({
      id: t.id,
      agent: "task",
      prompt: `Run ${t.category}.`,
      dependsOn: [...new Set(t.deps)],
      simulate: { latencyMs: Math.round(t.runtime_s * scaleMsPerSecond) },
    })),
  };
}
