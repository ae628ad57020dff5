/**
 * The results file `bench/results/<date>.json`: its schema (zod, checked before writing and by the tests) and
 * types. Every duration is in ms, every size in bytes, every ratio a plain number; a figure that was not
 * measured is `null` and says why in `reason`, never a made-up value.
 */
import { z } from "zod";

/** Version of this file format; bump on an incompatible change. */
export const RESULTS_SCHEMA_VERSION = 1;

const num = z.number().finite();
const nullableNum = num.nullable();

/** Count, mean, p50, p95 and max of a sample (ms); null figures for an empty sample (see percentiles.ts). */
export const summarySchema = z.strictObject({
  count: z.number().int().min(0),
  mean: nullableNum,
  p50: nullableNum,
  p95: nullableNum,
  max: nullableNum,
});

/** The local stack's counters over one measurement (local/stats.ts StackStats). */
export const stackStatsSchema = z.strictObject({
  redisRequests: num,
  redisCommands: num,
  redisRequestBytes: num,
  qstashApiRequests: num,
  qstashMessagesPublished: num,
  qstashDeliveries: num,
  qstashCallbacks: num,
  qstashFailureCallbacks: num,
  qstashDeadLetters: num,
  qstashRequestBytes: num,
  qstashDeliveryBytes: num,
});

/**
 * Cost per node derived from {@link stackStatsSchema}: `qstashMessages` = (published + callbacks) / nodes (QStash
 * bills a callback as a message), `publishBytesPerMessage` = QStash API request bytes / messages published,
 * `deliveryBytesPerDelivery` = bytes QStash sent per delivery.
 */
export const perNodeCostSchema = z.strictObject({
  qstashMessages: nullableNum,
  qstashPublished: nullableNum,
  qstashDeliveries: nullableNum,
  redisCommands: nullableNum,
  redisRequests: nullableNum,
  redisRequestBytes: nullableNum,
  publishBytesPerMessage: nullableNum,
  deliveryBytesPerDelivery: nullableNum,
});

/** Per-node hop overhead (start − last dependency's finish; roots: − run start), ms: all nodes and non-roots. */
export const hopSchema = z.strictObject({ all: summarySchema, dependent: summarySchema });

/** Who executed a run: the engine through the full local stack, or LangGraph.js in-process. */
export const EXECUTORS = ["agent-dag", "langgraph"] as const;

/** Busy and steal shares of the machine's CPU time, percent (cpu-time.ts). */
const cpuShareSchema = z.strictObject({ busyPct: num, stealPct: num });

/**
 * CPU time per done node, ms (process-cpu.ts): all of the worker's workerd processes, their busiest thread (absent
 * in files before 2026-11-21 05:30), the stack's Node process and Redis.
 */
const processCpuSchema = z.strictObject({
  workerd: nullableNum,
  workerdThread: nullableNum.optional(),
  node: num,
  redis: nullableNum,
});

/** What happened to a planned run. `not-run` carries the reason (e.g. "would take 412 s"). */
export const RUN_OUTCOMES = ["completed", "failed", "timeout", "error", "not-run"] as const;

/**
 * One measured (or deliberately skipped) run of a workload.
 * - `expectedMs`: the simulated schedule for this mode and concurrency on the same latencies (critical path for
 *   eager unlimited, level barrier for levels and LangGraph, total work for sequential, list schedule for P slots);
 * - `ratio` = makespan / workload critical path (× scale); `ratioMeasuredCp` = makespan / critical path of measured
 *   node durations; `overExpected` = makespan / expectedMs; `cpHopMs`: (makespan − critical path) / CP nodes;
 * - `inNodeOverhead`: per done node, measured duration (claim to result) − simulated latency: the engine's work
 *   inside a node;
 * - `cpu`: the machine's busy and steal shares during the run, percent; `cpuMsPerNode`: CPU ms per done node of
 *   workerd, this Node process and the local Redis (process-cpu.ts; null where unreadable; both absent in older
 *   files);
 * - `samples` (`--repeats`): each measurement's makespan (ms), steal (%) and whether it counted (steal ≤ 5%:
 *   repeats.ts); the figures above are the counted median's, or the failed measurement's when one failed.
 */
export const runResultSchema = z.strictObject({
  scenario: z.enum(["makespan", "concurrency"]),
  workload: z.string(),
  executor: z.enum(EXECUTORS),
  mode: z.enum(["eager", "levels", "sequential", "supersteps"]),
  concurrency: z.number().int().min(1),
  outcome: z.enum(RUN_OUTCOMES),
  reason: z.string().optional(),
  runId: z.string().optional(),
  nodes: z.number().int(),
  criticalPathMs: num,
  expectedMs: num,
  makespanMs: nullableNum,
  ratio: nullableNum,
  measuredCriticalPathMs: nullableNum,
  ratioMeasuredCp: nullableNum,
  overExpected: nullableNum,
  cpHopMs: nullableNum,
  hop: hopSchema.nullable(),
  inNodeOverhead: summarySchema.nullable(),
  attempts: z.number().int().nullable(),
  stats: stackStatsSchema.nullable(),
  perNode: perNodeCostSchema.nullable(),
  cpu: cpuShareSchema.nullable().optional(),
  cpuMsPerNode: processCpuSchema.nullable().optional(),
  samples: z.array(z.strictObject({ makespanMs: nullableNum, stealPct: nullableNum, counted: z.boolean() })).optional(),
});

/** A workload's shape and the reference schedules at the scale it ran with (scaled figures in ms). */
export const workloadResultSchema = z.strictObject({
  name: z.string(),
  source: z.string(),
  nodes: z.number().int(),
  edges: z.number().int(),
  levels: z.number().int(),
  maxWidth: z.number().int(),
  criticalPathHops: z.number().int(),
  recordedCriticalPathS: num,
  recordedTotalWorkS: num,
  scaleMsPerSecond: num,
  criticalPathMs: num,
  totalWorkMs: num,
  levelBarrierMs: num,
  barrierOverCriticalPath: num,
  listScheduleMs: z.record(z.string(), z.strictObject({ dep: num, bar: num })),
});

/** The load test: `runs` review-all runs started at once. */
export const loadResultSchema = z.strictObject({
  runs: z.number().int(),
  latencyMsPerNode: num,
  completed: z.number().int(),
  failed: z.number().int(),
  unfinished: z.number().int(),
  nodesExpected: z.number().int(),
  nodesDone: z.number().int(),
  wallMs: num,
  nodeCompletionsPerSecond: num,
  makespan: summarySchema,
  hop: hopSchema,
  inNodeOverhead: summarySchema,
  stats: stackStatsSchema,
  perNode: perNodeCostSchema,
  /** CPU per done node over the whole test (see runResultSchema; absent in older files). */
  cpuMsPerNode: processCpuSchema.nullable().optional(),
});

/** One point of the message-size experiment: the same workflow with every output padded to `outputBytes`. */
export const messageSizeResultSchema = z.strictObject({
  workload: z.string(),
  outputBytes: z.number().int(),
  nodes: z.number().int(),
  outcome: z.enum(RUN_OUTCOMES),
  stats: stackStatsSchema.nullable(),
  perNode: perNodeCostSchema.nullable(),
});

/** The event log's figures (results file field `eventLog`). */
export const eventLogResultSchema = z.strictObject({
  runs: z.number().int(),
  nodes: z.number().int(),
  events: z.number().int(),
  /** Transition -> client delay of every event read live, ms. */
  delayMs: summarySchema,
  /** Events (= XADD commands run inside the transition scripts) per node. */
  eventsPerNode: z.number(),
  /** Stream ids, field names and values per node, bytes. */
  payloadBytesPerNode: z.number(),
  /** `MEMORY USAGE` of the streams per node, bytes; null with the in-memory store. */
  memoryBytesPerNode: z.number().nullable(),
  /** SSE responses the clients needed (each ends at the worker's polling budget, 45 reads by default). */
  connections: z.number().int(),
});

/**
 * What one measured fan-out run cost, counted between the stack going idle after the run before it and after it
 * (so it includes the reads of the run before's view): QStash deliveries, Redis REST requests, and the CPU of the
 * worker's workerd processes in ms (null when unreadable).
 */
export const fanoutRunCostSchema = z.strictObject({
  deliveries: z.number().int(),
  redisRequests: z.number().int(),
  workerdCpuMs: z.number().nullable(),
});

/** One {@link fanoutRunCostSchema}. */
export type FanoutRunCost = z.output<typeof fanoutRunCostSchema>;

/** What local/bench/map-fanout.ts measured: `root → map(width) → join` with simulated calls. */
export const mapFanoutResultSchema = z.strictObject({
  width: z.number().int(),
  /** Simulated ms per call. */
  latencyMs: z.number(),
  /** Fan-out runs made first and not measured (absent in results from before they were made). */
  warmUpRuns: z.number().int().optional(),
  /** Each warm-up run's overhead, ms (null: it did not complete). */
  warmUpOverheadMs: z.array(z.number().nullable()).optional(),
  /** What each measured run cost (absent in results from before it was counted). */
  costPerRun: z.array(fanoutRunCostSchema).optional(),
  runs: z.number().int(),
  completed: z.number().int(),
  /** Map children listed in the run views, per completed run (should equal `width`). */
  childrenPerRun: z.number(),
  /** Three calls: root, one child, join, ms. */
  criticalPathMs: z.number(),
  makespanMs: summarySchema,
  /** Makespan − critical path, ms. */
  overheadMs: summarySchema,
});

/** One "done means" item of the issue, checked against the figures: `holds` is null when it was not measured. */
export const claimResultSchema = z.strictObject({
  id: z.string(),
  claim: z.string(),
  holds: z.boolean().nullable(),
  detail: z.string(),
});

/** The whole results file. */
export const benchResultsSchema = z.strictObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  date: z.string(),
  command: z.string(),
  argv: z.array(z.string()),
  quick: z.boolean(),
  durationMs: num,
  machine: z.strictObject({
    cpus: z.number().int(),
    cpuModel: z.string(),
    memoryBytes: num,
    os: z.string(),
    arch: z.string(),
    node: z.string(),
    loadAverageStart: z.tuple([num, num, num]),
    loadAverageEnd: z.tuple([num, num, num]),
    /** Busy and steal shares over the whole benchmark, percent (absent in older files). */
    cpu: cpuShareSchema.nullable().optional(),
  }),
  versions: z.record(z.string(), z.string().nullable()),
  git: z.strictObject({ commit: z.string(), dirty: z.boolean() }).nullable(),
  stack: z.strictObject({ backend: z.string(), redisServer: z.string().nullable() }),
  settings: z.strictObject({
    criticalPathTargetMs: num,
    runBudgetMs: num,
    unlimitedConcurrency: z.number().int(),
    concurrencyLimits: z.array(z.number().int()),
    loadRuns: z.number().int(),
    loadLatencyMs: num,
    messageSizes: z.array(z.number().int()),
    workloads: z.array(z.string()),
    /** `--repeats` (absent in older files: 1). */
    repeats: z.number().int().min(1).optional(),
    /** `--via-proxy` (absent in older files: false). */
    viaProxy: z.boolean().optional(),
    /**
     * `--local-observability` (absent in older files: every full run before 2026-11-21 07:27 had the collector on,
     * wrangler's default; the trial files 2026-11-21-070937 to 071711 were made with it off, before the flag existed).
     */
    localObservability: z.boolean().optional(),
  }),
  workloads: z.array(workloadResultSchema),
  runs: z.array(runResultSchema),
  load: loadResultSchema.nullable(),
  messageSize: z.array(messageSizeResultSchema),
  /** The run event log: SSE delay and cost per node (absent in older files). */
  eventLog: eventLogResultSchema.nullable().optional(),
  /** Dynamic fan-out (absent in older files). */
  mapFanout: mapFanoutResultSchema.nullable().optional(),
  claims: z.array(claimResultSchema),
});

/** The results file as data. */
export type BenchResults = z.infer<typeof benchResultsSchema>;
/** One entry of `runs`. */
export type RunResult = z.infer<typeof runResultSchema>;
/** One entry of `workloads`. */
export type WorkloadResult = z.infer<typeof workloadResultSchema>;
/** The `load` section. */
export type LoadResult = z.infer<typeof loadResultSchema>;
/** One entry of `messageSize`. */
export type MessageSizeResult = z.infer<typeof messageSizeResultSchema>;
/** One entry of `claims`. */
export type ClaimResult = z.infer<typeof claimResultSchema>;
/** The per-node cost block. */
export type PerNodeCost = z.infer<typeof perNodeCostSchema>;

/** What local/bench/map-fanout.ts measured. */
export type MapFanoutResult = z.infer<typeof mapFanoutResultSchema>;

/** What local/bench/event-log.ts measured. */
export type EventLogResult = z.infer<typeof eventLogResultSchema>;
