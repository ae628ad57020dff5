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
    costUsd: null,
    model: null,
    route: null,
    cache: null,
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
      nodes: 7,
      pending: 4,
      queued: 0,
      running: 2,
      retrying: 0,
      waiting: 0,
      done: 1,
      failed: 0,
      skipped: 0,
      cancelled: 0,
      inputTokens: 600,
      outputTokens: 212,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.004,
      attempts: 3,
    },
    budget: null,
    cache: { hits: 0, shared: 0, misses: 0, hitRate: null, savedTokens: 0, savedUsd: 0 },
    criticalPath: { nodes: ["codebase-analyzer", "quality-reviewer", "senior-reviewer"], durationMs: 3000 },
    makespanOverCriticalPath: null,
    simulated: true,
    levels: [
      {
        level: 1,
        title: "Level 1: 1 agent",
        nodes: [
          node("codebase-analyzer", {
            status: "done",
            attempts: 1,
            startedAt: at(0),
            finishedAt: at(1010),
            durationMs: 1010,
            usage: { inputTokens: 600, outputTokens: 212, cacheReadTokens: 0, cacheWriteTokens: 0 },
            costUsd: 0.004,
            model: "sim-balanced",
            route: {
              provider: "simulated",
              tier: "balanced",
              source: "rules",
              reason: "feeds 5 nodes",
              summary: "balanced: feeds 5 nodes",
            },
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

type Route = NonNullable<NodeView["route"]>;

/** A routing decision on the `anthropic` provider; `summary` is built the way the worker builds it. */
export function route(tier: string | null, reason: string, model = ""): Route {
  return { provider: "anthropic", tier, source: "rules", reason, summary: `${tier ?? model}: ${reason}` };
}

/**
 * A completed three-node run on Anthropic models, with prompt caching on the second node and costs chosen so that
 * their float sum differs from the exact sum (0.1 + 0.2 + 0.000123): totals.costUsd is the exact micro-USD sum, like the worker's.
 */
export function costedView(over: Partial<RunView> = {}): RunView {
  const done = (ms: number): Partial<NodeView> => ({
    status: "done",
    attempts: 1,
    startedAt: at(0),
    finishedAt: at(ms),
    durationMs: ms,
  });
  return runningView({
    status: "completed",
    finishedAt: at(3000),
    makespanMs: 3000,
    simulated: false,
    totals: {
      nodes: 3,
      pending: 0,
      queued: 0,
      running: 0,
      retrying: 0,
      waiting: 0,
      done: 3,
      failed: 0,
      skipped: 0,
      cancelled: 0,
      inputTokens: 13_100,
      outputTokens: 900,
      cacheReadTokens: 1500,
      cacheWriteTokens: 2000,
      costUsd: 0.300123,
      attempts: 3,
    },
    budget: { usd: 0.5, onBudget: "downgrade" },
    cache: { hits: 0, shared: 0, misses: 3, hitRate: 0, savedTokens: 0, savedUsd: 0 },
    criticalPath: { nodes: ["brief", "review", "final"], durationMs: 2900 },
    levels: [
      {
        level: 1,
        title: "Level 1: 1 agent",
        nodes: [
          node("brief", {
            ...done(1000),
            model: "claude-opus-4-5",
            costUsd: 0.1,
            cache: "miss",
            usage: { inputTokens: 12_000, outputTokens: 400, cacheReadTokens: 0, cacheWriteTokens: 2000 },
            route: route("deep", "principal role, long prompt (~12k tokens)"),
            excerpt: "[FAKE ANTHROPIC claude-opus-4-5] brief",
          }),
        ],
      },
      {
        level: 2,
        title: "Level 2: 1 agent",
        nodes: [
          node("review", {
            ...done(900),
            model: "claude-haiku-4-5",
            costUsd: 0.2,
            cache: "miss",
            usage: { inputTokens: 600, outputTokens: 300, cacheReadTokens: 1500, cacheWriteTokens: 0 },
            route: route("fast", "short output (up to 256 tokens); budget cap: fast"),
            excerpt: "review",
          }),
        ],
      },
      {
        level: 3,
        title: "Level 3: 1 agent",
        nodes: [
          node("final", {
            ...done(1000),
            model: "my-custom-model",
            costUsd: 0.000123,
            cache: "miss",
            usage: { inputTokens: 500, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0 },
            route: route(null, 'explicit: node model "my-custom-model"', "my-custom-model"),
            excerpt: "final",
          }),
        ],
      },
    ],
    ...over,
  });
}

/**
 * {@link costedView} run again with the same input, served by the result cache: `brief` and `final` are hits,
 * `review` waited for an identical call in flight (`shared`). No tokens, no cost; the routing reasons carry the
 * worker's `; cache <outcome>` suffix; the savings are what the first run's calls cost (17,500 tokens, $0.300123).
 */
export function cachedView(over: Partial<RunView> = {}): RunView {
  const base = costedView();
  const outcomes: Record<string, "hit" | "shared"> = { brief: "hit", review: "shared", final: "hit" };
  return {
    ...base,
    runId: "run_def",
    finishedAt: at(120),
    makespanMs: 120,
    totals: { ...base.totals, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
    cache: { hits: 2, shared: 1, misses: 0, hitRate: 1, savedTokens: 17_500, savedUsd: 0.300123 },
    criticalPath: { nodes: ["brief", "review", "final"], durationMs: 60 },
    makespanOverCriticalPath: 2,
    levels: base.levels.map((level) => ({
      ...level,
      nodes: level.nodes.map((n) => {
        const cache = outcomes[n.id] ?? "hit";
        const r = n.route && {
          ...n.route,
          reason: `${n.route.reason}; cache ${cache}`,
          summary: `${n.route.summary}; cache ${cache}`,
        };
        return {
          ...n,
          durationMs: 20,
          finishedAt: at(20),
          usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
          costUsd: 0,
          cache,
          route: r,
        };
      }),
    })),
    ...over,
  };
}
