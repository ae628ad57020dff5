/**
 * The chaos suite's report (pure): one summary line over every run audit (runs, completed, failed and why, stuck,
 * lost outputs, provider calls per node, token totals against the sum of the nodes and what the provider issued,
 * budget overruns, faults injected by kind), and one detail line per run with a problem.
 */
import type { RunAudit } from "./audit.js";
import { FAULT_KINDS, type FaultCounts, type FaultKind, formatFaultCounts } from "./faults.js";

/** Figures of a whole suite. */
export interface SuiteFigures {
  runs: number;
  completed: number;
  failed: number;
  stuck: number;
  startErrors: number;
  /** Failed runs by folded reason, most frequent first. */
  failedBecause: [string, number][];
  /** Completed runs with at least one lost output, and the outputs lost. */
  lostRuns: number;
  lostOutputs: number;
  callsPerNode: { zero: number; one: number; twoPlus: number };
  /** Token sums over every run: run totals, sums of node usage, what the provider issued. */
  tokens: { totals: number; nodeSum: number; issued: number };
  /** USD sums over every run, in integer micro-USD: run totals, sums of node costs, what the provider's usage
   * issued at the price table; and the largest difference of one run's totals from its issued cost (each booked
   * call is rounded to a whole µUSD, the issued cost is priced on the run's summed tokens). */
  usdMicro: { totals: number; nodeSum: number; issued: number; maxRunDiff: number };
  /** Runs with a node that recorded fewer tokens than the provider issued, and the tokens missing. */
  underCountedRuns: number;
  underCountedTokens: number;
  /** Runs with a node that recorded more tokens than the provider issued, and the tokens in excess. */
  doubleCountedRuns: number;
  doubleCountedTokens: number;
  /** Runs whose totals are not the sum of their nodes. */
  totalsMismatchRuns: number;
  /** Calls booked at their reserved worst case (answer never recorded), those standing for no billed call, and
   * their tokens beyond what was billed. */
  estimatedCalls: number;
  estimatedUnbilled: number;
  estimatedOverTokens: number;
  /** Estimated calls the provider's usage log settled: booked exactly, and booked as no call. */
  reconciledCalls: number;
  voidedCalls: number;
  budgetRuns: number;
  budgetOverruns: number;
}

/** Adds up the audits. @param budgetRuns how many runs had a budget. */
export function suiteFigures(audits: readonly RunAudit[], budgetRuns: number): SuiteFigures {
  const f: SuiteFigures = {
    runs: audits.length,
    completed: 0,
    failed: 0,
    stuck: 0,
    startErrors: 0,
    failedBecause: [],
    lostRuns: 0,
    lostOutputs: 0,
    callsPerNode: { zero: 0, one: 0, twoPlus: 0 },
    tokens: { totals: 0, nodeSum: 0, issued: 0 },
    usdMicro: { totals: 0, nodeSum: 0, issued: 0, maxRunDiff: 0 },
    underCountedRuns: 0,
    underCountedTokens: 0,
    doubleCountedRuns: 0,
    doubleCountedTokens: 0,
    totalsMismatchRuns: 0,
    estimatedCalls: 0,
    estimatedUnbilled: 0,
    estimatedOverTokens: 0,
    reconciledCalls: 0,
    voidedCalls: 0,
    budgetRuns,
    budgetOverruns: 0,
  };
  const reasons = new Map<string, number>();
  for (const a of audits) {
    if (a.outcome === "completed") f.completed += 1;
    else if (a.outcome === "failed") {
      f.failed += 1;
      const r = a.reason ?? "unknown";
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    } else if (a.outcome === "stuck") f.stuck += 1;
    else f.startErrors += 1;
    if (a.lostOutputs.length > 0) f.lostRuns += 1;
    f.lostOutputs += a.lostOutputs.length;
    f.callsPerNode.zero += a.callsPerNode.zero;
    f.callsPerNode.one += a.callsPerNode.one;
    f.callsPerNode.twoPlus += a.callsPerNode.twoPlus;
    f.tokens.totals += a.tokens.totals;
    f.tokens.nodeSum += a.tokens.nodeSum;
    f.tokens.issued += a.tokens.issued;
    const micro = (usd: number) => Math.round(usd * 1e6);
    f.usdMicro.totals += micro(a.usd.totals);
    f.usdMicro.nodeSum += micro(a.usd.nodeSum);
    f.usdMicro.issued += micro(a.usd.issued);
    f.usdMicro.maxRunDiff = Math.max(f.usdMicro.maxRunDiff, Math.abs(micro(a.usd.totals) - micro(a.usd.issued)));
    const under = a.tokenMismatches.filter((m) => m.kind === "under");
    const over = a.tokenMismatches.filter((m) => m.kind === "double");
    if (under.length > 0) f.underCountedRuns += 1;
    if (over.length > 0) f.doubleCountedRuns += 1;
    f.underCountedTokens += under.reduce((s, m) => s + Math.max(0, m.issued - m.recorded), 0);
    f.doubleCountedTokens += over.reduce((s, m) => s + Math.max(0, m.recorded - m.issued), 0);
    f.estimatedCalls += a.estimated.calls;
    f.estimatedUnbilled += a.estimated.unbilled;
    f.estimatedOverTokens += a.estimated.overTokens;
    f.reconciledCalls += a.reconciled.calls;
    f.voidedCalls += a.reconciled.voided;
    if (a.totalsMismatch.length > 0) f.totalsMismatchRuns += 1;
    if (a.budgetOverrun) f.budgetOverruns += 1;
  }
  f.failedBecause = [...reasons].sort((a, b) => b[1] - a[1]);
  return f;
}

/** The one-line summary. */
export function summaryLine(
  f: SuiteFigures,
  ctx: { seed: number; faults: FaultCounts; restarts: number; elapsedMs: number; deadlineMs?: number },
): string {
  const why = f.failedBecause
    .slice(0, 3)
    .map(([r, n]) => `${n}× ${r.slice(0, 60)}`)
    .join("; ");
  return [
    `chaos seed=${ctx.seed} runs=${f.runs} completed=${f.completed}`,
    `failed=${f.failed}${why ? ` (${why}${f.failedBecause.length > 3 ? "; …" : ""})` : ""}`,
    `stuck=${f.stuck}${ctx.deadlineMs === undefined ? "" : ` (not terminal ${ctx.deadlineMs / 1000} s after start)`}`,
    ...(f.startErrors > 0 ? [`start-errors=${f.startErrors}`] : []),
    `lost=${f.lostOutputs} outputs in ${f.lostRuns} runs`,
    `| calls/node 0:${f.callsPerNode.zero} 1:${f.callsPerNode.one} 2+:${f.callsPerNode.twoPlus}`,
    `| tokens totals=${f.tokens.totals} nodes=${f.tokens.nodeSum} issued=${f.tokens.issued}`,
    `under-counted=${f.underCountedRuns} runs (-${f.underCountedTokens} tok)`,
    `double-counted=${f.doubleCountedRuns} runs (+${f.doubleCountedTokens} tok)`,
    `totals≠nodes=${f.totalsMismatchRuns}`,
    `| usd totals=${f.usdMicro.totals / 1e6} nodes=${f.usdMicro.nodeSum / 1e6} issued=${f.usdMicro.issued / 1e6} (largest run difference ${f.usdMicro.maxRunDiff} µUSD)`,
    `estimated=${f.estimatedCalls} calls (${f.estimatedUnbilled} with no billed call; +${f.estimatedOverTokens} tok over billed)`,
    `reconciled=${f.reconciledCalls} calls from the provider's log (+${f.voidedCalls} shown unbilled)`,
    `| budget overruns=${f.budgetOverruns}/${f.budgetRuns}`,
    `| faults ${formatFaultCounts(ctx.faults)} restarts=${ctx.restarts}`,
    `| ${(ctx.elapsedMs / 1000).toFixed(0)} s`,
  ].join(" ");
}

/** One line per run with a problem (not completed, lost outputs, token mismatch, totals mismatch, overrun). */
export function detailLines(audits: readonly RunAudit[]): string[] {
  const lines: string[] = [];
  for (const a of audits) {
    const problems: string[] = [];
    if (a.outcome === "stuck") {
      const open = a.stuckNodes.map((s) => {
        const faults = a.nodeFaults[s.split(":")[0] as string];
        return faults ? `${s}{${formatFaultCounts(faults)}}` : s;
      });
      problems.push(`STUCK [${open.join(" ") || "no open node"}]`);
    }
    if (a.outcome === "failed") problems.push(`FAILED: ${a.reason}`);
    if (a.outcome === "start-error") problems.push(`START ERROR: ${a.reason}`);
    if (a.lostOutputs.length > 0) problems.push(`LOST ${a.lostOutputs.join(" ")}`);
    for (const m of a.tokenMismatches) {
      const kind = m.kind === "under" ? "UNDER" : "DOUBLE";
      problems.push(
        `${kind} ${m.nodeId} recorded=${m.recorded} issued=${m.issued} calls=${m.calls} paid=${m.paidCalls} cache=${m.cache} (${m.why}) {node faults: ${formatFaultCounts(a.nodeFaults[m.nodeId] ?? {})}}`,
      );
    }
    if (a.totalsMismatch.length > 0) problems.push(`TOTALS≠NODES ${a.totalsMismatch.join(", ")}`);
    if (a.budgetOverrun) {
      const o = a.budgetOverrun;
      problems.push(`BUDGET OVERRUN budget=${o.budget} recorded=${o.recorded} issued=${o.issued}`);
    }
    if (problems.length > 0) {
      lines.push(
        `${a.tag} ${a.runId ?? "-"} ${a.shape}/${a.nodes}: ${problems.join("; ")} {faults: ${formatFaultCounts(a.faults)}}`,
      );
    }
  }
  return lines;
}

/** Problem classes of {@link faultsSeenBy}, each a test on a run audit. */
const PROBLEMS: [string, (a: RunAudit) => boolean][] = [
  ["stuck", (a) => a.outcome === "stuck"],
  ["lost", (a) => a.lostOutputs.length > 0],
  ["under-counted", (a) => a.tokenMismatches.some((m) => m.kind === "under")],
  ["double-counted", (a) => a.tokenMismatches.some((m) => m.kind === "double")],
  ["failed (not budget)", (a) => a.outcome === "failed" && !(a.reason ?? "").startsWith("run budget exceeded")],
  ["all runs", () => true],
];

/** Node problem classes of {@link faultsSeenBy}: the node ids of a run audit with each problem. */
const NODE_PROBLEMS: [string, (a: RunAudit) => string[]][] = [
  [
    "stuck nodes (open, not pending)",
    (a) => a.stuckNodes.filter((s) => !s.endsWith(":pending")).map((s) => s.split(":")[0] as string),
  ],
  ...[
    "cache-hit-after-paid-call",
    "extra-paid-call",
    "unfinished-node",
    "unbooked-call",
    "estimate-below-issued",
    "other",
  ].map((why): [string, (a: RunAudit) => string[]] => [
    `under-counted nodes (${why})`,
    (a) => a.tokenMismatches.filter((m) => m.kind === "under" && m.why === why).map((m) => m.nodeId),
  ]),
  ["double-counted nodes", (a) => a.tokenMismatches.filter((m) => m.kind === "double").map((m) => m.nodeId)],
  ["all nodes", (a) => Array.from({ length: a.nodes }, (_, i) => `n${i}`)],
];

/** `kind n/N` parts: how many of `items` saw at least one fault of each kind. */
function seenParts(items: readonly FaultCounts[]): string {
  const parts = (Object.keys(FAULT_KINDS) as FaultKind[])
    .map((k) => [k, items.filter((f) => (f[k] ?? 0) > 0).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}/${items.length}`);
  return parts.join(", ") || "no fault";
}

/**
 * Which fault kinds the runs and nodes with each problem went through: per problem class, `kind n/N` = n of its N
 * runs (nodes) saw at least one fault of that kind; the `all runs` and `all nodes` lines are the baselines. Node
 * faults are those on requests about that node (deliveries, callbacks, publishes), not Redis or worker kills.
 */
export function faultsSeenBy(audits: readonly RunAudit[]): string[] {
  const lines: string[] = [];
  for (const [name, test] of PROBLEMS) {
    const runs = audits.filter(test);
    if (runs.length === 0) continue;
    lines.push(`${name} (${runs.length} runs) went through: ${seenParts(runs.map((a) => a.faults))}`);
  }
  for (const [name, pick] of NODE_PROBLEMS) {
    const nodes = audits.flatMap((a) => pick(a).map((id) => a.nodeFaults[id] ?? {}));
    if (nodes.length === 0) continue;
    lines.push(`${name} (${nodes.length}) went through: ${seenParts(nodes)}`);
  }
  return lines;
}
