/**
 * The sweeper: heals runs that cannot make progress on their own (a lost message, a delivery that died with no
 * retry, a publish that never happened or was refused for good), and keeps what an active run needs from expiring.
 *
 * A Workers cron calls {@link sweep} every minute (functions/scheduled.ts). It takes up to `batch` runs whose next
 * look is due from the active-run index (shared/state/run-index.ts), never a keyspace scan, and for each:
 * - finished or expired: leaves the index; a finished run first books the calls whose answer never reached its
 *   books (a call intent with no paid record: call-intent.ts) at their reserved worst case, and a finished child run
 *   decides its parent's workflow node (sub-workflow-node.ts);
 * - running: finds its stuck nodes (stuck-nodes.ts), applies the repairs in one script that re-checks them
 *   (sweep_run: the node's offer time restarts, the repair is appended to the run's `repairs` list) and
 *   re-publishes those nodes with fresh deduplication ids, through the same dispatcher and the same idempotent
 *   claim as any message (a second message for a node is harmless: claim_node); gives the run's keys the active
 *   TTL again and, once the run is old enough for its blobs to near their retention, extends the input and output
 *   blobs; applies the timeout of a wait node still `waiting` a grace period past its deadline (wait-node.ts) and
 *   decides a workflow node still `waiting` whose child run has finished (sub-workflow-node.ts); then
 *   looks again one period later.
 * A failed publish leaves the repair recorded and the node `queued`: the next look after the grace period tries
 * again. Each repair is also logged as one line.
 */

import { liveBlobTtlSeconds, retainRunBlobs } from "./blob-retention.js";
import { deliveryDeadlineMs, dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { mapItemsRefs } from "./map-node.js";
import { keepReconciling, reconcileEstimates } from "./reconcile-estimates.js";
import { recoverRunHolds } from "./recover-holds.js";
import { loadRun } from "./run-cache.js";
import { findStuckNodes } from "./stuck-nodes.js";
import { notifyParent, resolveFinishedChildren } from "./sub-workflow-node.js";
import { timeOutOverdueWaits } from "./wait-node.js";

/** One repair the sweeper made. */
export interface SweepRepair {
  runId: string;
  nodeId: string;
  reason: string;
}

/** What one sweep did, for logs and tests. */
export interface SweepReport {
  /** Runs looked at. */
  looked: number;
  /** Runs that left the active index (finished or expired). */
  dropped: string[];
  repairs: SweepRepair[];
  /** Runs whose look failed (Redis or QStash); they are looked at again next period. */
  errors: { runId: string; error: string }[];
}

/**
 * Looks at the due runs of the active index once (see the module header).
 * @throws UpstashError when the active index cannot be read or updated; a failure on one run is reported in
 *   `errors` and does not stop the others.
 */
export async function sweep(engine: Engine): Promise<SweepReport> {
  const now = engine.now();
  const { periodMs, batch } = engine.config.sweeper;
  const due = await engine.runs.due(now, batch);
  const report: SweepReport = { looked: due.length, dropped: [], repairs: [], errors: [] };
  const next: { runId: string; at: number }[] = [];
  await Promise.all(
    due.map(async (runId) => {
      try {
        const outcome = await sweepRun(engine, runId, now);
        if (outcome === "gone") report.dropped.push(runId);
        else {
          report.repairs.push(...outcome);
          next.push({ runId, at: now + periodMs });
        }
      } catch (err) {
        report.errors.push({ runId, error: (err as Error).message });
        next.push({ runId, at: now + periodMs });
      }
    }),
  );
  await engine.runs.reschedule(next, report.dropped);
  return report;
}

/**
 * Looks at one run: `gone` when it is finished or expired, else the repairs made (possibly none). A finished run
 * whose estimated calls the usage log has not settled yet stays (no repairs) until its horizon
 * (reconcile-estimates.ts).
 * @param now ms since epoch.
 * @throws UpstashError or QstashError when Redis or QStash fail.
 */
export async function sweepRun(engine: Engine, runId: string, now: number): Promise<SweepRepair[] | "gone"> {
  const state = await engine.sweeps.read(runId);
  if (state?.meta.status !== "running") {
    // a finished run's calls whose answer never reached its books are booked at their worst case (call-intent.ts)
    // and its budget holds still open are closed from those books (recover-holds.ts)
    if (state) {
      // what it wrote lives the retention from its end, even an output written just before (blob-retention.ts)
      await retainRunBlobs(engine, runId, [state.frozen.inputRef, ...Object.values(state.output)]);
      await engine.store.bookUnrecorded(runId);
      // the provider's usage log turns estimates into what was billed, once settled (reconcile-estimates.ts)
      const reconciled = await reconcileEstimates(engine, runId);
      // estimates still open: the run stays in the index, looked at again next period, until the horizon; their
      // holds wait for them until the last look, which charges them at their worst case
      const keep = keepReconciling(engine, reconciled, Number(state.meta.finishedAt));
      await recoverRunHolds(engine, runId, state.frozen, { final: !keep });
      // a child run decides its parent's workflow node, if the request that finished it did not (sub-workflow-node.ts)
      await notifyParent(engine, runId, state.frozen);
      if (keep) return [];
    }
    return "gone";
  }
  const run = await loadRun(engine.store, runId, state.frozen);
  if (!run) return "gone";
  const { graceMs, periodMs } = engine.config.sweeper;
  const stuck = findStuckNodes({
    status: state.status,
    started: state.started,
    offered: state.offered,
    roots: new Set(run.dag.roots),
    createdAt: Number(state.meta.createdAt ?? state.frozen.createdAt),
    concurrency: Number(state.meta.concurrency ?? run.frozen.workflow.concurrency),
    deadlineMs: (id) => deliveryDeadlineMs(run, id),
    now,
    graceMs,
  });
  const applied = await engine.sweeps.apply(runId, now, engine.config.activeTtlSeconds, stuck);
  if (applied.runStatus !== "running") return "gone";
  const repairs = applied.repaired.map((r) => ({ runId, ...r }));
  for (const r of repairs) console.log(`sweeper: run ${runId} node ${r.nodeId} re-offered (${r.reason})`);
  // a retried or rerun run publishes under its current dispatch generation (claim_node refuses older ones)
  const generation = Number(state.meta.generation ?? state.meta.createdAt ?? state.frozen.createdAt);
  if (repairs.length > 0)
    await dispatchNodes(engine, run, [...new Set(repairs.map((r) => r.nodeId))], `${now}`, { generation });
  // a wait node still waiting a grace period past its deadline lost its timeout message: applied here (wait-node.ts)
  for (const nodeId of await timeOutOverdueWaits(engine, run, state.meta, state.status, now, graceMs)) {
    console.log(`sweeper: run ${runId} node ${nodeId} timed out (wait-timeout)`);
    repairs.push({ runId, nodeId, reason: "wait-timeout" });
  }
  // a workflow node whose child run finished without deciding it (sub-workflow-node.ts)
  for (const nodeId of await resolveFinishedChildren(engine, run, state.meta, state.status)) {
    console.log(`sweeper: run ${runId} node ${nodeId} decided from its child run (child-finished)`);
    repairs.push({ runId, nodeId, reason: "child-finished" });
  }
  const outputs = [...Object.values(state.output), ...mapItemsRefs(state.meta)];
  await keepBlobs(engine, state.frozen.inputRef, outputs, state.frozen.createdAt, now, periodMs);
  return repairs;
}

/**
 * Extends the run's input and output blobs to the retention plus two periods (blob-retention.ts
 * `liveBlobTtlSeconds`, the TTL they were written with), once the run is old enough that a blob written at its start
 * could expire before the next look (a run longer than its retention, e.g. a node in QStash backoff for days).
 */
async function keepBlobs(
  engine: Engine,
  inputRef: string,
  outputRefs: readonly string[],
  createdAt: number,
  now: number,
  periodMs: number,
): Promise<void> {
  const keepSeconds = liveBlobTtlSeconds(engine.config);
  if ((now - createdAt) / 1000 + Math.ceil((2 * periodMs) / 1000) < engine.config.retentionSeconds) return;
  await engine.blobs.touch([...new Set([inputRef, ...outputRefs])], keepSeconds);
}
