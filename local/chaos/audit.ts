/**
 * The audit of one chaos run (pure): from its spec, what the suite observed (did it end by its deadline, its final
 * run view and outputs) and what the provider issued for it, it finds: stuck (not terminal by the deadline), lost
 * outputs (a completed run missing a node's `done` or a sink's output), provider calls per node, run totals that
 * are not the sum of the nodes, nodes whose books do not match what the provider issued (under- or double-counted)
 * and budget overruns (tokens = input + output).
 *
 * The books rule: every call the provider billed maps to exactly one call booked on its node (the view's
 * `paidCalls`), none is booked twice, and a node's usage is the sum of its booked calls. A call booked exactly
 * matches one billed call's tokens exactly; a call booked `estimated` (its answer never reached the books, so it is
 * booked at its reserved worst case) matches a billed call it bounds (estimated ≥ issued), or none: its attempt
 * died after writing its intent and before the provider billed a request (a bound on a call that may not exist).
 * A call reconciled from the provider's usage log is exact; one the log showed unbilled is not in the books.
 */

import { costUsd } from "../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../shared/pricing/prices.js";
import type { RunView } from "../../shared/progress/run-view.js";
import { auditedNodes, type ChaosRunSpec } from "./dag-generator.js";
import type { FaultCounts } from "./faults.js";
import { type IssuedForNode, type Tokens, tokenSum, zeroTokens } from "./provider-ledger.js";

/** What the suite saw of one run. */
export interface ObservedRun {
  /** The run id, or null when starting it failed. */
  runId: string | null;
  /** Why starting it failed (after retries), or null. */
  startError: string | null;
  /** True when the run was terminal (`completed` or `failed`) by its deadline. */
  terminalByDeadline: boolean;
  /** The run view read at audit time (after the deadline), with `budgetUsage`; null when unreadable. */
  view: (RunView & { budgetUsage?: { usedTokens: number; reservedTokens: number } | null }) | null;
  /** `GET /v1/runs/:id/output` outputs (sink id -> text or null), or null when unreadable. */
  outputs: Record<string, string | null> | null;
  /** Faults injected on requests that named this run (fault-attribution.ts). */
  faults: FaultCounts;
  /** Faults injected on requests about one node of this run, by node id (deliveries, callbacks, publishes). */
  nodeFaults: Record<string, FaultCounts>;
}

/** A node whose recorded usage differs from what the provider issued for it. */
export interface TokenMismatch {
  nodeId: string;
  /** Tokens recorded on the node (all four counts added). */
  recorded: number;
  /** Tokens the provider issued for the node's paid calls. */
  issued: number;
  calls: number;
  paidCalls: number;
  /** The node's result-cache outcome (`hit` means no call was recorded). */
  cache: string | null;
  /** The node's status in the run view. */
  status: string;
  /** `cache-hit-after-paid-call`, `extra-paid-call`, `unfinished-node` (paid, but the node never finished),
   * `unbooked-call`, `booked-twice`, `exact-not-issued`, `estimate-below-issued`, `usage-not-booked-sum` or `other`. */
  why: string;
  /** `under`: a billed call is missing from the books or counted below what was billed; `double`: more booked
   * than billed. */
  kind: "under" | "double";
  /** Calls booked at their worst case on this node. */
  estimatedCalls: number;
}

/** The audit of one run. */
export interface RunAudit {
  tag: string;
  runId: string | null;
  shape: string;
  nodes: number;
  /** `completed`/`failed` when terminal by the deadline; `stuck` otherwise; `start-error` when never started. */
  outcome: "completed" | "failed" | "stuck" | "start-error";
  /** For `failed`: the first failed node's error, digits folded (for grouping); for `start-error`: the error. */
  reason: string | null;
  /** For `stuck`: nodes not terminal at audit time, as `id:status`. */
  stuckNodes: string[];
  /** For a completed run: nodes not `done`, or sinks without an output. */
  lostOutputs: string[];
  /** Nodes by number of provider calls received (any answer). */
  callsPerNode: { zero: number; one: number; twoPlus: number };
  /** Run totals that are not the sum of the nodes, as `field: total vs sum`. */
  totalsMismatch: string[];
  /** Nodes whose recorded usage is not what the provider issued. */
  tokenMismatches: TokenMismatch[];
  /** Calls booked at their reserved worst case, those of them that stand for no billed call, and their tokens over
   * what the provider billed for them. */
  estimated: { calls: number; unbilled: number; overTokens: number };
  /** Estimated calls since booked from the provider's usage log: exactly (`reconciled`, in the books as exact calls)
   * or as no call (`voided`: the log showed none billed). */
  reconciled: { calls: number; voided: number };
  /** Recorded, node-summed and issued tokens (all four counts) and USD. */
  tokens: { totals: number; nodeSum: number; issued: number };
  usd: { totals: number; nodeSum: number; issued: number };
  /** When a token budget was exceeded: the budget, recorded spend and issued spend (input + output). Recorded
   * counts the exact calls only: an estimated call is a bound, booked in input and output tokens, which may stand
   * for no billed call (its intent was written, its attempt died before the request). */
  budgetOverrun: { budget: number; recorded: number; issued: number } | null;
  /** Faults injected on requests that named this run. */
  faults: FaultCounts;
  /** Faults injected on requests about one node of this run, by node id. */
  nodeFaults: Record<string, FaultCounts>;
  /** The run's compensation (its state and its compensations by status), or null when it did not compensate. */
  compensation?: { status: string; byStatus: Record<string, number> } | null;
}

const TERMINAL_NODE = new Set(["done", "failed", "skipped"]);
const micro = (usd: number): number => Math.round(usd * 1e6);

/** An error message with numbers (`1,024`, `0.5`) folded to `#` and cut to 100 characters, so equal causes group. */
export function foldReason(text: string): string {
  return text
    .replace(/run_[0-9a-f]{26}/g, "run_…")
    .replace(/\d(?:[\d,.]*\d)?/g, "#")
    .slice(0, 100);
}

function nodeTokens(n: { usage: Tokens | null }): Tokens {
  return n.usage ?? zeroTokens();
}

/**
 * Audits one run.
 * @param issued what the provider issued per node id for this run's tag (missing node: no call).
 */
export function auditRun(spec: ChaosRunSpec, seen: ObservedRun, issued: ReadonlyMap<string, IssuedForNode>): RunAudit {
  const audit: RunAudit = {
    tag: spec.tag,
    runId: seen.runId,
    shape: spec.shape,
    nodes: spec.nodes.length,
    outcome: "start-error",
    reason: seen.startError,
    stuckNodes: [],
    lostOutputs: [],
    callsPerNode: { zero: 0, one: 0, twoPlus: 0 },
    totalsMismatch: [],
    tokenMismatches: [],
    estimated: { calls: 0, unbilled: 0, overTokens: 0 },
    reconciled: { calls: 0, voided: 0 },
    tokens: { totals: 0, nodeSum: 0, issued: 0 },
    usd: { totals: 0, nodeSum: 0, issued: 0 },
    budgetOverrun: null,
    faults: seen.faults,
    nodeFaults: seen.nodeFaults,
  };
  let issuedInOut = 0;
  for (const node of auditedNodes(spec)) {
    const got = issued.get(node.id);
    const calls = got?.calls ?? 0;
    if (calls === 0) audit.callsPerNode.zero += 1;
    else if (calls === 1) audit.callsPerNode.one += 1;
    else audit.callsPerNode.twoPlus += 1;
    if (got) {
      audit.tokens.issued += tokenSum(got.tokens);
      issuedInOut += got.tokens.inputTokens + got.tokens.outputTokens;
      if (got.paidCalls > 0) audit.usd.issued += costUsd(got.model ?? "", got.tokens, DEFAULT_PRICES);
    }
  }
  if (seen.runId === null) return audit;
  const view = seen.view;
  if (!seen.terminalByDeadline) audit.outcome = "stuck";
  else audit.outcome = view?.status === "completed" ? "completed" : "failed";
  if (!view) {
    audit.reason ??= "run view unreadable";
    return audit;
  }
  const viewNodes = view.levels.flatMap((l) => l.nodes);
  audit.reconciled = { calls: view.totals.reconciledCalls ?? 0, voided: view.totals.voidedCalls ?? 0 };
  const byId = new Map(viewNodes.map((n) => [n.id, n]));
  const c = view.compensation;
  audit.compensation = c ? { status: c.status, byStatus: {} } : null;
  for (const n of c?.nodes ?? [])
    audit.compensation!.byStatus[n.status] = (audit.compensation!.byStatus[n.status] ?? 0) + 1;
  // compensations (shared/progress/compensation-view.ts) are paid calls too: in the totals and the books
  const booked = [...viewNodes, ...(view.compensation?.nodes ?? []).map((c) => ({ ...c, cache: null }))];
  for (const id of spec.compensated ?? []) {
    const got = issued.get(`${id}~compensate`);
    if (!got) continue;
    audit.tokens.issued += tokenSum(got.tokens);
    issuedInOut += got.tokens.inputTokens + got.tokens.outputTokens;
    if (got.paidCalls > 0) audit.usd.issued += costUsd(got.model ?? "", got.tokens, DEFAULT_PRICES);
  }
  if (audit.outcome === "stuck") {
    audit.stuckNodes = viewNodes.filter((n) => !TERMINAL_NODE.has(n.status)).map((n) => `${n.id}:${n.status}`);
    audit.reason = `run ${view.status} at deadline`;
  }
  if (audit.outcome === "failed") {
    const first = viewNodes.find((n) => n.status === "failed");
    audit.reason = foldReason(first?.error ?? `run ${view.status}, no failed node`);
  }
  if (audit.outcome === "completed") {
    const sinks = spec.nodes.filter((n) => !spec.nodes.some((m) => m.dependsOn.includes(n.id))).map((n) => n.id);
    for (const n of auditedNodes(spec))
      if (byId.get(n.id)?.status !== "done") audit.lostOutputs.push(`${n.id}:not-done`);
    for (const id of sinks) if (typeof seen.outputs?.[id] !== "string") audit.lostOutputs.push(`${id}:no-output`);
  }

  // run totals against the sum of the nodes
  const sum = zeroTokens();
  let nodeMicro = 0;
  for (const n of booked) {
    const t = nodeTokens(n);
    sum.inputTokens += t.inputTokens;
    sum.outputTokens += t.outputTokens;
    sum.cacheReadTokens += t.cacheReadTokens;
    sum.cacheWriteTokens += t.cacheWriteTokens;
    nodeMicro += micro(n.costUsd ?? 0);
  }
  for (const k of Object.keys(sum) as (keyof Tokens)[]) {
    if (view.totals[k] !== sum[k]) audit.totalsMismatch.push(`${k}: ${view.totals[k]} vs ${sum[k]}`);
  }
  if (micro(view.totals.costUsd) !== nodeMicro) {
    audit.totalsMismatch.push(`costUsd: ${view.totals.costUsd} vs ${nodeMicro / 1e6}`);
  }
  audit.tokens.totals = tokenSum(view.totals);
  audit.tokens.nodeSum = tokenSum(sum);
  audit.usd.totals = view.totals.costUsd;
  audit.usd.nodeSum = nodeMicro / 1e6;

  // each node's books against what the provider issued
  for (const n of booked) {
    const got = issued.get(n.id);
    const recorded = tokenSum(nodeTokens(n));
    const issuedTokens = got ? tokenSum(got.tokens) : 0;
    const paid = got?.paidCalls ?? 0;
    const mismatch = (why: string, kind: "under" | "double", estimatedCalls = 0): TokenMismatch => ({
      nodeId: n.id,
      recorded,
      issued: issuedTokens,
      calls: got?.calls ?? 0,
      paidCalls: paid,
      cache: n.cache,
      status: n.status,
      why,
      kind,
      estimatedCalls,
    });
    if (n.paidCalls === undefined && recorded === 0 && issuedTokens === 0) continue;
    if (n.paidCalls === undefined && recorded !== issuedTokens) {
      // a view without per-call books: usage against what was issued
      let why = "other";
      if (recorded < issuedTokens && n.status !== "done") why = "unfinished-node";
      else if (recorded < issuedTokens && n.cache === "hit") why = "cache-hit-after-paid-call";
      else if (recorded < issuedTokens && paid >= 2) why = "extra-paid-call";
      audit.tokenMismatches.push(mismatch(why, recorded < issuedTokens ? "under" : "double"));
      continue;
    }
    if (n.paidCalls === undefined) continue;
    const check = matchBooks(n.paidCalls, got?.paidTokens ?? []);
    audit.estimated.calls += check.estimatedCalls;
    audit.estimated.unbilled += check.unbilled;
    audit.estimated.overTokens += check.overTokens;
    const bookedSum = n.paidCalls.reduce((a, c) => a + c.tokens, 0);
    if (check.problem) audit.tokenMismatches.push(mismatch(check.problem, check.kind, check.estimatedCalls));
    else if (bookedSum !== recorded) audit.tokenMismatches.push(mismatch("usage-not-booked-sum", "double"));
  }

  if (spec.budgetTokens !== null) {
    const recordedInOut = sum.inputTokens + sum.outputTokens - (view.totals.estimatedTokens ?? 0);
    if (recordedInOut > spec.budgetTokens || issuedInOut > spec.budgetTokens) {
      audit.budgetOverrun = { budget: spec.budgetTokens, recorded: recordedInOut, issued: issuedInOut };
    }
  }
  return audit;
}

/** Outcome of {@link matchBooks}: a problem (`kind` says which way) or none, and the estimated calls' figures. */
interface BooksCheck {
  problem: string | null;
  kind: "under" | "double";
  estimatedCalls: number;
  /** Estimated calls that stand for no billed call. */
  unbilled: number;
  /** Tokens the estimated calls booked beyond the billed calls they stand for. */
  overTokens: number;
}

/**
 * Matches a node's booked calls to the calls the provider billed for it: exact ones to billed calls of exactly the
 * same tokens, then estimated ones (largest first) to the remaining billed calls (largest first), each estimate at
 * least its call; estimates left over stand for no billed call. Sorted pairing finds a bounding match whenever one
 * exists.
 * @param booked the node's `paidCalls`. @param billed tokens of each billed call.
 */
export function matchBooks(
  booked: readonly { tokens: number; estimated: boolean }[],
  billed: readonly number[],
): BooksCheck {
  const estimates = booked.filter((c) => c.estimated).map((c) => c.tokens);
  const result: BooksCheck = {
    problem: null,
    kind: "under",
    estimatedCalls: estimates.length,
    unbilled: 0,
    overTokens: 0,
  };
  if (booked.length < billed.length) return { ...result, problem: "unbooked-call", kind: "under" };
  const left = [...billed];
  for (const c of booked) {
    if (c.estimated) continue;
    const i = left.indexOf(c.tokens);
    if (i < 0) return { ...result, problem: left.length === 0 ? "booked-twice" : "exact-not-issued", kind: "double" };
    left.splice(i, 1);
  }
  left.sort((a, b) => b - a);
  estimates.sort((a, b) => b - a);
  if (estimates.length < left.length) return { ...result, problem: "unbooked-call", kind: "under" };
  for (let i = 0; i < estimates.length; i++) {
    const e = estimates[i] as number;
    const b = left[i];
    if (b !== undefined && e < b) return { ...result, problem: "estimate-below-issued", kind: "under" };
    result.overTokens += e - (b ?? 0);
    if (b === undefined) result.unbilled += 1;
  }
  return result;
}
