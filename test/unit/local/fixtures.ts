import type { NodeView, RunView } from "../../../local/run-view";

/** A node view with defaults for a pending node; override what the test needs. */
export function node(id: string, over: Partial<NodeView> = {}): NodeView {
  return {
    id,
    agent: id,
    status: "pending",
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    usage: null,
    model: null,
    excerpt: null,
    error: null,
    ...over,
  };
}

const T0 = Date.parse("2026-11-20T10:00:00.000Z");

/** ISO time `ms` after the fixtures' start time. */
export function at(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

/** The fixtures' start time, ms since the epoch. */
export const START = T0;

/** A review-all run in progress: analyzer done, two reviewers running, the rest waiting. */
export function runningView(over: Partial<RunView> = {}): RunView {
  return {
    runId: "run_abc",
    workflow: "review-all",
    status: "running",
    trigger: "api",
    createdAt: at(0),
    startedAt: at(0),
    finishedAt: null,
    makespanMs: 3100,
    totals: {
      nodes: 7, pending: 4, queued: 0, running: 2, retrying: 0, done: 1, failed: 0, skipped: 0,
      inputTokens: 600, outputTokens: 212, attempts: 3,
    },
    criticalPath: { nodes: ["codebase-analyzer", "quality-reviewer", "senior-reviewer"], durationMs: 3000 },
    makespanOverCriticalPath: null,
    simulated: true,
    levels: [
      {
        level: 1,
        title: "Level 1: 1 agent",
        nodes: [
          node("codebase-analyzer", {
            status: "done", attempts: 1, startedAt: at(0), finishedAt: at(1010), durationMs: 1010,
            usage: { inputTokens: 600, outputTokens: 212 }, model: "sim-balanced",
            excerpt: "Simulated analysis of\nagent-dag: a serverless engine",
          }),
        ],
      },
      {
        level: 2,
        title: "Level 2: 5 agents in parallel",
        nodes: [
          node("quality-reviewer", { status: "running", attempts: 1, startedAt: at(2800) }),
          node("security-reviewer", { status: "running", attempts: 1, startedAt: at(2900) }),
          node("performance-reviewer", { status: "queued" }),
          node("architecture-reviewer"),
          node("best-practices-reviewer"),
        ],
      },
      { level: 3, title: "Level 3: 1 agent", nodes: [node("senior-reviewer")] },
    ],
    links: { self: "/v1/runs/run_abc", output: "/v1/runs/run_abc/output" },
    ...over,
  };
}
