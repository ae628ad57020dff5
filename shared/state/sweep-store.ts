import type { Redis } from "@upstash/redis";
import { LuaScripts } from "../util/lua-scripts.js";
import { runKeys } from "./keys.js";
import { SWEEP_RUN_LUA } from "./lua/sweep-run.js";
import { hashReply } from "./run-store.js";
import type { FrozenRun } from "./run-types.js";

/** The slice of the Upstash Redis client the sweep store uses (created with `automaticDeserialization: false`). */
export type SweepRedis = Pick<Redis, "createScript" | "pipeline" | "lrange">;

/** What the sweeper reads of one run (raw hash values), in one pipeline. */
export interface SweepState {
  /** Run fields (status, createdAt, concurrency, …). */
  meta: Record<string, string>;
  frozen: FrozenRun;
  /** Per node: status. */
  status: Record<string, string>;
  /** Per node: start of the latest attempt, ms. */
  started: Record<string, string>;
  /** Per node: when it was last offered for dispatch, ms. */
  offered: Record<string, string>;
  /** Per node: output blob ref. */
  output: Record<string, string>;
}

/** One repair for {@link SweepStore.apply}: the node, why, and the status and time the snapshot saw. */
export interface RepairRequest {
  nodeId: string;
  reason: string;
  /** Status seen: `queued`, `running` or `retrying`. */
  seen: string;
  /** `offered` (queued) or `started` (otherwise) as seen, ms as stored; '' when absent. */
  mark: string;
}

/** One recorded repair, as `GET /v1/runs/:id` shows it. */
export interface RunRepair {
  /** When, ISO 8601. */
  at: string;
  nodeId: string;
  /** Why (shared/engine/stuck-nodes.ts `StuckReason`). */
  reason: string;
}

/** What sweep_run did: the run's status and the repairs it applied (to publish). */
export interface SweepApplied {
  runStatus: string;
  repaired: { nodeId: string; reason: string }[];
}

/**
 * The sweeper's access to run state: one read per run and one script (sweep_run) that applies repairs after
 * re-checking them and keeps an active run's keys alive.
 */
export class SweepStore {
  private readonly scripts: LuaScripts<"sweepRun">;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: SweepRedis,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaScripts(redis, { sweepRun: SWEEP_RUN_LUA });
  }

  /**
   * Reads meta, definition, statuses, start and offer times and output refs of a run in one pipeline.
   * @returns null when the run does not exist (expired, or deleted after a failed start).
   * @throws UpstashError when Redis fails.
   */
  async read(runId: string): Promise<SweepState | null> {
    const k = runKeys(this.prefix, runId);
    const p = this.redis.pipeline();
    p.hgetall(k.meta);
    p.get(k.def);
    p.hgetall(k.status);
    p.hgetall(k.started);
    p.hgetall(k.offered);
    p.hgetall(k.output);
    const [meta, def, status, started, offered, output] = (await p.exec()) as unknown[];
    const m = hashReply(meta);
    if (Object.keys(m).length === 0 || def == null) return null;
    return {
      meta: m,
      frozen: JSON.parse(String(def)) as FrozenRun,
      status: hashReply(status),
      started: hashReply(started),
      offered: hashReply(offered),
      output: hashReply(output),
    };
  }

  /**
   * The sweeper's repairs of a run, oldest first (the latest 100): when (ISO 8601), which node, why.
   * @throws UpstashError when Redis fails.
   */
  async repairs(runId: string): Promise<RunRepair[]> {
    const raw = (await this.redis.lrange(runKeys(this.prefix, runId).repairs, 0, -1)) as unknown[];
    return raw.map((entry) => {
      const [at, nodeId, reason] = String(entry).split("|");
      return { at: new Date(Number(at)).toISOString(), nodeId: nodeId ?? "", reason: reason ?? "" };
    });
  }

  /**
   * Runs sweep_run: applies the repairs whose node is unchanged since the read, takes ready nodes the run has free
   * slots for, and gives every run key `keepTtlSeconds`.
   * @param now ms since epoch.
   * @throws UpstashError when Redis fails.
   */
  async apply(
    runId: string,
    now: number,
    keepTtlSeconds: number,
    repairs: readonly RepairRequest[],
  ): Promise<SweepApplied> {
    const args = [now, keepTtlSeconds, ...repairs.flatMap((r) => [r.nodeId, r.reason, r.seen, r.mark])];
    const [status, ...rest] = (await this.scripts.exec("sweepRun", runKeys(this.prefix, runId).all, args)).map(String);
    const repaired: SweepApplied["repaired"] = [];
    for (let i = 0; i + 1 < rest.length; i += 2)
      repaired.push({ nodeId: rest[i] as string, reason: rest[i + 1] as string });
    return { runStatus: status ?? "missing", repaired };
  }
}
