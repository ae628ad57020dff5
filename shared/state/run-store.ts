import type { Redis } from "@upstash/redis";
import { compensationMeta } from "../dag/compensation.js";
import type { CompiledDag } from "../dag/compile.js";
import type { FailurePolicy } from "../schema/workflow.js";
import { hmgetValues } from "../util/hmget-values.js";
import { LuaScripts, type RedisPipeline } from "../util/lua-scripts.js";
import type { BoundDeliveryToken } from "./delivery-tokens.js";
import { type RunKeys, runKeys } from "./keys.js";
import { BOOK_UNRECORDED_LUA, RECORD_INTENT_LUA } from "./lua/call-intent.js";
import { CANCEL_RUN_LUA } from "./lua/cancel-run.js";
import { CLAIM_NODE_LUA } from "./lua/claim-node.js";
import { COMPLETE_NODE_LUA } from "./lua/complete-node.js";
import { DEFER_NODE_LUA } from "./lua/defer-node.js";
import { EXPAND_MAP_LUA } from "./lua/expand-map.js";
import { FAIL_NODE_LUA } from "./lua/fail-node.js";
import { GIVE_UP_LEASE_LUA } from "./lua/give-up-lease.js";
import { OFFER_AGAIN_LUA } from "./lua/offer-again.js";
import { READ_EVENTS_LUA } from "./lua/read-events.js";
import { RECONCILE_ESTIMATE_LUA } from "./lua/reconcile-estimate.js";
import { RECORD_PAID_LUA } from "./lua/record-paid.js";
import { RERUN_FROM_LUA } from "./lua/rerun-from.js";
import { RETRY_NODE_LUA } from "./lua/retry-node.js";
import { RETRY_RUN_LUA } from "./lua/retry-run.js";
import { START_RUN_LUA } from "./lua/start-run.js";
import { ParkStore } from "./park-store.js";
import { prefetchMessages } from "./prefetch.js";
import { eventCap, nextStreamId, parseXrange, type RunEvent } from "./run-events.js";
import type { FrozenRun, RunSnapshot, RunStatus } from "./run-types.js";

/** The slice of the Upstash Redis client the run store uses (created with `automaticDeserialization: false`). */
export type RunRedis = Pick<Redis, "createScript" | "get" | "del" | "hmget" | "pipeline">;

/** Arguments of {@link RunStore.startRun}. */
export interface StartRunParams {
  frozen: FrozenRun;
  dag: CompiledDag;
  /** SHA-256 hex of the trigger, compared when an idempotency key is reused. */
  fingerprint: string;
  /** ms since epoch. */
  now: number;
  /** Seconds a finished run's keys are kept (config `RUN_RETENTION_SECONDS`). */
  retentionSeconds: number;
  /** Seconds the keys of an active run live at most (a safety net against runs that never finish). */
  activeTtlSeconds: number;
  /** Most nodes one delivery of the run may run (its chain limit, resolved by the caller; 1: no chains): decides
   * how many messages the run keeps published ahead (prefetch.ts). */
  nodesPerDelivery: number;
  /** Queues commands that run before the script, in the same request (the run's index entries: run-index.ts). */
  first?: ((p: RedisPipeline) => void) | undefined;
}

/**
 * Slots of a run: how many nodes may run at once (QStash flow-control parallelism; a run without chains publishes a
 * few more, see prefetch.ts). `sequential` runs one node at a time; the other modes use the
 * workflow's `concurrency`.
 */
export function runConcurrency(mode: RunMode, concurrency: number): number {
  return mode === "sequential" ? 1 : concurrency;
}

/** Outcome of {@link RunStore.startRun}. */
export type StartRunResult =
  | { created: true; roots: string[] }
  | { created: false; status: string; fingerprint: string };

/** Outcome of {@link RunStore.claimNode}: `attempt` is 1-based; `refs` are the requested upstream output refs (nodes
 * without an output are absent); `reason` says why the delivery must not run; `stillQueued` (for a node already
 * `done` or `failed`) are the nodes its transition took that are still `queued`, to publish again. `resumed`: the
 * node was finished, but an older attempt of the same message had gone on to run a chain of nodes and died (or
 * timed out) while running `nodeId`; this delivery now holds that node (attempt `attempt`; its refs are not read),
 * and `stillQueued` lists what the chain's finished links took that is still `queued`. `held`: another attempt holds
 * `nodeId` (the message's node, or the chain link to resume) under `lease` since `startedAt` (ms): its outcome is not
 * known yet (take-node.ts waits, and takes over with `takeover` once the holder's deadline has passed). A claimed
 * map child also carries its map's `mapExpansion` (null before the map expanded). */
export type ClaimResult =
  | { claimed: true; attempt: number; refs: Record<string, string>; mapExpansion?: MapExpansion | null }
  | { claimed: false; reason: string; stillQueued: string[] }
  | { claimed: "resumed"; nodeId: string; attempt: number; stillQueued: string[] }
  | { claimed: "held"; nodeId: string; lease: string; startedAt: number };

/** What the execute step produced, recorded by {@link RunStore.completeNode}. Tokens as billed; cache reads and
 * writes are not part of `inputTokens`. */
export interface NodeCompletion {
  outputRef: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
  /** Cost of the call in integer micro-USD (1e-6 USD). */
  costMicroUsd?: number | undefined;
  /** Routing decision: `<provider>|<tier>|<source>|<reason>`. */
  route?: string | undefined;
  /** The attempt of the node whose paid call the usage above is (recorded once per attempt, see record-paid.ts);
   * absent when no call of this node produced the output (a cache hit on another node's entry). */
  paidAttempt?: number | undefined;
  /** Result cache outcome, when the node uses the cache. */
  cache?: { outcome: "hit" | "shared" | "miss"; savedTokens: number; savedMicroUsd: number } | undefined;
  model: string;
  excerpt: string;
  /** Start of the producing attempt, ms since epoch; absent: the claimed time is kept (a parked node's decision). */
  startedAt?: number | undefined;
  /** End of the producing attempt, ms since epoch. */
  finishedAt: number;
}

/** The usage of one paid provider call: tokens as billed, cost in integer micro-USD (1e-6 USD). */
export interface PaidUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicroUsd: number;
  /** Read back only ({@link RunStore.readPaid}): booked at its worst case, its answer never recorded. */
  estimated?: boolean;
  /** Read back only, with `estimated`: the call went through the usage log's gateway, which can still settle it. */
  logged?: boolean;
}

/** A call booked at its worst case and not reconciled yet ({@link RunStore.readEstimates}). */
export interface EstimatedCall {
  nodeId: string;
  /** 1-based attempt that made the call. */
  attempt: number;
  /** When the attempt wrote the call's intent, right before the call: ms since epoch, 0 when unknown. */
  intentAtMs: number;
}

/** Outcome of {@link RunStore.completeNode} and {@link RunStore.failNode}. */
export interface TransitionResult {
  /** false when the call was a duplicate or late and changed nothing. */
  applied: boolean;
  /** The run's status after the call (`running`, `completed`, `failed`, `cancelled`, or `missing`). */
  runStatus: RunStatus | "missing";
  /** Nodes to publish now (taken from the ready set, or re-offered after a duplicate callback). */
  dispatch: string[];
  /** failNode only: descendants marked skipped. */
  skipped: string[];
  /**
   * completeNode with a chain lease only: the node this completion took for the same delivery to run next (already
   * `running` under that lease, attempt `attempt`, not in `dispatch`); null when there is none.
   */
  chained?: { nodeId: string; attempt: number } | null;
}

/** Scheduling mode of a run: `eager` (a node starts when its own dependencies are done), `levels` (a node waits
 * for its whole previous level: the wave executor, for comparison) or `sequential` (one node at a time). */
export type RunMode = "eager" | "levels" | "sequential";

const SCRIPTS = {
  startRun: START_RUN_LUA,
  claimNode: CLAIM_NODE_LUA,
  completeNode: COMPLETE_NODE_LUA,
  retryNode: RETRY_NODE_LUA,
  failNode: FAIL_NODE_LUA,
  deferNode: DEFER_NODE_LUA,
  offerAgain: OFFER_AGAIN_LUA,
  cancelRun: CANCEL_RUN_LUA,
  retryRun: RETRY_RUN_LUA,
  rerunFrom: RERUN_FROM_LUA,
  recordPaid: RECORD_PAID_LUA,
  readEvents: READ_EVENTS_LUA,
  recordIntent: RECORD_INTENT_LUA,
  bookUnrecorded: BOOK_UNRECORDED_LUA,
  reconcileEstimate: RECONCILE_ESTIMATE_LUA,
  giveUpLease: GIVE_UP_LEASE_LUA,
  expandMap: EXPAND_MAP_LUA,
} as const;

type ScriptName = keyof typeof SCRIPTS;

/**
 * Run state in Redis: one Lua script per transition, each atomic and idempotent, so a
 * callback delivered twice or two callbacks racing can neither release a node twice nor lose a release. Scripts run
 * through `@upstash/redis` `createScript` (EVALSHA first, EVAL when Redis answers NOSCRIPT).
 */
export class RunStore {
  private readonly scripts: LuaScripts<ScriptName>;
  /** Parked nodes (a wait node waiting for its signal): park-store.ts. */
  readonly parks: ParkStore;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: RunRedis,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaScripts(redis, SCRIPTS);
    this.parks = new ParkStore(redis, prefix);
  }

  /** The keys of run `runId`. */
  keys(runId: string): RunKeys {
    return runKeys(this.prefix, runId);
  }

  private async exec(name: ScriptName, runId: string, args: (string | number)[]): Promise<(string | number)[]> {
    return (await this.scripts.exec(name, this.keys(runId).all, args)) as (string | number)[];
  }

  /**
   * Creates the run (meta, frozen definition, pending counts, dependents, levels, priorities, statuses) in one
   * script and takes the first roots for dispatch, or reports the existing run with the same id (an idempotent
   * repeat) without changing it. A node's priority is its longest remaining path (`dag.remainingPathMs`).
   * @throws UpstashError when Redis fails.
   */
  async startRun(p: StartRunParams): Promise<StartRunResult> {
    const mode = p.frozen.workflow.mode;
    const meta: Record<string, string | number> = {
      workflow: p.frozen.workflow.name,
      tenant: p.frozen.tenant,
      trigger: p.frozen.trigger,
      nodeCount: p.dag.order.length,
      retentionSeconds: p.retentionSeconds,
      mode,
      concurrency: runConcurrency(mode, p.frozen.workflow.concurrency),
      prefetch: prefetchMessages(runConcurrency(mode, p.frozen.workflow.concurrency), p.nodesPerDelivery),
      levelCount: p.dag.levels.length,
      eventCap: eventCap(p.dag.order.length),
      ...compensationMeta(p.frozen.workflow, p.dag),
    };
    const metaArgs = Object.entries(meta).flat();
    const nodeArgs = p.dag.order.flatMap((id) => [
      id,
      p.dag.pendingCounts[id] ?? 0,
      (p.dag.dependents[id] ?? []).join(","),
      p.dag.levelOf[id] ?? 1,
      p.dag.remainingPathMs[id] ?? 0,
    ]);
    const args = [
      p.fingerprint,
      p.now,
      p.activeTtlSeconds,
      JSON.stringify(p.frozen),
      metaArgs.length / 2,
      ...metaArgs,
      ...nodeArgs,
    ];
    let reply: (string | number)[];
    if (p.first) {
      const pipe = this.redis.pipeline();
      p.first(pipe);
      reply = (await this.scripts.execAfter("startRun", this.keys(p.frozen.runId).all, args, pipe)) as (
        | string
        | number
      )[];
    } else reply = await this.exec("startRun", p.frozen.runId, args);
    const [created, status, third, ...rest] = reply;
    if (Number(created) === 1) {
      return { created: true, roots: [third, ...rest].filter((x) => x !== undefined).map(String) };
    }
    return { created: false, status: String(status), fingerprint: String(third ?? "") };
  }

  /**
   * Takes node `nodeId` for one delivery before it runs (see claim_node), reading the output refs of `upstream` in
   * the same round trip; for a finished node whose message's earlier delivery left a chain unfinished, takes over
   * that chain's unfinished node instead (`claimed: "resumed"`).
   * @param lease `<Upstash-Message-Id>:<Upstash-Retried>` of the delivery.
   * @param now ms since epoch.
   * @param upstream ids of the nodes whose outputs the node's prompt reads.
   * @param generation the message's dispatch generation: a message of an earlier try (before a retry or rerun) is
   *   refused (`stale-generation`); omitted, it is not checked.
   * @param takeover the lease of a holder whose deadline has passed (from an earlier `held` answer): the node (or
   *   chain link) is taken over from it, provided it still holds it.
   * @param token the request's delivery token (delivery-tokens.ts), on its first claim only: recorded before anything
   *   else, and a token another request used answers `{ claimed: false, reason: "replayed-delivery" }`, changing
   *   nothing.
   */
  async claimNode(
    runId: string,
    nodeId: string,
    lease: string,
    now: number,
    upstream: readonly string[] = [],
    generation?: number,
    takeover?: string,
    token?: BoundDeliveryToken,
  ): Promise<ClaimResult> {
    const keys = token ? [...this.keys(runId).all, token.key] : this.keys(runId).all;
    const [ok, value, ...refs] = (await this.scripts.exec("claimNode", keys, [
      nodeId,
      lease,
      now,
      generation ?? "",
      takeover ?? "",
      token?.lease ?? "",
      token?.ttlMs ?? "",
      ...upstream,
    ])) as (string | number)[];
    if (Number(ok) === 3) {
      const [startedAt, holder] = refs;
      return { claimed: "held", nodeId: String(value), lease: String(holder ?? ""), startedAt: Number(startedAt) };
    }
    if (Number(ok) === 2) {
      const [attempt, ...queued] = refs;
      return { claimed: "resumed", nodeId: String(value), attempt: Number(attempt), stillQueued: queued.map(String) };
    }
    if (Number(ok) !== 1) return { claimed: false, reason: String(value), stillQueued: refs.map(String) };
    const found: Record<string, string> = {};
    upstream.forEach((id, i) => {
      const ref = refs[i];
      if (ref) found[id] = String(ref);
    });
    // a map child's claim also answers its map's expansion, after the refs (claim_node)
    if (refs.length > upstream.length)
      return {
        claimed: true,
        attempt: Number(value),
        refs: found,
        mapExpansion: parseMapExpansion(refs[upstream.length]),
      };
    return { claimed: true, attempt: Number(value), refs: found };
  }

  /**
   * Records a node's output once and returns the nodes to publish now (see complete_node).
   * @param opts.first queues commands that must run before the script, in the same request (the output blob's
   *   writes: `PreparedBlob.queueWrites`), so that recording an output costs one round trip and its ref is never
   *   recorded before its blob is written.
   * @param opts.chainLease the lease of the delivery that ran the node, when it may go on to run the next node
   *   itself: the highest-priority node taken is then returned as `chained` (already `running` under that lease)
   *   instead of in `dispatch`, provided that lease still holds the node.
   * @param opts.generation the dispatch generation of the delivery's message: a completion from an earlier try
   *   changes nothing. A node `running` when the run was cancelled still gets its output recorded (no release).
   * @throws UpstashError when Redis fails, or when a command `first` queued fails (the completion may have been
   *   recorded all the same: a pipeline does not stop at an error).
   */
  async completeNode(
    runId: string,
    nodeId: string,
    c: NodeCompletion,
    opts: {
      first?: ((p: RedisPipeline) => void) | undefined;
      chainLease?: string | undefined;
      generation?: number | undefined;
    } = {},
  ): Promise<TransitionResult> {
    const { first, chainLease, generation } = opts;
    const args = [
      nodeId,
      c.finishedAt,
      c.outputRef,
      count(c.inputTokens),
      count(c.outputTokens),
      c.model,
      c.excerpt,
      c.startedAt ?? "",
      count(c.cacheReadTokens),
      count(c.cacheWriteTokens),
      count(c.costMicroUsd),
      c.route ?? "",
      c.cache?.outcome ?? "",
      count(c.cache?.savedTokens),
      count(c.cache?.savedMicroUsd),
      chainLease ?? "",
      generation ?? "",
      c.paidAttempt ?? "",
    ];
    if (!first) return completion(await this.exec("completeNode", runId, args));
    const p = this.redis.pipeline();
    first(p);
    return completion(
      (await this.scripts.execAfter("completeNode", this.keys(runId).all, args, p)) as (string | number)[],
    );
  }

  /**
   * Records the paid provider call of attempt `attempt` of a node, once (see record_paid): its usage is added to the
   * node's and the run's totals. A repeat changes nothing.
   * @param usage tokens as billed; `costMicroUsd` integer micro-USD (1e-6 USD).
   * @returns whether this call recorded it (false: already recorded, or the run is gone).
   * @throws UpstashError when Redis fails.
   */
  async recordPaid(runId: string, nodeId: string, attempt: number, usage: PaidUsage): Promise<boolean> {
    const [ok] = await this.exec("recordPaid", runId, [
      nodeId,
      attempt,
      count(usage.inputTokens),
      count(usage.outputTokens),
      count(usage.cacheReadTokens),
      count(usage.cacheWriteTokens),
      count(usage.costMicroUsd),
    ]);
    return Number(ok) === 1;
  }

  /**
   * Writes the intent of attempt `attempt`'s provider call before the call (see record_intent): its reserved worst
   * case, booked as an estimated call if no paid record ever follows (see {@link bookUnrecorded}).
   * @param worst input estimate and output allowance (tokens), and their price (integer micro-USD).
   * @returns whether this call wrote it (false: written before, or the run is gone).
   * @throws UpstashError when Redis fails.
   */
  async recordIntent(
    runId: string,
    nodeId: string,
    attempt: number,
    worst: { inputTokens: number; outputTokens: number; costMicroUsd: number },
    atMs: number = Date.now(),
    logged = false,
  ): Promise<boolean> {
    const [ok] = await this.exec("recordIntent", runId, [
      nodeId,
      attempt,
      count(worst.inputTokens),
      count(worst.outputTokens),
      count(worst.costMicroUsd),
      count(atMs),
      logged ? 1 : 0,
    ]);
    return Number(ok) === 1;
  }

  /**
   * Removes the intent of a call the provider answered with an error (not billed), unless the call is booked.
   * @throws UpstashError when Redis fails.
   */
  async clearIntent(runId: string, nodeId: string, attempt: number): Promise<void> {
    const p = this.redis.pipeline();
    p.hdel(this.keys(runId).paid, `${nodeId}:${attempt}:intent`);
    await p.exec();
  }

  /**
   * Books at their reserved worst case, marked estimated, the calls with an intent and no paid record (see
   * book_unrecorded): call it only for attempts known dead. A paid record arriving later replaces the estimate.
   * @param scope `nodeId` ('' or absent: every node), `below` (only attempts below it), `only` (only that attempt).
   * @returns the calls booked: node, attempt, tokens, integer micro-USD.
   * @throws UpstashError when Redis fails.
   */
  async bookUnrecorded(
    runId: string,
    scope: { nodeId?: string | undefined; below?: number | undefined; only?: number | undefined } = {},
  ): Promise<{ nodeId: string; attempt: number; tokens: number; costMicroUsd: number }[]> {
    const flat = await this.exec("bookUnrecorded", runId, [scope.nodeId ?? "", scope.below ?? 0, scope.only ?? 0]);
    const booked = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      booked.push({
        nodeId: String(flat[i]),
        attempt: Number(flat[i + 1]),
        tokens: Number(flat[i + 2]),
        costMicroUsd: Number(flat[i + 3]),
      });
    }
    return booked;
  }

  /**
   * The calls of run `runId` booked at their worst case, not reconciled yet, that the usage log can settle: made
   * through its gateway (the intent says so: call-intent.ts), with when each one's intent was written (ms since
   * epoch). One HGETALL of the run's `paid` hash. Empty when the run is gone.
   * @throws UpstashError when Redis fails.
   */
  async readEstimates(runId: string): Promise<EstimatedCall[]> {
    const p = this.redis.pipeline();
    p.hgetall(this.keys(runId).paid);
    const [raw] = (await p.exec()) as [unknown];
    const paid = hashReply(raw);
    const found: EstimatedCall[] = [];
    for (const [field, value] of Object.entries(paid)) {
      const m = /^(.*):(\d+)$/.exec(field);
      if (!m || !String(value).endsWith(",e")) continue;
      const intent = String(paid[`${field}:intent`] ?? "").split(",");
      // a call not made through the usage log's gateway (or from before calls were tagged) cannot be read back
      if (intent[4] !== "1") continue;
      found.push({ nodeId: m[1] as string, attempt: Number(m[2]), intentAtMs: Number(intent[3] ?? 0) || 0 });
    }
    return found;
  }

  /**
   * Replaces the estimate booked for attempt `attempt`'s call by what the provider's usage log says of it (see
   * reconcile_estimate): its exact usage (`billed`), or no call (`void`).
   * @returns true when it replaced the estimate; false when there was none (a repeat, or an exact record arrived).
   * @throws UpstashError when Redis fails.
   */
  async reconcileEstimate(
    runId: string,
    nodeId: string,
    attempt: number,
    outcome: { billed: PaidUsage } | "void",
  ): Promise<boolean> {
    const u = outcome === "void" ? null : outcome.billed;
    const [ok] = await this.exec("reconcileEstimate", runId, [
      nodeId,
      attempt,
      u ? "billed" : "void",
      count(u?.inputTokens ?? 0),
      count(u?.outputTokens ?? 0),
      count(u?.cacheReadTokens ?? 0),
      count(u?.cacheWriteTokens ?? 0),
      count(u?.costMicroUsd ?? 0),
    ]);
    return Number(ok) === 1;
  }

  /**
   * Gives up every node still `running` under `lease` (see give_up_lease): `retrying`, the lease kept.
   * @returns the nodes given up.
   * @throws UpstashError when Redis fails.
   */
  async giveUpLease(runId: string, lease: string, error: string): Promise<string[]> {
    return (await this.exec("giveUpLease", runId, [lease, error])).map(String);
  }

  /**
   * The paid calls recorded for attempts `attempts` of a node (one HMGET of the records and their intents): attempt
   * -> usage (an estimate flagged, with whether the usage log can settle it); attempts without a paid call are
   * absent.
   * @throws UpstashError when Redis fails.
   */
  async readPaid(runId: string, nodeId: string, attempts: readonly number[]): Promise<Map<number, PaidUsage>> {
    const found = new Map<number, PaidUsage>();
    if (attempts.length === 0) return found;
    // each attempt's paid record, then its intent (whether an estimate can still be settled by the usage log)
    const fields = attempts.flatMap((a) => [`${nodeId}:${a}`, `${nodeId}:${a}:intent`]);
    const list = hmgetValues(await this.redis.hmget(this.keys(runId).paid, ...fields), fields);
    attempts.forEach((a, i) => {
      const raw = list[2 * i];
      const logged = String(list[2 * i + 1] ?? "").split(",")[4] === "1";
      if (raw == null || raw === "") return;
      const parts = String(raw).split(",");
      const [inputTokens = 0, outputTokens = 0, cacheReadTokens = 0, cacheWriteTokens = 0, costMicroUsd = 0] = parts
        .slice(0, 5)
        .map(Number);
      const usage: PaidUsage = { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costMicroUsd };
      found.set(a, parts[5] === "e" ? { ...usage, estimated: true, logged } : usage);
    });
    return found;
  }

  /**
   * The output refs of `nodeIds` (one HMGET): a node without an output is absent.
   * @throws UpstashError when Redis fails.
   */
  async readRefs(runId: string, nodeIds: readonly string[]): Promise<Record<string, string>> {
    if (nodeIds.length === 0) return {};
    const list = hmgetValues(await this.redis.hmget(this.keys(runId).output, ...nodeIds), nodeIds);
    const found: Record<string, string> = {};
    nodeIds.forEach((id, i) => {
      const ref = list[i];
      if (ref != null && ref !== "") found[id] = String(ref);
    });
    return found;
  }

  /**
   * Marks a running node `retrying` after a failed attempt that QStash will retry.
   * @param lease `<messageId>:<retried>` of the failed delivery; ignored (no change) if a newer one holds the node.
   * @param release the node was run by a chain and is handed back to a message of its own: its lease is removed,
   *   so no later delivery of the chain's message resumes it.
   * @returns whether the node changed.
   */
  async retryNode(runId: string, nodeId: string, error: string, lease: string, release = false): Promise<boolean> {
    const [ok] = await this.exec("retryNode", runId, release ? [nodeId, error, lease, "1"] : [nodeId, error, lease]);
    return Number(ok) === 1;
  }

  /**
   * Gives a claimed node back (`queued`, its slot kept) so a later delivery can claim it: used while an identical
   * call is in flight elsewhere (see defer_node).
   * @returns whether the node changed.
   */
  async deferNode(runId: string, nodeId: string, lease: string): Promise<boolean> {
    const [ok] = await this.exec("deferNode", runId, [nodeId, lease]);
    return Number(ok) === 1;
  }

  /**
   * Fails a node for good, skips its descendants and finishes the run once nothing else is active (see fail_node).
   * @param now ms since epoch.
   * @param lease `<messageId>:<retried>` of the delivery that failed, when it is that delivery's own verdict: the
   *   failure then applies only while that delivery still holds the node. Omitted by the failure callback.
   * @param messageId the failure callback's message: for a node already done, a chain a delivery of that message
   *   left unfinished is followed and its unfinished node released (`queued`, listed in `dispatch`), since no
   *   delivery of the message will come back for it (see fail_node).
   * @param opts.generation the failing message's dispatch generation: a failure from an earlier try changes nothing.
   * @param opts.policy the node's failure policy (default `skip-dependents`); `fail-fast` cancels every other node
   *   not terminal and ends the run `failed`; `continue` records `opts.markerRef` as the node's output and releases
   *   its dependents.
   * @param opts.holdMs the failure callback: the node's timeout + execute margin (ms); a node another message's
   *   delivery claimed less than that ago is left to that holder (see fail_node).
   */
  async failNode(
    runId: string,
    nodeId: string,
    error: string,
    now: number,
    lease?: string,
    messageId?: string,
    opts: {
      generation?: number | undefined;
      policy?: FailurePolicy | undefined;
      markerRef?: string | undefined;
      holdMs?: number | undefined;
    } = {},
  ): Promise<TransitionResult> {
    const args: (string | number)[] = [
      nodeId,
      error,
      now,
      lease ?? "",
      messageId ?? "",
      opts.generation ?? "",
      opts.policy ?? "skip-dependents",
      opts.markerRef ?? "",
      opts.holdMs ?? "",
    ];
    const [ok, status, count, ...rest] = await this.exec("failNode", runId, args);
    const k = Number(count ?? 0);
    return {
      applied: Number(ok) === 1,
      runStatus: String(status) as RunStatus | "missing",
      dispatch: rest.slice(0, k).map(String),
      skipped: rest.slice(k).map(String),
    };
  }

  /**
   * The nodes that node `nodeId`'s finished transition (done or failed) took for dispatch and that are still
   * `queued`, read without changing anything (see offer_again); none while the node has not finished. Also the
   * node's status (`unknown` for an unknown node).
   * @param messageId the QStash message whose delivery ran the node: the nodes that delivery went on to run itself
   *   (a chain) are followed, and what they took that is still `queued` is added.
   * @throws UpstashError when Redis fails.
   */
  async offerAgain(
    runId: string,
    nodeId: string,
    messageId = "",
  ): Promise<{ runStatus: RunStatus | "missing"; nodeStatus: string; dispatch: string[] }> {
    const [status, nodeStatus, ...ids] = await this.exec("offerAgain", runId, [nodeId, messageId]);
    return {
      runStatus: String(status) as RunStatus | "missing",
      nodeStatus: String(nodeStatus),
      dispatch: ids.map(String),
    };
  }

  /**
   * Expands a held map node into `count` children (expand_map, lua/expand-map.ts; shared/engine/map-node.ts).
   * @param p `attempt` of the delivery holding the map ('' only re-reads an expansion), `now` (ms), the delivery's
   *   dispatch `generation`, `count` (≥ 1), `itemsRef` (the items blob) and `nodeLimit` (most nodes in the run).
   * @returns `expanded` with the children to publish now; `again` when it was expanded before, with its children
   *   still `queued`; or `refused` with the script's reason (`node-limit`: `nodeCount` before the children).
   * @throws UpstashError when Redis fails.
   */
  async expandMap(
    runId: string,
    mapId: string,
    p: {
      attempt: number | "";
      now: number;
      generation?: number | undefined;
      count: number;
      itemsRef: string;
      nodeLimit: number;
    },
  ): Promise<
    | { outcome: "expanded" | "again"; dispatch: string[] }
    | { outcome: "refused"; reason: string; nodeCount: number | null }
  > {
    const [code, reason, ...rest] = await this.exec("expandMap", runId, [
      mapId,
      p.attempt,
      p.now,
      p.generation ?? "",
      p.count,
      p.itemsRef,
      p.nodeLimit,
    ]);
    if (Number(code) === 1) return { outcome: "expanded", dispatch: rest.map(String) };
    if (Number(code) === 2) return { outcome: "again", dispatch: rest.map(String) };
    const detail = rest[0];
    return {
      outcome: "refused",
      reason: String(reason),
      nodeCount: detail === "" || detail == null ? null : Number(detail),
    };
  }

  /**
   * A map node's expansion (meta `map:<mapId>`, lua/expand-map.ts): its children count, items blob ref and when its
   * first attempt started (ms); null when it has not expanded.
   * @throws UpstashError when Redis fails.
   */
  async readMapExpansion(runId: string, mapId: string): Promise<MapExpansion | null> {
    const [raw] = hmgetValues(await this.redis.hmget(this.keys(runId).meta, `map:${mapId}`), [`map:${mapId}`]);
    return parseMapExpansion(raw);
  }

  /**
   * Cancels a running run (see cancel_run): every node not terminal becomes `cancelled`, the run ends `cancelled`.
   * @param now ms since epoch.
   * @returns `cancelled` (this call did it; `nodes` cancelled; `dispatch`: the compensations to publish under
   *   dispatch `generation` when the run compensates, after its other messages are cancelled), or the status that made it change nothing:
   *   `already` (cancelled before), `finished` (`completed` or `failed`: `status`; `compensating` while the run
   *   compensates), `missing`.
   * @throws UpstashError when Redis fails.
   */
  async cancelRun(runId: string, now: number): Promise<CancelRunResult> {
    const [ok, status, n, generation, ...compensations] = await this.exec("cancelRun", runId, [now]);
    if (Number(ok) === 1 && generation === undefined) return { outcome: "cancelled", nodes: Number(n) };
    if (Number(ok) === 1)
      return {
        outcome: "cancelled",
        nodes: Number(n),
        dispatch: compensations.map(String),
        generation: Number(generation),
      };
    const s = String(status);
    if (s === "missing") return { outcome: "missing" };
    if (s === "cancelled") return { outcome: "already" };
    return { outcome: "finished", status: s as RunStatus | "compensating" };
  }

  /**
   * Resumes a failed or cancelled run in place (see retry_run): its failed, skipped and cancelled nodes go back to
   * `pending` under a new try and dispatch generation; returns the nodes to publish.
   * @throws UpstashError when Redis fails.
   */
  async retryRun(runId: string, p: RunActionParams): Promise<RunActionResult> {
    const res = await this.exec("retryRun", runId, [p.now, p.generation, p.activeTtlSeconds, p.idempotencyKey ?? ""]);
    return actionResult(res);
  }

  /**
   * Recomputes node `from` and its descendants in a run that is not running (see rerun_from); returns the nodes to
   * publish (`from`, whose dependencies are all done).
   * @throws UpstashError when Redis fails.
   */
  async rerunFrom(runId: string, from: string, p: RunActionParams): Promise<RunActionResult> {
    const res = await this.exec("rerunFrom", runId, [
      p.now,
      p.generation,
      p.activeTtlSeconds,
      p.idempotencyKey ?? "",
      from,
    ]);
    return actionResult(res);
  }

  /**
   * One page of the run's event log after stream id `afterId` (from the beginning when absent), with the run's
   * status and tenant, in one round trip (see read_events, run-events.ts).
   * @param afterId a stream id `<ms>-<seq>` (checked by the caller: run-events.ts `isStreamId`).
   * @param count most events to return.
   * @returns null when the run does not exist (or expired).
   * @throws UpstashError when Redis fails.
   */
  async readEvents(
    runId: string,
    afterId: string | undefined,
    count: number,
  ): Promise<{ status: RunStatus; tenant: string; events: RunEvent[] } | null> {
    const [status, tenant, entries] = (await this.exec("readEvents", runId, [
      afterId ? nextStreamId(afterId) : "-",
      count,
    ])) as unknown[];
    if (!status) return null;
    return { status: String(status) as RunStatus, tenant: String(tenant ?? ""), events: parseXrange(entries) };
  }

  /** Deletes every key of a run (used only to undo a run whose roots could not be dispatched). */
  async deleteRun(runId: string): Promise<void> {
    await this.redis.del(...this.keys(runId).all);
  }

  /**
   * What a compensation prompt reads as `{{run.status}}` and `{{run.error}}` (shared/dag/compensation.ts): how the
   * run ended before compensating and why (meta `finalStatus`, `compensationReason`); empty strings when absent.
   * @throws UpstashError when Redis fails.
   */
  async readCompensationContext(runId: string): Promise<{ status: string; error: string }> {
    const fields = ["finalStatus", "compensationReason"];
    const [status, error] = hmgetValues(await this.redis.hmget(this.keys(runId).meta, ...fields), fields);
    return { status: status == null ? "" : String(status), error: error == null ? "" : String(error) };
  }

  /** Reads the frozen definition of a run, or null when the run does not exist (or expired). */
  async readFrozen(runId: string): Promise<FrozenRun | null> {
    const raw = await this.redis.get<string>(this.keys(runId).def);
    return raw == null ? null : (JSON.parse(raw) as FrozenRun);
  }

  /**
   * Everything stored about a run, in one pipeline of a fixed number of commands (2 + one per per-node hash), whatever the DAG's size.
   * @returns null when the run does not exist (never created, or expired after its retention).
   */
  async readSnapshot(runId: string): Promise<RunSnapshot | null> {
    const k = this.keys(runId);
    const hashes = [
      "status",
      "attempts",
      "started",
      "finished",
      "output",
      "usage",
      "model",
      "excerpt",
      "error",
      "cost",
      "route",
      "cache",
      "history",
      "paid",
    ] as const;
    const p = this.redis.pipeline();
    p.hgetall(k.meta);
    p.get(k.def);
    for (const h of hashes) p.hgetall(k[h]);
    const [metaRaw, def, ...rest] = (await p.exec()) as [unknown, string | null, ...unknown[]];
    const meta = hashReply(metaRaw);
    if (Object.keys(meta).length === 0 || !def) return null;
    const snapshot = { meta, frozen: JSON.parse(def) as FrozenRun } as RunSnapshot;
    hashes.forEach((h, i) => {
      snapshot[h] = hashReply(rest[i]);
    });
    return snapshot;
  }
}

/**
 * HGETALL's reply as a record. With `automaticDeserialization: false` the client hands back Redis' raw flat array
 * `[field, value, field, value, …]`; an object (client default) or null is accepted too.
 */
export function hashReply(raw: unknown): Record<string, string> {
  if (raw == null) return {};
  if (Array.isArray(raw)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1]);
    return out;
  }
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** Outcome of {@link RunStore.cancelRun}. */
export type CancelRunResult =
  | { outcome: "cancelled"; nodes: number; dispatch?: string[]; generation?: number }
  | { outcome: "already" }
  | { outcome: "finished"; status: RunStatus | "compensating" }
  | { outcome: "missing" };

/** Arguments of {@link RunStore.retryRun} and {@link RunStore.rerunFrom}. */
export interface RunActionParams {
  /** ms since epoch. */
  now: number;
  /** The new dispatch generation (ms since epoch), greater than the run's current one. */
  generation: number;
  /** Seconds every key of the run lives while it is active again. */
  activeTtlSeconds: number;
  /** The request's `Idempotency-Key`: a repeat with the same key answers the same and changes nothing. */
  idempotencyKey?: string | undefined;
}

/**
 * Outcome of {@link RunStore.retryRun} and {@link RunStore.rerunFrom}: `applied` (the run is on try `try` under
 * dispatch generation `generation`, `reset` nodes went back to pending, `dispatch` are to publish), `replayed` (a repeat of the same Idempotency-Key: the first
 * answer's figures), or `refused` with the reason (`missing`, `running`, `completed`, `unknown-node`, `blocked`,
 * `idempotency-conflict`) and, for `blocked`, the dependency that is not done.
 */
export type RunActionResult =
  | { kind: "applied"; try: number; reset: number; generation: number; dispatch: string[] }
  | { kind: "replayed"; try: number; reset: number; generation: number }
  | { kind: "refused"; reason: string; detail: string };

function actionResult(res: (string | number)[]): RunActionResult {
  const [ok, a, b, g, ...rest] = res;
  const applied = { try: Number(a), reset: Number(b), generation: Number(g) };
  if (Number(ok) === 1) return { kind: "applied", ...applied, dispatch: rest.map(String) };
  if (Number(ok) === 2) return { kind: "replayed", ...applied };
  return { kind: "refused", reason: String(a), detail: String(b ?? "") };
}

/** A non-negative integer count (tokens, micro-USD); undefined counts as 0. */
function count(n: number | undefined): number {
  return Math.max(0, Math.round(n ?? 0));
}

/** complete_node's reply `{applied, runStatus, chained, attempt, ids…}` as a transition. */
function completion(res: (string | number)[]): TransitionResult {
  const [ok, status, chained, attempt, ...nodes] = res;
  return {
    applied: Number(ok) === 1,
    runStatus: String(status) as RunStatus | "missing",
    dispatch: nodes.map(String),
    skipped: [],
    chained: chained ? { nodeId: String(chained), attempt: Number(attempt) } : null,
  };
}

/** A map node's expansion record (meta `map:<mapId>`, lua/expand-map.ts): children count, items blob ref, and when
 * the map's first attempt started (ms since epoch). */
export interface MapExpansion {
  count: number;
  itemsRef: string;
  startedAt: number;
}

/** Parses meta `map:<mapId>` (`<count>|<itemsRef>|<startedAt>`, lua/expand-map.ts); null when absent or empty. */
function parseMapExpansion(raw: unknown): MapExpansion | null {
  if (raw == null || raw === "") return null;
  const [count = "0", itemsRef = "", startedAt = "0"] = String(raw).split("|");
  return { count: Number(count), itemsRef, startedAt: Number(startedAt) };
}
