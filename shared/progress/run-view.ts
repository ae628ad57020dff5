import { type CompiledDag, criticalPathOf } from "../dag/compile.js";
import { isSimulatedText } from "../providers/simulated.js";
import type { NodeStatus, ParentRef, RunSnapshot } from "../state/run-types.js";
import { buildCompensationView, type CompensationView, shownRunStatus } from "./compensation-view.js";
import { type MapChildRef, mapChildRef, mapChildrenByMap } from "./map-view.js";
import { type PaidCallView, paidCallOf } from "./paid-call.js";
import { buildWaitView, type WaitView } from "./wait-view.js";

/** One node in the todo-list view. Times are ISO 8601; durations in ms; tokens as counted by the provider. */
export interface NodeView {
  id: string;
  agent: string;
  status: NodeStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Tokens as billed; cache reads/writes (Anthropic prompt caching) are not part of `inputTokens`. */
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number } | null;
  /** Cost of the node's successful call, USD (from the price table). */
  costUsd: number | null;
  model: string | null;
  /** Routing decision: provider, tier (`fast|balanced|deep`, null for a model outside the tier map), source
   * (`explicit|rules|classifier`) and reason, e.g. `balanced: synthesis over 5 inputs`. */
  route: { provider: string; tier: string | null; source: string; reason: string; summary: string } | null;
  /** Result cache outcome: `hit` (no provider call), `shared` (waited for an identical call in flight), `miss`
   * (called the provider), or null (cache off / not finished). */
  cache: "hit" | "shared" | "miss" | null;
  excerpt: string | null;
  /** The last error: of this try, or of an earlier one until the node runs again. */
  error: string | null;
  /** How the node ended each earlier try of the run (retry, rerun), oldest first; empty for a run on its first. */
  history?: { try: number; status: string; attempts: number; error: string | null }[];
  /** The node's paid calls as booked, by attempt: all four token counts added; `estimated` when the call's answer
   * never reached the books and it is booked at its reserved worst case (an upper bound); `reconciled` when such a
   * call was then booked from the provider's usage log (exact). A call the log showed unbilled is not listed. */
  paidCalls?: PaidCallView[];
  /** A map node's child (`<map>[i]`, listed right after its map node, in the map's level): its map and index. */
  map?: MapChildRef;
  /** A wait node only (`kind: "wait"`): its question, deadline and the signal that decided it (wait-view.ts). */
  wait?: WaitView;
  /** A workflow node only (`kind: "workflow"`): the workflow it runs and its child run of this try (null before it
   * started one). Its usage and cost, once done, are the child run's totals (shared/engine/sub-workflow-node.ts). */
  workflow?: { name: string; runId: string | null };
}

/** Nodes of one level ("Level 2: 5 agents in parallel"). */
export interface LevelView {
  level: number;
  title: string;
  nodes: NodeView[];
}

/** `GET /v1/runs/:id`: a TodoWrite-style todo list grouped by level, with timings, tokens and the critical path. */
export interface RunView {
  runId: string;
  workflow: string;
  status: string;
  /** Which try the run is on: 1, then + 1 per retry or rerun (`POST /v1/runs/:id/retry`, `…/rerun`). */
  try?: number;
  /** The node a rerun started from (the latest rerun), or null. */
  rerunFrom?: string | null;
  trigger: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string | null;
  /** Wall time from run start to its end (or to now while running), ms. */
  makespanMs: number;
  /** Counts per status, and sums over nodes: tokens, attempts, cost (USD; exactly the sum of the nodes' micro-USD). */
  totals: Record<NodeStatus, number> & {
    nodes: number;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    costUsd: number;
    attempts: number;
    /** Paid calls booked at their reserved worst case (answer never recorded), and their tokens (included above). */
    estimatedCalls?: number;
    estimatedTokens?: number;
    /** Estimated calls since booked exactly from the provider's usage log, and those it showed unbilled (booked as
     * no call): engine/reconcile-estimates.ts. */
    reconciledCalls?: number;
    voidedCalls?: number;
  };
  /** Result cache of this run: counts, hit rate = (hits + shared) / (hits + shared + misses) (null before any
   * lookup), and the tokens and USD the hits saved (what the producing calls cost). */
  cache: {
    hits: number;
    shared: number;
    misses: number;
    hitRate: number | null;
    savedTokens: number;
    savedUsd: number;
  };
  /** The run's budget as written (tokens, USD, onBudget), or null. */
  budget: { tokens?: number | undefined; usd?: number | undefined; onBudget: string } | null;
  /** Longest chain of node durations (measured; running nodes count their elapsed time, pending ones 0). */
  criticalPath: { nodes: string[]; durationMs: number };
  /** makespan / critical path, once the run finished; null before. */
  makespanOverCriticalPath: number | null;
  /** true when a node's output came from the simulated provider: its recorded route names provider `simulated`, or its
   * excerpt carries the simulated banner (a text output starts with it, a structured one holds it in its strings). */
  simulated: boolean;
  levels: LevelView[];
  /** The run's compensations once it began compensating (compensation-view.ts), else null. `status` is
   * `compensating` while they run; the run's totals include their usage and cost. */
  compensation?: CompensationView | null;
  /** A child run of a workflow node: its parent run, node, the node's generation and the child's depth; else null. */
  parent?: ParentRef | null;
  links: { self: string; output: string };
}

const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);

/** Integer micro-USD (1e-6 USD) as USD. */
const microToUsd = (micro: number): number => micro / 1_000_000;

/** The run's cache counters from its meta fields (`cache_hit`, `cache_shared`, `cache_miss`, `saved*`). */
function cacheSummary(meta: Record<string, string>): RunView["cache"] {
  const hits = Number(meta.cache_hit ?? 0);
  const shared = Number(meta.cache_shared ?? 0);
  const misses = Number(meta.cache_miss ?? 0);
  const lookups = hits + shared + misses;
  return {
    hits,
    shared,
    misses,
    hitRate: lookups === 0 ? null : Math.round(((hits + shared) / lookups) * 1000) / 1000,
    savedTokens: Number(meta.savedTokens ?? 0),
    savedUsd: microToUsd(Number(meta.savedMicroUsd ?? 0)),
  };
}

/** Parses the stored routing decision `<provider>|<tier>|<source>|<reason>` (the reason may contain `|`). */
function parseRoute(raw: string | undefined): NodeView["route"] {
  if (!raw) return null;
  const [provider = "", tier = "", source = "", ...reason] = raw.split("|");
  const why = reason.join("|");
  return { provider, tier: tier || null, source, reason: why, summary: `${tier || provider}: ${why}` };
}

/** Parses a node's stored history: one line per earlier try, `<try>|<status>|<attempts>|<error>`. */
/** The `paid` hash (run-types.ts) as each node's booked calls, by attempt; intents and voided calls are skipped. */
function parsePaidCalls(raw: Record<string, string> | undefined): Map<string, NonNullable<NodeView["paidCalls"]>> {
  const byNode = new Map<string, NonNullable<NodeView["paidCalls"]>>();
  for (const [field, value] of Object.entries(raw ?? {})) {
    const m = /^(.*):(\d+)$/.exec(field);
    if (!m) continue;
    const call = paidCallOf(Number(m[2]), value);
    if (!call) continue;
    const list = byNode.get(m[1] as string) ?? [];
    list.push(call);
    byNode.set(m[1] as string, list);
  }
  for (const list of byNode.values()) list.sort((a, b) => a.attempt - b.attempt);
  return byNode;
}

function parseHistory(raw: string | undefined): NodeView["history"] {
  if (!raw) return [];
  return raw.split("\n").map((line) => {
    const [t = "0", status = "", attempts = "0", ...error] = line.split("|");
    const text = error.join("|");
    return { try: Number(t), status, attempts: Number(attempts), error: text === "" ? null : text };
  });
}

/** The child run a workflow node started in the run's current try (meta `parkNote:<id>` when parked under it). */
function childRunOf(meta: Record<string, string>, id: string, generation: number): string | null {
  const parked = meta[`parked:${id}`];
  const note = meta[`parkNote:${id}`];
  if (!parked || !note) return null;
  return Number(parked.split("|")[0]) === generation ? note : null;
}

/**
 * Builds the run view from a snapshot (see RunStore.readSnapshot) and the run's compiled DAG.
 * @param now ms since epoch, for the elapsed time of running nodes and of an unfinished run.
 */
export function buildRunView(s: RunSnapshot, dag: CompiledDag, now: number): RunView {
  const agentOf = new Map(s.frozen.workflow.nodes.map((n) => [n.id, n.agent]));
  const mapIds = new Set(s.frozen.workflow.nodes.filter((n) => n.kind === "map").map((n) => n.id));
  const children = mapChildrenByMap(Object.keys(s.status), mapIds);
  const waitNodes = new Set(s.frozen.workflow.nodes.filter((n) => n.kind === "wait").map((n) => n.id));
  const subWorkflows = new Map(
    s.frozen.workflow.nodes.flatMap((n) => (n.kind === "workflow" && n.workflow ? [[n.id, n.workflow.name]] : [])),
  );
  const generation = Number(s.meta.generation ?? s.meta.createdAt ?? s.frozen.createdAt);
  const totals: RunView["totals"] = {
    nodes: dag.order.length + [...children.values()].reduce((a, list) => a + list.length, 0),
    pending: 0,
    queued: 0,
    running: 0,
    retrying: 0,
    waiting: 0,
    done: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    inputTokens: Number(s.meta.inputTokens ?? 0),
    outputTokens: Number(s.meta.outputTokens ?? 0),
    cacheReadTokens: Number(s.meta.cacheReadTokens ?? 0),
    cacheWriteTokens: Number(s.meta.cacheWriteTokens ?? 0),
    costUsd: microToUsd(Number(s.meta.costMicroUsd ?? 0)),
    attempts: 0,
    estimatedCalls: Number(s.meta.estimatedCalls ?? 0),
    estimatedTokens: Number(s.meta.estimatedTokens ?? 0),
    reconciledCalls: Number(s.meta.reconciledCalls ?? 0),
    voidedCalls: Number(s.meta.voidedCalls ?? 0),
  };
  const paidCalls = parsePaidCalls(s.paid);
  const durations: Record<string, number> = {};
  let simulated = false;
  const nodeView = (id: string): NodeView => {
    const status = (s.status[id] ?? "pending") as NodeStatus;
    totals[status] += 1;
    const attempts = Number(s.attempts[id] ?? 0);
    totals.attempts += attempts;
    const started = s.started[id];
    const finished = s.finished[id];
    let durationMs: number | null = null;
    if (started && finished && status === "done") durationMs = Number(finished) - Number(started);
    else if (started && (status === "running" || status === "retrying" || status === "waiting"))
      durationMs = now - Number(started);
    durations[id] = durationMs ?? 0;
    const usage = s.usage[id]?.split(",").map(Number);
    const excerpt = s.excerpt[id] ?? null;
    const route = parseRoute(s.route[id]);
    // the recorded route names the provider called; the excerpt's banner also covers a cache hit of a simulated answer
    if (route?.provider === "simulated" || (excerpt !== null && isSimulatedText(excerpt))) simulated = true;
    const cost = s.cost[id];
    const map = mapChildRef(id, mapIds);
    return {
      id,
      agent: agentOf.get(map?.node ?? id) ?? "",
      status,
      attempts,
      startedAt: iso(started),
      finishedAt: iso(finished),
      durationMs,
      usage:
        usage && usage.length >= 2
          ? {
              inputTokens: usage[0] ?? 0,
              outputTokens: usage[1] ?? 0,
              cacheReadTokens: usage[2] ?? 0,
              cacheWriteTokens: usage[3] ?? 0,
            }
          : null,
      costUsd: cost === undefined ? null : microToUsd(Number(cost)),
      model: s.model[id] ?? null,
      route,
      cache: (s.cache[id] as NodeView["cache"] | undefined) ?? null,
      excerpt,
      error: s.error[id] ?? null,
      history: parseHistory(s.history?.[id]),
      ...(paidCalls.has(id) ? { paidCalls: paidCalls.get(id) } : {}),
      ...(map ? { map } : {}),
      ...(waitNodes.has(id) ? { wait: buildWaitView(s.meta, id, generation) } : {}),
      ...(subWorkflows.has(id)
        ? { workflow: { name: subWorkflows.get(id) as string, runId: childRunOf(s.meta, id, generation) } }
        : {}),
    };
  };
  const levels = dag.levels.map((ids, i) => {
    const nodes = ids.flatMap((id) => [nodeView(id), ...(children.get(id) ?? []).map(nodeView)]);
    const n = nodes.length;
    const title = `Level ${i + 1}: ${n} ${n === 1 ? "agent" : "agents"}${n > 1 ? " in parallel" : ""}`;
    return { level: i + 1, title, nodes };
  });
  const cp = criticalPathOf(dag, durations);
  const startedAt = Number(s.meta.startedAt ?? s.meta.createdAt);
  const finishedAt = s.meta.finishedAt ? Number(s.meta.finishedAt) : null;
  const makespanMs = (finishedAt ?? now) - startedAt;
  const runId = s.frozen.runId;
  return {
    runId,
    workflow: s.frozen.workflow.name,
    status: shownRunStatus(s.meta),
    try: Number(s.meta.try ?? 1),
    rerunFrom: s.meta.rerunFrom ?? null,
    trigger: s.frozen.trigger,
    createdAt: new Date(Number(s.meta.createdAt)).toISOString(),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: finishedAt === null ? null : new Date(finishedAt).toISOString(),
    makespanMs,
    totals,
    cache: cacheSummary(s.meta),
    budget: s.frozen.budget ?? null,
    criticalPath: { nodes: cp.nodes, durationMs: cp.weightMs },
    makespanOverCriticalPath:
      finishedAt !== null && cp.weightMs > 0 ? Math.round((makespanMs / cp.weightMs) * 1000) / 1000 : null,
    simulated,
    levels,
    compensation: buildCompensationView(s),
    parent: s.frozen.parent ?? null,
    links: { self: `/v1/runs/${runId}`, output: `/v1/runs/${runId}/output` },
  };
}
