/**
 * The benchmark's workloads: the nine real DAGs of `bench/workloads/*.dag.json` (WfCommons WfInstances, LGPL-3.0;
 * see bench/workloads/README.md) and the bundled `review-all` workflow, all in one shape: tasks with a recorded
 * runtime (seconds) and their dependencies.
 */
import { existsSync, readFileSync } from "node:fs";
import { PROJECT_ROOT } from "../project-root.js";

/** Where the workload files live inside the repository, relative to its root (ends with `/`). */
export const WORKLOADS_REL_DIR = "bench/workloads/";

/** Absolute path of the workload directory, `<project root>/bench/workloads/` (ends with `/`). */
export const WORKLOADS_DIR = `${PROJECT_ROOT}${WORKLOADS_REL_DIR}`;

/** The bundled review-all definition (workflows/review-all.json). */
export const REVIEW_ALL_FILE = `${PROJECT_ROOT}workflows/review-all.json`;

/**
 * File stems of the nine real DAGs, smallest first (node counts 22 to 1,004; bench/workloads/README.md
 * "Shapes").
 */
export const REAL_WORKLOAD_STEMS = [
  "srasearch-chameleon-10a-001",
  "methylseq-dirt02-001",
  "soykb-chameleon-10fastq-10ch-001",
  "epigenomics-chameleon-ilmn-1seq-100k-001",
  "viralrecon-dirt02-001",
  "airrflow-dirt02-001",
  "montage-chameleon-2mass-025d-001",
  "1000genome-chameleon-22ch-250k-001",
  "bwa-chameleon-large-001",
] as const;

/** One task: id, category (the tool it ran), recorded runtime in seconds (some are 0), dependency ids (may repeat). */
export interface WorkloadTask {
  id: string;
  category: string;
  runtime_s: number;
  deps: string[];
}

/**
 * A workload: `name` is the short name used in tables and workflow names (`viralrecon`, `review-all`), `source`
 * the file it came from, `tasks` its tasks in file order. `definition` is set for a bundled workflow (review-all):
 * the benchmark then runs that definition (its agents, prompts and templates) instead of generic task nodes.
 */
export interface Workload {
  name: string;
  source: string;
  tasks: WorkloadTask[];
  definition?: BundledDefinition;
}

/** The parts of a bundled workflow definition the benchmark reads and overrides (the rest is passed through). */
export interface BundledDefinition {
  name: string;
  nodes: { id: string; dependsOn?: string[]; [field: string]: unknown }[];
  [field: string]: unknown;
}

/** The short name of a workload stem: its first dash-separated word (`viralrecon-dirt02-001` → `viralrecon`). */
export function shortName(stem: string): string {
  return stem.split("-")[0] ?? stem;
}

/**
 * Reads one real workload by file stem (e.g. `viralrecon-dirt02-001`).
 * @param dir the workload directory (default {@link WORKLOADS_DIR}).
 * @throws Error when the file is missing from `dir` or has no `tasks` array.
 */
export function readWorkload(stem: string, dir = WORKLOADS_DIR): Workload {
  const file = `${dir}${stem}.dag.json`;
  if (!existsSync(file)) {
    throw new Error(`workload ${file} not found (the real DAGs are ${WORKLOADS_REL_DIR}*.dag.json in the repository)`);
  }
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { tasks?: WorkloadTask[] };
  if (!Array.isArray(parsed.tasks)) throw new Error(`workload ${file} has no tasks array`);
  return { name: shortName(stem), source: `${WORKLOADS_REL_DIR}${stem}.dag.json`, tasks: parsed.tasks };
}

/**
 * The bundled review-all workflow as a workload: one task per node, each lasting 1 "second", so that a scale of
 * N ms per second gives every agent call N ms (the demo's `--latency-ms`).
 * @param file the workflow JSON (default {@link REVIEW_ALL_FILE}).
 */
export function reviewAllWorkload(file = REVIEW_ALL_FILE): Workload {
  const definition = JSON.parse(readFileSync(file, "utf8")) as BundledDefinition;
  return {
    name: "review-all",
    source: "workflows/review-all.json",
    tasks: definition.nodes.map((n) => ({ id: n.id, category: n.id, runtime_s: 1, deps: n.dependsOn ?? [] })),
    definition,
  };
}
