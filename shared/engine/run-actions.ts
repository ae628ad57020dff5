import { admitRestart } from "../quota/quota-gate.js";
import type { RunActionResult } from "../state/run-store.js";
import { stopRunMessages } from "./advance.js";
import { dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { loadRun } from "./run-cache.js";
import { cancelChildRuns, notifyParent } from "./sub-workflow-node.js";

/**
 * What `POST /v1/runs/:id/cancel` did: `cancelled` (now: `nodes` cancelled, `messagesCancelled` QStash messages
 * cancelled), `already` (an idempotent repeat), `finished` (the run had ended `status`, or is `compensating`:
 * nothing changed), `missing`.
 */
export type CancelOutcome =
  | { kind: "cancelled"; nodes: number; messagesCancelled: number }
  | { kind: "already" }
  | { kind: "finished"; status: string }
  | { kind: "missing" };

/**
 * Cancels a running run: cancel_run (Lua) first, so no node starts from then on (claim_node refuses), then the
 * run's provider calls this isolate holds are aborted and the messages QStash still holds are cancelled by label
 * (best effort: a failure is logged). Calls other isolates hold finish, and their outputs and usage are recorded.
 * When done nodes have a `compensate` step, their compensations are published last (the run compensates).
 * A publish failure is left to the sweeper (the compensations stay `queued`, the run `running`).
 * The run's child runs (workflow nodes) are cancelled too, and a child run's parent node fails as cancelled
 * (sub-workflow-node.ts).
 * @throws UpstashError when Redis fails (nothing changed then, or the cancel applied and a repeat answers `already`).
 */
export async function cancelRun(engine: Engine, runId: string): Promise<CancelOutcome> {
  const r = await engine.store.cancelRun(runId, engine.now());
  if (r.outcome === "missing") return { kind: "missing" };
  if (r.outcome === "already") {
    // a repeat also retries the cancel of the messages, in case the first request died before it
    await stopRunMessages(engine, runId);
    await cascade(engine, runId);
    return { kind: "already" };
  }
  if (r.outcome === "finished") return { kind: "finished", status: r.status };
  const messagesCancelled = await stopRunMessages(engine, runId);
  await cascade(engine, runId);
  // the compensations of the done nodes go out after the run's messages were cancelled by label, not before
  const run = r.dispatch?.length ? await loadRun(engine.store, runId) : null;
  if (run && r.dispatch) await dispatchNodes(engine, run, r.dispatch, undefined, { generation: r.generation });
  return { kind: "cancelled", nodes: r.nodes, messagesCancelled };
}

/** A cancel's part in sub-workflows: cancels the run's child runs, and fails its parent's node when it is a child. */
async function cascade(engine: Engine, runId: string): Promise<void> {
  await cancelChildRuns(engine, runId, cancelRun);
  // the run is loaded (and cached) by now: a top-level run is told apart without reading its snapshot
  const frozen = (await loadRun(engine.store, runId))?.frozen ?? null;
  await notifyParent(engine, runId, frozen).catch((err: unknown) => {
    console.error(`run ${runId}: its parent's node not decided at its cancel (${String(err)})`);
  });
}

/** A retry or rerun as requested: the run, the node to rerun from (rerun only) and the `Idempotency-Key`. */
export interface RunActionRequest {
  runId: string;
  from?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Owner of the run: its quota (`runsPerMinute`, `concurrentRuns`) applies; unset = no quota check. */
  tenant?: string | undefined;
}

/**
 * Retries a failed or cancelled run in place (no `from`), or recomputes node `from` and its descendants (rerun),
 * then publishes the nodes the transition took under the run's new dispatch generation (`from` marked `fresh`: it
 * skips the result cache read). A repeat with the same Idempotency-Key changes nothing and publishes nothing.
 * The run is put back in the sweeper's active index first: if the publish fails, the run stays `running` with
 * those nodes `queued`, and the sweeper re-offers them.
 * The tenant's quota is checked first (shared/quota/quota-gate.ts `admitRestart`): a refusal changes nothing, and
 * what it counted is given back when the run does not run again.
 * @throws ProblemError 429 `quota-runs-per-minute` or `quota-concurrent-runs` (with `Retry-After`).
 * @throws UpstashError or QstashError when Redis or QStash fail.
 */
export async function retryOrRerun(engine: Engine, req: RunActionRequest): Promise<RunActionResult> {
  const params = {
    now: engine.now(),
    generation: engine.now(),
    activeTtlSeconds: engine.config.activeTtlSeconds,
    idempotencyKey: req.idempotencyKey,
  };
  const ticket = req.tenant === undefined ? null : await admitRestart(engine.quotas, req.tenant, req.runId, params.now);
  const release = async () => {
    if (ticket) await engine.quotas?.store.release(ticket).catch(() => undefined);
  };
  let r: RunActionResult;
  try {
    r =
      req.from === undefined
        ? await engine.store.retryRun(req.runId, params)
        : await engine.store.rerunFrom(req.runId, req.from, params);
  } catch (err) {
    await release();
    throw err;
  }
  if (r.kind !== "applied") {
    await release();
    return r;
  }
  // the sweeper dropped the run when it finished: it watches it again (a lost publish below is then healed)
  await engine.runs.watch(req.runId, params.now + engine.config.sweeper.graceMs);
  if (r.dispatch.length === 0) return r;
  const run = await loadRun(engine.store, req.runId);
  if (run) await dispatchNodes(engine, run, r.dispatch, undefined, { generation: r.generation, fresh: req.from });
  return r;
}
