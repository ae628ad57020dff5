/**
 * Which nodes of an active run cannot make progress on their own: the sweeper's detection, a pure function of what
 * it read (shared/engine/sweeper.ts applies and publishes the repairs).
 *
 * - `root-not-published`: a root `queued` and never attempted, offered longer than the grace period ago while the
 *   run has a free slot (a crash between `start_run` and the publish of the roots);
 * - `dependents-not-offered`: a node a finished node took (`queued`, never attempted), in the same situation (the
 *   publish after the completion died or was refused for good);
 * - `message-lost`: any other `queued` node with no attempt since it was offered (its message was deleted or
 *   lost);
 * - `lease-expired`: a `running` node past its delivery's deadline (start or latest offer + timeout + margin +
 *   grace): the delivery died and no retry came;
 * - `retry-lost`: a `retrying` node with no attempt for longer than QStash's longest retry backoff plus its
 *   deadline: the message holding its retries is gone.
 * A `queued` node is not stuck while the run's slots are full: its message may be waiting for one (flow control).
 * A `waiting` node (a parked wait node) is never stuck here: it holds no slot, and past its deadline the sweeper
 * applies its timeout instead (shared/engine/wait-node.ts `timeOutOverdueWaits`).
 */

/** Why the sweeper re-offers a node. `ready-not-taken` is decided inside sweep_run (free slots, ready nodes). */
export type StuckReason =
  | "root-not-published"
  | "dependents-not-offered"
  | "message-lost"
  | "lease-expired"
  | "retry-lost"
  | "ready-not-taken";

/**
 * Longest wait between two QStash retries, ms: the default backoff is `min(86400, e^(2.5·retried))` seconds
 * (QStash docs, "Retry"), so one day.
 */
export const MAX_RETRY_BACKOFF_MS = 86_400_000;

/** What detection reads of a run: raw per-node hash values (ms as strings) and the run's shape. */
export interface StuckInput {
  status: Readonly<Record<string, string>>;
  started: Readonly<Record<string, string>>;
  offered: Readonly<Record<string, string>>;
  /** Nodes without dependencies. */
  roots: ReadonlySet<string>;
  /** Run creation time, ms: the offer time of a node taken before offer times were recorded. */
  createdAt: number;
  /** Flow-control parallelism of the run (its slots). */
  concurrency: number;
  /** A node's delivery deadline after its start, ms (its message's timeout, margin included). */
  deadlineMs: (nodeId: string) => number;
  /** Current time, ms. */
  now: number;
  /** How long a queued node may wait for its delivery before it counts as lost, ms. */
  graceMs: number;
}

/** A node to re-offer: why, and the status and time seen (for sweep_run's re-check). */
export interface StuckNode {
  nodeId: string;
  reason: StuckReason;
  seen: "queued" | "running" | "retrying";
  /** The stored `offered` (queued) or `started` (running, retrying) value as read; '' when absent. */
  mark: string;
}

/**
 * The stuck nodes of a running run, in node order of `status`.
 * @returns empty when nothing is stuck.
 */
export function findStuckNodes(s: StuckInput): StuckNode[] {
  const stuck: StuckNode[] = [];
  const time = (h: Readonly<Record<string, string>>, id: string): number | null =>
    h[id] === undefined || h[id] === "" ? null : Number(h[id]);
  let liveRunning = 0;
  for (const [id, st] of Object.entries(s.status)) {
    if (st !== "running") continue;
    const since = Math.max(time(s.started, id) ?? s.createdAt, time(s.offered, id) ?? 0);
    if (s.now - since > s.deadlineMs(id) + s.graceMs)
      stuck.push({ nodeId: id, reason: "lease-expired", seen: "running", mark: s.started[id] ?? "" });
    else liveRunning += 1;
  }
  for (const [id, st] of Object.entries(s.status)) {
    if (st === "retrying") {
      const since = Math.max(time(s.started, id) ?? s.createdAt, time(s.offered, id) ?? 0);
      if (s.now - since > MAX_RETRY_BACKOFF_MS + s.deadlineMs(id) + s.graceMs)
        stuck.push({ nodeId: id, reason: "retry-lost", seen: "retrying", mark: s.started[id] ?? "" });
      continue;
    }
    if (st !== "queued" || liveRunning >= s.concurrency) continue;
    const offered = time(s.offered, id) ?? s.createdAt;
    const started = time(s.started, id);
    if (started !== null && started >= offered) continue; // claimed since, then deferred: a delayed message waits
    if (s.now - offered < s.graceMs) continue;
    const reason: StuckReason =
      started !== null ? "message-lost" : s.roots.has(id) ? "root-not-published" : "dependents-not-offered";
    stuck.push({ nodeId: id, reason, seen: "queued", mark: s.offered[id] ?? "" });
  }
  return stuck;
}
