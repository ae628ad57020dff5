import { hmgetValues } from "../util/hmget-values.js";
import { LuaScripts, type RedisPipeline } from "../util/lua-scripts.js";
import { runKeys } from "./keys.js";
import { PARK_NODE_LUA } from "./lua/park-node.js";
import { RESOLVE_PARKED_LUA } from "./lua/resolve-parked.js";
import type { RunRedis } from "./run-store.js";

/** How a parked node ends: `done` (its output recorded by complete_node) or `failed` (fail_node). */
export type ParkedOutcome = "done" | "failed";

/** A decision about a parked node, as recorded in run meta `resolved:<id>`: outcome, what decided it, when (ms). */
export interface ParkDecision {
  outcome: ParkedOutcome;
  /** What decided it, e.g. `signal` or `timeout`. */
  source: string;
  /** ms since epoch. */
  at: number;
  /** `done`: the blob ref of the node's output (written with the decision); `failed`: ''. */
  ref: string;
}

/**
 * Outcome of {@link ParkStore.park}: `parked` under dispatch generation `generation`, with the nodes its freed slot
 * took (to publish); `decided`: the node already has a decision for this try (its transition was interrupted), to
 * apply under the caller's lease; `refused` with the reason (`run-<status>`, `stale-generation`, `superseded`, or
 * the node's status).
 */
export type ParkResult =
  | { kind: "parked"; generation: number; dispatch: string[] }
  | ({ kind: "decided" } & ParkDecision)
  | { kind: "refused"; reason: string };

/**
 * Outcome of {@link ParkStore.resolve}: `decided` now (the node is `running` under the given lease: run its
 * transition next; `generation`: the run's current dispatch generation); `replayed`: the same request (content or Idempotency-Key) decided it before, `pending` while its
 * transition is still to run; `refused` with the reason (`missing`, `unknown-node`, `stale-generation`,
 * `idempotency-conflict`, `not-waiting`, `early`), the node's status (`''` when unknown) and, for `early`, the
 * deadline (ms).
 */
export type ResolveResult =
  | ({ kind: "decided"; generation: number } & ParkDecision)
  | ({ kind: "replayed"; generation: number; nodeStatus: string; pending: boolean } & ParkDecision)
  | { kind: "refused"; reason: string; nodeStatus: string; deadline?: number };

/** What the run stores about a parked node: the generation it was parked under, its deadline (ms, null for none) and
 * its note (a wait node's question). */
export interface ParkInfo {
  generation: number;
  deadline: number | null;
  note: string;
}

/** Arguments of {@link ParkStore.resolve}. */
export interface ResolveParams {
  outcome: ParkedOutcome;
  /** What decides it, e.g. `signal` or `timeout`. */
  source: string;
  /** Identifies the request's content (no `|`): the same source and fingerprint again is a replay. */
  fingerprint: string;
  /** The request's Idempotency-Key, if any: the same key again is a replay. */
  idempotencyKey?: string | undefined;
  /** The lease the node is held under until its transition (see {@link parkLease}). */
  lease: string;
  /** ms since epoch. */
  now: number;
  /** The generation the node is expected parked under; omitted: the run's current one. */
  generation?: number | undefined;
  /** Apply only once the parked deadline has passed, less `toleranceMs` (a timeout). */
  due?: { toleranceMs: number } | undefined;
  /** `done`: the blob ref of the node's output; its writes go first in the same request (`first`). */
  ref?: string | undefined;
  /** Queues commands that run before the script, in the same request (the output blob's writes). */
  first?: ((p: RedisPipeline) => void) | undefined;
}

/**
 * The lease under which a decided parked node waits for its transition: one per node, so a repeat of the decision
 * finds it (`<name>:<retried>` form, like a delivery's lease; no QStash message has this id).
 */
export function parkLease(nodeId: string): string {
  return `parked.${nodeId}:0`;
}

/**
 * Parked nodes (park_node, resolve_parked): a node that waits for something outside the run leaves its delivery
 * `waiting`, and is later decided from outside any delivery, then completed or failed by the ordinary transitions.
 * One instance per {@link RunStore} (its `parks`), on the same client and prefix.
 */
export class ParkStore {
  private readonly scripts: LuaScripts<"park" | "resolve">;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: Pick<RunRedis, "createScript" | "hmget" | "pipeline">,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaScripts(redis, { park: PARK_NODE_LUA, resolve: RESOLVE_PARKED_LUA });
  }

  /**
   * Parks node `nodeId`, which this delivery (`lease`) holds: `waiting`, its slot freed and the next ready nodes
   * taken (see park_node).
   * @param p `now` and `deadline` (ms; null for none), `note` (shown while it waits), the delivery's `generation`.
   * @throws UpstashError when Redis fails.
   */
  async park(
    runId: string,
    nodeId: string,
    lease: string,
    p: { now: number; deadline: number | null; note: string; generation?: number | undefined },
  ): Promise<ParkResult> {
    const [code, a, b, c, d, ...rest] = await this.scripts.exec("park", runKeys(this.prefix, runId).all, [
      nodeId,
      lease,
      p.now,
      p.deadline ?? "",
      p.note,
      p.generation ?? "",
    ]);
    if (Number(code) === 1)
      return {
        kind: "parked",
        generation: Number(a),
        dispatch: [b, c, d, ...rest].filter((x) => x !== undefined && x !== null).map(String),
      };
    if (Number(code) === 3)
      return { kind: "decided", outcome: a as ParkedOutcome, source: String(b), at: Number(c), ref: String(d ?? "") };
    return { kind: "refused", reason: String(a) };
  }

  /**
   * Decides how parked node `nodeId` ends, once (see resolve_parked).
   * @throws UpstashError when Redis fails.
   */
  async resolve(runId: string, nodeId: string, p: ResolveParams): Promise<ResolveResult> {
    const keys = runKeys(this.prefix, runId).all;
    const args = [
      nodeId,
      p.now,
      p.generation ?? "",
      p.outcome,
      p.source,
      p.fingerprint,
      p.idempotencyKey ?? "",
      p.lease,
      p.due ? "1" : "0",
      p.due?.toleranceMs ?? 0,
      p.ref ?? "",
    ];
    let reply;
    if (p.first) {
      const pipe = this.redis.pipeline();
      p.first(pipe);
      reply = await this.scripts.execAfter("resolve", keys, args, pipe);
    } else reply = await this.scripts.exec("resolve", keys, args);
    const [code, outcome, source, at, ref, generation, status, pending] = reply;
    const decision = {
      outcome: outcome as ParkedOutcome,
      source: String(source),
      at: Number(at),
      ref: String(ref ?? ""),
      generation: Number(generation),
    };
    if (Number(code) === 1) return { kind: "decided", ...decision };
    if (Number(code) === 2)
      return { kind: "replayed", ...decision, nodeStatus: String(status), pending: String(pending) === "1" };
    // a refusal: {0, reason, nodeStatus, deadline?}
    const refused = { kind: "refused" as const, reason: String(outcome), nodeStatus: String(source ?? "") };
    return at === undefined || at === null ? refused : { ...refused, deadline: Number(at) };
  }

  /**
   * Queues on `p` the record of a decision taken without parking, for a node the caller holds and is about to
   * complete in the same request (a wait node whose `wait.when` is false: shared/engine/wait-node.ts): meta
   * `resolved:<id>` as resolve_parked writes it, outcome `done`, so the run view shows what decided it, a later
   * signal gets `not-waiting`, and a delivery that takes the node over applies it (park_node) instead of asking.
   * @param d the dispatch `generation` it belongs to, what decided it (`source`, no `|`), when (`at`, ms) and the
   *   output's blob `ref`.
   */
  queueDecided(
    p: RedisPipeline,
    runId: string,
    nodeId: string,
    d: { generation: number; source: string; at: number; ref: string },
  ): void {
    const record = [d.generation, "done", d.source, d.at, d.source, d.ref, ""].join("|");
    p.hset(runKeys(this.prefix, runId).meta, { [`resolved:${nodeId}`]: record });
  }

  /**
   * The run's current dispatch generation (meta `generation`, else `createdAt`, as the scripts' `current_generation`),
   * or null for a missing run. One HMGET.
   * @throws UpstashError when Redis fails.
   */
  async generation(runId: string): Promise<number | null> {
    const fields = ["generation", "createdAt"];
    const [gen, created] = hmgetValues(await this.redis.hmget(runKeys(this.prefix, runId).meta, ...fields), fields);
    const value = gen ?? created;
    return value == null || value === "" ? null : Number(value);
  }

  /**
   * The status of node `nodeId` (`waiting` while parked), or null for an unknown node or run. One HMGET.
   * @throws UpstashError when Redis fails.
   */
  async status(runId: string, nodeId: string): Promise<string | null> {
    const [value] = hmgetValues(await this.redis.hmget(runKeys(this.prefix, runId).status, nodeId), [nodeId]);
    return value == null || value === "" ? null : String(value);
  }

  /**
   * What the run stores about parked node `nodeId` (meta `parked:<id>`, `parkNote:<id>`), or null when it was never
   * parked, and the nodes its transitions took that are still `queued` (`took`: its park's, or its completion's).
   * @throws UpstashError when Redis fails.
   */
  async info(runId: string, nodeId: string): Promise<(ParkInfo & { took: string[] }) | null> {
    const k = runKeys(this.prefix, runId);
    const fields = [`parked:${nodeId}`, `parkNote:${nodeId}`];
    const p = this.redis.pipeline();
    p.hmget(k.meta, ...fields);
    p.hget(k.took, nodeId);
    const [values, took] = (await p.exec()) as [unknown, unknown];
    const [parked, note] = hmgetValues(values, fields);
    if (parked == null || parked === "") return null;
    const list = took == null || took === "" ? [] : String(took).split(",");
    // only those still queued: the others were claimed since (a second request, on a redelivery only)
    const statuses = list.length > 0 ? hmgetValues(await this.redis.hmget(k.status, ...list), list) : [];
    const queued = list.filter((_, i) => statuses[i] === "queued");
    return { ...parkInfo(String(parked), note == null ? "" : String(note)), took: queued };
  }
}

/**
 * Parses meta `parked:<id>` (`"<generation>|<deadline>"`) and the note into a {@link ParkInfo}.
 */
export function parkInfo(parked: string, note: string): ParkInfo {
  const [generation = "0", deadline = ""] = parked.split("|");
  return { generation: Number(generation), deadline: deadline === "" ? null : Number(deadline), note };
}
