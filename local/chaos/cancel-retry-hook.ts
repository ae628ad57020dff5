/**
 * The fault "one run cancelled and retried mid-flight": once a run chosen by the seed has started some node,
 * `POST /v1/runs/:id/cancel`, a pause for the calls already in flight to end, then `POST /v1/runs/:id/retry`. The
 * suite then follows the run to its end and audits it like any other (every provider call counted once, totals
 * balanced, ends completed), and this hook reports the provider calls that started between the cancel's answer and
 * the retry (there must be none: no node starts after a cancel).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { cancelRun, getRun, retryRun } from "./run-api.js";

/** What the hook did. */
export type CancelRetryOutcome =
  | { done: false; runId: string; why: string }
  | {
      done: true;
      runId: string;
      /** Nodes the cancel found running or retrying (their calls may still finish and be recorded). */
      runningAtCancel: number;
      /** Provider calls of the run that started after the cancel answered and before the retry was sent. */
      callsAfterCancel: number;
      /** The try the retry started (2 for a first retry). */
      retryTry: number;
    };

/** Longest wait for the run to have a node started, ms. */
const START_WAIT_MS = 20_000;
/** Pause between the cancel's answer and the retry, ms: calls in flight at the cancel end (aborted or answered). */
const SETTLE_MS = 1_500;

/**
 * Cancels run `runId` (at `baseUrl`) mid-flight, once a node has started and before it ends, then retries it.
 * @param callsSince provider calls of this run that started at or after `t` (ms since epoch), from the fake's ledger.
 * @returns `{done: false}` when the run ended before it could be cancelled, or a request failed for good.
 */
export async function cancelAndRetryMidFlight(
  baseUrl: string,
  runId: string,
  callsSince: (t: number) => number,
): Promise<CancelRetryOutcome> {
  try {
    const until = Date.now() + START_WAIT_MS;
    let runningAtCancel = 0;
    for (;;) {
      const view = await getRun(baseUrl, runId);
      if (view.status !== "running") return { done: false, runId, why: `run ${view.status} before the cancel` };
      const nodes = view.levels.flatMap((l) => l.nodes);
      const busy = nodes.filter((n) => n.status === "running" || n.status === "retrying").length;
      if (busy > 0 && nodes.some((n) => n.status === "done")) {
        runningAtCancel = busy;
        break;
      }
      if (Date.now() > until) return { done: false, runId, why: "no node started in time" };
      await sleep(50);
    }
    if (!(await cancelRun(baseUrl, runId))) return { done: false, runId, why: "run ended before the cancel" };
    const cancelledAt = Date.now();
    await sleep(SETTLE_MS);
    const callsAfterCancel = callsSince(cancelledAt);
    const restarted = await retryRun(baseUrl, runId, `chaos-retry-${runId}`);
    return { done: true, runId, runningAtCancel, callsAfterCancel, retryTry: restarted.try };
  } catch (err) {
    return { done: false, runId, why: err instanceof Error ? err.message : String(err) };
  }
}
