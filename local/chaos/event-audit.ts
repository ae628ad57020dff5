/**
 * The chaos suite's audit of each run's event log (`GET /v1/runs/:id/events`, shared/state/run-events.ts): under
 * duplicate deliveries and lost answers the log must hold exactly one terminal event (done, failed, skipped,
 * cancelled) per node and try (a `done` that follows a node's `cancelled` replaces it: the call was running when the
 * run was cancelled, and its output is kept), in an order consistent with the DAG (a node starts and ends only after
 * each dependency's `done`), and the state the log folds to (each node's status, the run's status) must equal the
 * run view. Pure except {@link readEventLog}.
 */
import { streamRunEvents } from "../../shared/client/run-event-stream.js";
import type { RunView } from "../../shared/progress/run-view.js";
import { type RunEventBody, TERMINAL_EVENT_TYPES } from "../../shared/state/run-events.js";
import { auditedNodes, type ChaosRunSpec } from "./dag-generator.js";
import { DEV_API_KEY } from "./run-api.js";

/** What the event audit found in one run's log. */
export interface EventAudit {
  tag: string;
  runId: string | null;
  /** Events read (0 when unreadable). */
  events: number;
  /** Why the log could not be read in full, or null. */
  readError: string | null;
  /** Nodes with more than one terminal event in one try, or none in a finished run: `<node>: <why>`. */
  terminal: string[];
  /** Events out of DAG order: `<type> <node> before <dependency> was done`. */
  order: string[];
  /** Where the folded state differs from the run view: `<node|run>: log <status>, view <status>`. */
  state: string[];
}

/** Reads a run's whole event log through the API; stops at the run's final event or after `timeoutMs`. */
export async function readEventLog(
  baseUrl: string,
  runId: string,
  timeoutMs = 20_000,
): Promise<{ events: RunEventBody[]; finished: boolean; error: string | null }> {
  const events: RunEventBody[] = [];
  try {
    const r = await streamRunEvents(runId, {
      baseUrl,
      apiKey: DEV_API_KEY,
      signal: AbortSignal.timeout(timeoutMs),
      onEvent: (e) => events.push(e),
    });
    return { events, finished: r.finished, error: null };
  } catch (err) {
    return { events, finished: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const NODE_STATUS: Record<string, string> = {
  queued: "queued",
  started: "running",
  retrying: "retrying",
  "handed-back": "retrying",
  waiting: "waiting",
  signal: "running",
  deferred: "queued",
  // a map node waits for its children (shared/state/lua/expand-map.ts)
  expanded: "pending",
  done: "done",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/**
 * Audits one run's log against its spec (the DAG) and its view (null: the state is not compared).
 * @param finished whether the log was read to the run's final event (a running run is not checked for missing
 *   terminal events nor against its view).
 */
export function auditEvents(
  spec: ChaosRunSpec,
  runId: string | null,
  log: { events: RunEventBody[]; finished: boolean; error: string | null },
  view: Pick<RunView, "status" | "levels"> | null,
): EventAudit {
  const audit: EventAudit = {
    tag: spec.tag,
    runId,
    events: log.events.length,
    readError: log.error,
    terminal: [],
    order: [],
    state: [],
  };
  const nodes = auditedNodes(spec);
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn]));
  const terminals = new Map<string, number>();
  const lastTerminal = new Map<string, string>();
  const satisfied = new Set<string>();
  const status = new Map<string, string>(nodes.map((n) => [n.id, "pending"]));
  let runStatus = "running";
  for (const e of log.events) {
    if (e.type === "retry" || e.type === "rerun") {
      runStatus = "running";
      for (const id of (e.nodes as string[] | undefined) ?? []) {
        terminals.set(id, 0);
        lastTerminal.delete(id);
        satisfied.delete(id);
        status.set(id, "pending");
      }
      continue;
    }
    if (e.type === "run-finished") runStatus = String(e.status);
    const node = e.node;
    if (!node || !deps.has(node)) continue;
    if (e.type === "started" || e.type === "done") {
      for (const d of deps.get(node) ?? []) {
        if (!satisfied.has(d)) audit.order.push(`${e.type} ${node} before ${d} was done`);
      }
    }
    if (TERMINAL_EVENT_TYPES.has(e.type)) {
      const n = terminals.get(node) ?? 0;
      // a call running at the cancel finished: its output is kept, and the node ends done instead of cancelled
      const replacesCancel = e.type === "done" && n === 1 && lastTerminal.get(node) === "cancelled";
      if (n >= 1 && !replacesCancel)
        audit.terminal.push(`${node}: ${lastTerminal.get(node)} then ${e.type} in one try`);
      if (!replacesCancel) terminals.set(node, n + 1);
      lastTerminal.set(node, e.type);
      if (e.type === "done" || (e.type === "failed" && e.policy === "continue")) satisfied.add(node);
    }
    const s = NODE_STATUS[e.type];
    if (s) status.set(node, s);
  }
  if (!log.finished) return audit;
  // a map's children exist only once it expanded (a map skipped or failed before that has none)
  const children = new Set(spec.mapChildren ?? []);
  for (const n of nodes) {
    if (children.has(n.id) && !log.events.some((e) => e.node === n.id)) continue;
    if ((terminals.get(n.id) ?? 0) === 0) audit.terminal.push(`${n.id}: no terminal event in a finished run`);
  }
  if (view) {
    if (view.status !== runStatus) audit.state.push(`run: log ${runStatus}, view ${view.status}`);
    for (const level of view.levels) {
      for (const n of level.nodes) {
        const logged = status.get(n.id);
        if (logged !== undefined && logged !== n.status) audit.state.push(`${n.id}: log ${logged}, view ${n.status}`);
      }
    }
  }
  return audit;
}

/** Figures over every run's event audit. */
export interface EventFigures {
  runs: number;
  events: number;
  unreadable: number;
  terminalRuns: number;
  orderRuns: number;
  stateRuns: number;
}

/** Adds up the event audits (runs that never started are left out). */
export function eventFigures(audits: readonly EventAudit[]): EventFigures {
  const f: EventFigures = { runs: 0, events: 0, unreadable: 0, terminalRuns: 0, orderRuns: 0, stateRuns: 0 };
  for (const a of audits) {
    if (!a.runId) continue;
    f.runs += 1;
    f.events += a.events;
    if (a.readError) f.unreadable += 1;
    if (a.terminal.length > 0) f.terminalRuns += 1;
    if (a.order.length > 0) f.orderRuns += 1;
    if (a.state.length > 0) f.stateRuns += 1;
  }
  return f;
}

/** Whether the event logs passed every check. */
export function eventsClean(f: EventFigures): boolean {
  return f.unreadable === 0 && f.terminalRuns === 0 && f.orderRuns === 0 && f.stateRuns === 0;
}

/** One summary line, then one line per run with a problem (at most 3 problems each). */
export function eventReport(audits: readonly EventAudit[]): string[] {
  const f = eventFigures(audits);
  const lines = [
    `event logs: ${f.runs} runs, ${f.events} events; unreadable ${f.unreadable}; runs with a node not ending exactly ` +
      `once per try ${f.terminalRuns}; out of DAG order ${f.orderRuns}; last state differing from the view ${f.stateRuns}`,
  ];
  for (const a of audits) {
    const problems = [...(a.readError ? [`unreadable: ${a.readError}`] : []), ...a.terminal, ...a.order, ...a.state];
    if (problems.length > 0) lines.push(`  events ${a.tag} ${a.runId}: ${problems.slice(0, 3).join("; ")}`);
  }
  return lines;
}

/**
 * Reads and audits the event log of every run the suite started, `concurrency` at a time, against its spec and the
 * view the suite read (`observed[i].view`).
 */
export async function auditEventLogs(
  baseUrl: string,
  specs: readonly ChaosRunSpec[],
  observed: readonly ({ runId: string | null; view: Pick<RunView, "status" | "levels"> | null } | undefined)[],
  concurrency: number,
): Promise<EventAudit[]> {
  const out: EventAudit[] = new Array(specs.length);
  for (let i = 0; i < specs.length; i += Math.max(1, concurrency)) {
    await Promise.all(
      specs.slice(i, i + Math.max(1, concurrency)).map(async (spec, j) => {
        const seen = observed[i + j];
        const runId = seen?.runId ?? null;
        const log = runId ? await readEventLog(baseUrl, runId) : { events: [], finished: false, error: null };
        out[i + j] = auditEvents(spec, runId, log, seen?.view ?? null);
      }),
    );
  }
  return out;
}
