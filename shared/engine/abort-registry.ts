/**
 * In-flight provider calls of this isolate, by run: each delivery holds an AbortController from its start (before it
 * claims its node) to its end, and its provider calls' AbortSignal derives from it. `POST /v1/runs/:id/cancel`
 * marks the run cancelled here; every delivery of the run this isolate holds sees the mark within
 * {@link ABORT_POLL_MS} and aborts its own controller. (Workers forbid touching another request's I/O, such as its
 * pending fetch, so the cancel request cannot abort it itself.) Calls held by other isolates finish, and their
 * outputs are recorded (complete_node after a cancel). An aborted call is booked and its budget hold settled at its
 * reserved worst case: it may have been billed (model-call.ts `callRouted`).
 */

/** How often a delivery looks for its run's cancel mark, ms: a timer per held delivery (a fan-out holds hundreds at once). */
export const ABORT_POLL_MS = 50;

/** How long a cancel mark is kept, ms: longer than any delivery of the run that could still be starting. */
const MARK_TTL_MS = 15 * 60_000;

const held = new Map<string, number>();
const cancelled = new Map<string, number>();

/** A delivery's hold on its run's abort: `signal` aborts when the run is cancelled here; `release()` when it ends. */
export interface RunAbortHold {
  signal: AbortSignal;
  release(): void;
}

/**
 * Registers a delivery of run `runId` (one hold per delivery). Call `release()` when the delivery ends.
 * @param opts.compensation a delivery of a compensation node (shared/dag/compensation.ts): compensations run after a
 *   cancel, so the run's cancel mark does not abort it.
 * @param opts.generation the delivery's dispatch generation (ms since epoch: the run's creation, or its latest retry
 *   or rerun): a cancel marked before it belongs to an earlier try and does not abort this delivery.
 */
export function holdRunAbort(
  runId: string,
  opts: { compensation?: boolean; generation?: number | undefined } = {},
): RunAbortHold {
  const controller = new AbortController();
  held.set(runId, (held.get(runId) ?? 0) + 1);
  const check = () => {
    const markedAt = cancelled.get(runId);
    const earlierTry = markedAt !== undefined && opts.generation !== undefined && opts.generation > markedAt;
    if (!opts.compensation && markedAt !== undefined && !earlierTry && !controller.signal.aborted)
      controller.abort(new DOMException("run cancelled", "AbortError"));
  };
  check();
  const timer = setInterval(check, ABORT_POLL_MS);
  let released = false;
  return {
    signal: controller.signal,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      const n = (held.get(runId) ?? 1) - 1;
      if (n <= 0) held.delete(runId);
      else held.set(runId, n);
    },
  };
}

/**
 * Marks run `runId` cancelled in this isolate: its deliveries abort their provider calls within
 * {@link ABORT_POLL_MS}, and a delivery that starts later aborts at once.
 * @param now ms since epoch (marks older than 15 minutes are forgotten).
 * @returns how many deliveries of the run this isolate holds (they abort at their next look).
 */
export function abortRun(runId: string, now = Date.now()): number {
  for (const [id, at] of cancelled) if (now - at > MARK_TTL_MS) cancelled.delete(id);
  cancelled.set(runId, now);
  return held.get(runId) ?? 0;
}

/** How many deliveries of run `runId` this isolate holds. */
export function heldDeliveries(runId: string): number {
  return held.get(runId) ?? 0;
}
