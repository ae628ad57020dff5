import type { RunBudget } from "../budget/budget-spec.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/** Status of a node in a run (the todo-list states shown by `GET /v1/runs/:id`). `waiting`: a parked node (a wait
 * node waiting for its signal or timeout: shared/engine/wait-node.ts), not terminal and holding no slot. */
export const NODE_STATUSES = [
  "pending",
  "queued",
  "running",
  "retrying",
  "waiting",
  "done",
  "failed",
  "skipped",
  "cancelled",
] as const;
/** One of {@link NODE_STATUSES}. */
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** Terminal node statuses: nothing happens to such a node unless the run is retried or rerun. */
export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = ["done", "failed", "skipped", "cancelled"];

/** Status of a run: `running` until every node is terminal, then `completed` or `failed`; `cancelled` after
 * `POST /v1/runs/:id/cancel`. A retry or rerun makes a finished run `running` again. */
export type RunStatus = "running" | "completed" | "failed" | "cancelled";

/**
 * What a run froze at its start and never changes: stored once as JSON under the run's `def` key, read by every
 * `/internal/execute` delivery (and cached per isolate, since it is immutable).
 */
export interface FrozenRun {
  /** Run id, e.g. `run_3f9c…` (26 hex characters after `run_`). */
  runId: string;
  /** Tenant that owns the run (from the API key). */
  tenant: string;
  /** The validated workflow definition the run executes. */
  workflow: WorkflowDefinition;
  /** Blob ref (SHA-256 hex) of the run input JSON. */
  inputRef: string;
  /** The run budget (trigger's, else workflow's), or null for none. */
  budget: RunBudget | null;
  /** Run-wide simulation settings from the trigger (simulated provider only). */
  simulate: { latencyMs?: number | undefined } | null;
  /** Public origin of the worker that QStash calls back (e.g. `https://agent-dag.example.workers.dev`). */
  baseUrl: string;
  /** How the run was started: `api` (POST /v1/runs) or `cron:<expression>`. */
  trigger: string;
  /** Creation time, ms since epoch. */
  createdAt: number;
  /** Which registry entry the run was started from by name (functions/resolve-workflow.ts): the tenant's registry
   * (`version` 1, 2, …) or the bundled workflows (`version` null), with the SHA-256 of the canonical definition;
   * absent for an inline definition. */
  workflowRef?: WorkflowRef | undefined;
  /** A child run of a sub-workflow node (shared/engine/sub-workflow-node.ts): the parent run, its node, the node's
   * dispatch generation when it started this child, and this run's depth (1 for a child of a top-level run). */
  parent?: ParentRef | undefined;
  /** A child run's ancestor runs that have a run budget, nearest first: each of its calls reserves in their run
   * budgets too (shared/engine/model-call.ts), so a child's cost counts against its parent's budget. */
  ancestorBudgets?: { runId: string; budget: RunBudget }[] | undefined;
}

/** Where a child run comes from (FrozenRun.parent). */
export interface ParentRef {
  runId: string;
  nodeId: string;
  generation: number;
  /** Nesting depth of the child: 1 under a top-level run, at most shared/schema/workflow-node.ts MAX_WORKFLOW_DEPTH. */
  depth: number;
}

/** A named workflow's source, version and content hash (64 hex), as a run records it (FrozenRun.workflowRef). */
export interface WorkflowRef {
  source: "tenant" | "bundled";
  version: number | null;
  hash: string;
}

/** Everything stored about a run, read in one pipeline (see RunStore.readSnapshot). Hash values are raw strings. */
export interface RunSnapshot {
  /** Run fields: status, createdAt, startedAt, finishedAt (ms), nodeCount, doneCount, failedCount, skippedCount,
   * cancelledCount, terminalCount, try, generation, inputTokens, outputTokens, retentionSeconds, fingerprint, workflow, tenant. */
  meta: Record<string, string>;
  /** The frozen definition. */
  frozen: FrozenRun;
  /** Per node: status. */
  status: Record<string, string>;
  /** Per node: attempts started. */
  attempts: Record<string, string>;
  /** Per node: start of the latest attempt, ms. */
  started: Record<string, string>;
  /** Per node: end, ms. */
  finished: Record<string, string>;
  /** Per node: output blob ref. */
  output: Record<string, string>;
  /** Per node: "<inputTokens>,<outputTokens>,<cacheReadTokens>,<cacheWriteTokens>". */
  usage: Record<string, string>;
  /** Per node: model id. */
  model: Record<string, string>;
  /** Per node: output excerpt. */
  excerpt: Record<string, string>;
  /** Per node: last error. */
  error: Record<string, string>;
  /** Per node: cost of the producing call, integer micro-USD. */
  cost: Record<string, string>;
  /** Per node: routing decision `<provider>|<tier>|<source>|<reason>`. */
  route: Record<string, string>;
  /** Per node: result cache outcome (hit | shared | miss). */
  cache: Record<string, string>;
  /** Per node: how its earlier tries ended, one line per try: `<try>|<status>|<attempts>|<error>`. */
  history?: Record<string, string> | undefined;
  /** The books of paid calls: `<node>:<attempt>` -> `<in>,<out>,<cacheRead>,<cacheWrite>,<microUsd>[,e|r|v]` (`e`:
   * booked at its reserved worst case; `r`: then booked from the usage log; `v`: the log showed it unbilled, no call),
   * and `<node>:<attempt>:intent` -> the worst case written before the call, its time and whether it is logged. */
  paid?: Record<string, string> | undefined;
}
