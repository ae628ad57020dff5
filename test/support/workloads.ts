import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The team folder's real workflow DAGs (`../shared/workloads` beside the repo). */
export const WORKLOADS_DIR = fileURLToPath(new URL("../../../shared/workloads/", import.meta.url));

/** One task of a workload file (`*.dag.json`, see ../shared/workloads/README.md). */
export interface WorkloadTask {
  id: string;
  category: string;
  runtime_s: number;
  deps: string[];
}

/**
 * Reads a workload by file stem, e.g. `viralrecon-dirt02-001`.
 * @throws Error when ../shared/workloads is missing (CI always has it beside the clone).
 */
export function readWorkload(stem: string): WorkloadTask[] {
  const file = `${WORKLOADS_DIR}${stem}.dag.json`;
  if (!existsSync(file)) throw new Error(`workload ${file} not found: ../shared/workloads must sit beside the repo`);
  return (JSON.parse(readFileSync(file, "utf8")) as { tasks: WorkloadTask[] }).tasks;
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
