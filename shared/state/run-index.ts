/**
 * Two indexes over runs, outside any run's hash tag (so they are written from TypeScript next to `start_run`, never
 * inside a run's Lua script, which must touch one hash slot only):
 * - `<prefix>:runs:<tenant>`: sorted set of the tenant's runs, score = creation time (ms), member = run id. It backs
 *   `GET /v1/runs` (newest first, cursor-paginated). Each write trims entries older than the longest a run is kept
 *   and gives the key that TTL, so the index expires with the runs; an entry whose run has expired is skipped and
 *   removed when a listing meets it.
 * - `<prefix>:active`: sorted set of the runs the sweeper must look at, score = when it should next look (ms),
 *   member = run id. A run joins it when it starts and leaves it when the sweeper sees it finished (or expired), so
 *   a sweep reads only due runs: its cost is bounded by its batch, whatever the keyspace holds.
 */
import type { Redis } from "@upstash/redis";
import { hmgetValues } from "../util/hmget-values.js";
import { runKeys } from "./keys.js";
import type { RunStatus } from "./run-types.js";

/** The slice of the Upstash Redis client the indexes use (created with `automaticDeserialization: false`). */
export type RunIndexRedis = Pick<Redis, "pipeline" | "zrange" | "zrem" | "zadd">;

type Pipe = ReturnType<RunIndexRedis["pipeline"]>;

/** Key of a tenant's run index (`<prefix>:runs:<tenant>`). */
export function tenantRunsKey(prefix: string, tenant: string): string {
  return `${prefix}:runs:${tenant}`;
}

/** Key of the active-run index the sweeper reads (`<prefix>:active`). */
export function activeRunsKey(prefix: string): string {
  return `${prefix}:active`;
}

/** Position in a tenant's listing: the last run returned (its creation time, ms, and id). */
export interface RunCursor {
  createdAt: number;
  runId: string;
}

/** Encodes a cursor as an opaque string: base64url of `<createdAt>.<runId>`. */
export function encodeCursor(c: RunCursor): string {
  return btoa(`${c.createdAt}.${c.runId}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes {@link encodeCursor}'s output; null when `text` is not a cursor it made. */
export function decodeCursor(text: string): RunCursor | null {
  let raw: string;
  try {
    raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const m = /^(\d{1,16})\.(run_[0-9a-f]{26})$/.exec(raw);
  return m ? { createdAt: Number(m[1]), runId: m[2] as string } : null;
}

/** Filters and page of a listing. Times are ms since epoch, inclusive; `status` empty or absent: any status. */
export interface RunListQuery {
  status?: readonly RunStatus[] | undefined;
  workflow?: string | undefined;
  trigger?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Most runs to return, 1..100. */
  limit: number;
  cursor?: RunCursor | undefined;
}

/** One run in a listing: what its meta hash says, no per-node data. Times ISO 8601; cost in USD. */
export interface RunSummary {
  runId: string;
  status: string;
  workflow: string;
  trigger: string;
  createdAt: string;
  finishedAt: string | null;
  totals: {
    nodes: number;
    done: number;
    failed: number;
    skipped: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  };
}

/** A page of a listing; `nextCursor` is null when there is nothing after it. */
export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

/** Meta fields a listing reads per run (one HMGET each, all in one pipeline). */
const SUMMARY_FIELDS = [
  "status",
  "workflow",
  "trigger",
  "createdAt",
  "finishedAt",
  "nodeCount",
  "doneCount",
  "failedCount",
  "skippedCount",
  "inputTokens",
  "outputTokens",
  "costMicroUsd",
] as const;

/** Index entries read per round trip of a listing. */
const PAGE_READ = 100;
/** Most index entries one listing reads (filters may reject many): past it, the page ends early with a cursor. */
export const MAX_LISTING_SCAN = 1000;

/**
 * The tenant run index and the active-run index (see the module header).
 */
export class RunIndex {
  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param keepSeconds the longest a run's keys live (an active run's TTL plus the retention): how long an entry
   *   of a tenant's index is kept, and that key's TTL.
   */
  constructor(
    private readonly redis: RunIndexRedis,
    private readonly prefix: string,
    private readonly keepSeconds: number,
  ) {}

  /**
   * Queues on `p` the index writes of a run that starts: its entry in the tenant's index (kept if present, so an
   * idempotent repeat keeps its place), the trim of entries older than `keepSeconds`, the key's TTL, and its entry
   * in the active index, due at `lookAt` (kept if present).
   * @param createdAt ms since epoch. @param lookAt ms since epoch: when the sweeper should first look at the run.
   */
  queueStart(p: Pipe, tenant: string, runId: string, createdAt: number, lookAt: number): void {
    const key = tenantRunsKey(this.prefix, tenant);
    p.zadd(key, { nx: true }, { score: createdAt, member: runId });
    p.zremrangebyscore(key, "-inf", createdAt - this.keepSeconds * 1000);
    p.expire(key, this.keepSeconds);
    p.zadd(activeRunsKey(this.prefix), { nx: true }, { score: lookAt, member: runId });
  }

  /**
   * One page of a tenant's runs, newest first, filtered; reads the candidates' meta in one pipeline per
   * {@link PAGE_READ} index entries and removes entries whose run expired. Reads at most {@link MAX_LISTING_SCAN}
   * entries: a page cut short there still carries a cursor.
   * @throws UpstashError when Redis fails.
   */
  async list(tenant: string, q: RunListQuery): Promise<RunPage> {
    const key = tenantRunsKey(this.prefix, tenant);
    const top = Math.min(q.cursor?.createdAt ?? Number.POSITIVE_INFINITY, q.until ?? Number.POSITIVE_INFINITY);
    const max = top === Number.POSITIVE_INFINITY ? "+inf" : top;
    const min = q.since ?? "-inf";
    const runs: RunSummary[] = [];
    const expired: string[] = [];
    let offset = 0;
    let last: RunCursor | null = null;
    while (offset < MAX_LISTING_SCAN) {
      const raw = (await this.redis.zrange(key, max as number, min as number, {
        byScore: true,
        rev: true,
        offset,
        count: PAGE_READ,
        withScores: true,
      })) as unknown[];
      const entries = pairs(raw).filter(
        (e) => !q.cursor || e.createdAt < q.cursor.createdAt || e.runId < q.cursor.runId,
      );
      offset += raw.length / 2;
      if (entries.length > 0) {
        const p = this.redis.pipeline();
        for (const e of entries) p.hmget(runKeys(this.prefix, e.runId).meta, ...SUMMARY_FIELDS);
        const metas = (await p.exec()) as unknown[];
        for (const [i, e] of entries.entries()) {
          last = e;
          const summary = toSummary(e.runId, hmgetValues(metas[i], SUMMARY_FIELDS));
          if (!summary) expired.push(e.runId);
          else if (matches(summary, q)) runs.push(summary);
          if (runs.length === q.limit) break;
        }
      }
      if (runs.length === q.limit || raw.length / 2 < PAGE_READ) break;
    }
    if (expired.length > 0) await this.redis.zrem(key, ...expired);
    const exhausted = runs.length < q.limit && offset < MAX_LISTING_SCAN;
    return { runs, nextCursor: exhausted || !last ? null : encodeCursor(last) };
  }

  /**
   * Puts a run back in the active index, due at `lookAt` (ms), unless it is there already: for a finished run that
   * runs again (a retry or rerun), which the sweeper had dropped.
   * @throws UpstashError when Redis fails.
   */
  async watch(runId: string, lookAt: number): Promise<void> {
    await this.redis.zadd(activeRunsKey(this.prefix), { nx: true }, { score: lookAt, member: runId });
  }

  /**
   * Up to `limit` runs whose next look is due (score ≤ `now`), earliest first.
   * @throws UpstashError when Redis fails.
   */
  async due(now: number, limit: number): Promise<string[]> {
    const raw = (await this.redis.zrange(activeRunsKey(this.prefix), "-inf" as unknown as number, now, {
      byScore: true,
      offset: 0,
      count: limit,
    })) as unknown[];
    return raw.map(String);
  }

  /**
   * Records the sweeper's verdicts in one pipeline: runs to look at again at the given time (ms), runs to forget
   * (finished or expired).
   * @throws UpstashError when Redis fails.
   */
  async reschedule(next: readonly { runId: string; at: number }[], done: readonly string[]): Promise<void> {
    if (next.length === 0 && done.length === 0) return;
    const key = activeRunsKey(this.prefix);
    const p = this.redis.pipeline();
    for (const { runId, at } of next) p.zadd(key, { xx: true }, { score: at, member: runId });
    if (done.length > 0) p.zrem(key, ...done);
    await p.exec();
  }
}

/** A `WITHSCORES` reply `[member, score, …]` as entries. */
function pairs(raw: unknown[]): RunCursor[] {
  const out: RunCursor[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push({ runId: String(raw[i]), createdAt: Number(raw[i + 1]) });
  return out;
}

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A run's meta values (in {@link SUMMARY_FIELDS} order) as a summary; null when the run is gone. */
function toSummary(runId: string, v: unknown[]): RunSummary | null {
  const [status, workflow, trigger, createdAt, finishedAt, nodes, done, failed, skipped, input, output, cost] = v;
  if (status == null || status === "") return null;
  return {
    runId,
    status: String(status),
    workflow: String(workflow ?? ""),
    trigger: String(trigger ?? ""),
    createdAt: new Date(num(createdAt)).toISOString(),
    finishedAt: finishedAt == null || finishedAt === "" ? null : new Date(num(finishedAt)).toISOString(),
    totals: {
      nodes: num(nodes),
      done: num(done),
      failed: num(failed),
      skipped: num(skipped),
      inputTokens: num(input),
      outputTokens: num(output),
      costUsd: num(cost) / 1e6,
    },
  };
}

function matches(s: RunSummary, q: RunListQuery): boolean {
  if (q.status && q.status.length > 0 && !q.status.includes(s.status as RunStatus)) return false;
  if (q.workflow !== undefined && s.workflow !== q.workflow) return false;
  return q.trigger === undefined || s.trigger === q.trigger;
}
