import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { runKeys } from "../../../shared/state/keys.js";
import {
  activeRunsKey,
  decodeCursor,
  encodeCursor,
  RunIndex,
  type RunListQuery,
  tenantRunsKey,
} from "../../../shared/state/run-index.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

const T0 = 1_800_000_000_000;
const KEEP = 3600;

/**
 * The per-tenant run index and the active-run index through the official client and the local Upstash REST server,
 * on a real Redis and on the embedded in-memory store.
 */
describe.each(STORE_BACKENDS)("run index on $name", ({ memory }) => {
  const prefix = `test-index-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let redis: Redis;
  let index: RunIndex;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    redis = storeRedis(stack);
    index = new RunIndex(redis, prefix, KEEP);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  const id = () => `run_${(++seq).toString(16).padStart(26, "0")}`;

  /** A run as start_run leaves its meta, indexed like startRun does. */
  async function run(
    tenant: string,
    createdAt: number,
    meta: Record<string, string | number> = {},
    runId = id(),
  ): Promise<string> {
    const p = redis.pipeline();
    index.queueStart(p, tenant, runId, createdAt, createdAt + 1000);
    p.hset(runKeys(prefix, runId).meta, {
      status: "running",
      workflow: "w",
      trigger: "api",
      createdAt,
      nodeCount: 3,
      doneCount: 1,
      failedCount: 0,
      skippedCount: 0,
      inputTokens: 10,
      outputTokens: 20,
      costMicroUsd: 1500,
      ...meta,
    });
    await p.exec();
    return runId;
  }

  const q = (over: Partial<RunListQuery> = {}): RunListQuery => ({ limit: 20, ...over });

  it("uses the requested backend", () => {
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  it("lists a tenant's runs newest first with their meta, and no other tenant's", async () => {
    const older = await run("t1", T0);
    const newer = await run("t1", T0 + 10, { status: "completed", finishedAt: T0 + 50, doneCount: 3 });
    await run("t2", T0 + 5);
    const page = await index.list("t1", q());
    expect(page.nextCursor).toBeNull();
    expect(page.runs.map((r) => r.runId)).toEqual([newer, older]);
    expect(page.runs[0]).toEqual({
      runId: newer,
      status: "completed",
      workflow: "w",
      trigger: "api",
      createdAt: new Date(T0 + 10).toISOString(),
      finishedAt: new Date(T0 + 50).toISOString(),
      totals: { nodes: 3, done: 3, failed: 0, skipped: 0, inputTokens: 10, outputTokens: 20, costUsd: 0.0015 },
    });
    expect(page.runs[1]?.finishedAt).toBeNull();
  });

  it("filters by status, workflow, trigger and creation time", async () => {
    const t = "t-filter";
    const a = await run(t, T0 + 1, { status: "completed", workflow: "alpha" });
    const b = await run(t, T0 + 2, { status: "failed", workflow: "beta", trigger: "cron:0 6 * * *" });
    const c = await run(t, T0 + 3, { status: "running", workflow: "alpha" });
    const ids = async (over: Partial<RunListQuery>) => (await index.list(t, q(over))).runs.map((r) => r.runId);
    expect(await ids({ status: ["completed", "failed"] })).toEqual([b, a]);
    expect(await ids({ workflow: "alpha" })).toEqual([c, a]);
    expect(await ids({ trigger: "cron:0 6 * * *" })).toEqual([b]);
    expect(await ids({ since: T0 + 2 })).toEqual([c, b]);
    expect(await ids({ until: T0 + 2 })).toEqual([b, a]);
    expect(await ids({ since: T0 + 2, until: T0 + 2 })).toEqual([b]);
  });

  it("pages with a cursor, runs created in the same millisecond included, each run once", async () => {
    const t = "t-page";
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push(await run(t, T0 + Math.floor(i / 3)));
    const expected = [...made].sort((x, y) => {
      const [sx, sy] = [Math.floor(made.indexOf(x) / 3), Math.floor(made.indexOf(y) / 3)];
      return sy - sx || (y < x ? -1 : 1);
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await index.list(
        t,
        q({ limit: 2, ...(cursor ? { cursor: decodeCursor(cursor) ?? undefined } : {}) }),
      );
      seen.push(...page.runs.map((r) => r.runId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(expected);
    expect(pages).toBeLessThanOrEqual(5);
  });

  it("a filtered page fills from further entries and stops at the end", async () => {
    const t = "t-sparse";
    const keep = await run(t, T0, { workflow: "rare" });
    for (let i = 1; i <= 5; i++) await run(t, T0 + i);
    const page = await index.list(t, q({ workflow: "rare", limit: 1 }));
    expect(page.runs.map((r) => r.runId)).toEqual([keep]);
  });

  it("skips and removes entries whose run expired", async () => {
    const t = "t-expired";
    const gone = await run(t, T0);
    const kept = await run(t, T0 + 1);
    await redis.del(runKeys(prefix, gone).meta);
    expect((await index.list(t, q())).runs.map((r) => r.runId)).toEqual([kept]);
    expect(await redis.zscore(tenantRunsKey(prefix, t), gone)).toBeNull();
  });

  it("trims entries older than the longest a run lives and gives the key that TTL", async () => {
    const t = "t-trim";
    const old = await run(t, T0);
    const fresh = await run(t, T0 + KEEP * 1000 + 1);
    expect(await redis.zrange(tenantRunsKey(prefix, t), 0, -1)).toEqual([fresh]);
    expect(old).not.toBe(fresh);
    const ttl = await redis.ttl(tenantRunsKey(prefix, t));
    expect(ttl).toBeGreaterThan(KEEP - 5);
    expect(ttl).toBeLessThanOrEqual(KEEP);
  });

  it("keeps a run's place when it is indexed again (an idempotent repeat)", async () => {
    const t = "t-repeat";
    const r = await run(t, T0);
    await run(t, T0 + 99, {}, r);
    expect(Number(await redis.zscore(tenantRunsKey(prefix, t), r))).toBe(T0);
  });

  it("hands the sweeper due runs earliest first, bounded, and applies its verdicts", async () => {
    const local = new RunIndex(redis, `${prefix}-active`, KEEP);
    const p = redis.pipeline();
    local.queueStart(p, "t", "run_a", T0, T0 + 300);
    local.queueStart(p, "t", "run_b", T0, T0 + 100);
    local.queueStart(p, "t", "run_c", T0, T0 + 200);
    local.queueStart(p, "t", "run_d", T0, T0 + 10_000);
    await p.exec();
    expect(await local.due(T0 + 5000, 2)).toEqual(["run_b", "run_c"]);
    expect(await local.due(T0 + 5000, 10)).toEqual(["run_b", "run_c", "run_a"]);
    await local.reschedule([{ runId: "run_b", at: T0 + 20_000 }], ["run_c"]);
    expect(await local.due(T0 + 15_000, 10)).toEqual(["run_a", "run_d"]);
    // a verdict never re-adds a run that another sweep dropped meanwhile
    await local.reschedule([{ runId: "run_c", at: T0 }], []);
    expect(await redis.zscore(activeRunsKey(`${prefix}-active`), "run_c")).toBeNull();
    // a run that runs again (retry, rerun) is watched again; one still watched keeps its time
    await local.watch("run_c", T0 + 1);
    await local.watch("run_a", T0 + 1);
    expect(await local.due(T0 + 15_000, 10)).toEqual(["run_c", "run_a", "run_d"]);
  });
});

describe("run cursor", () => {
  it("round-trips and refuses anything it did not make", () => {
    const c = { createdAt: T0, runId: `run_${"a".repeat(26)}` };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(encodeCursor(c)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor("not-a-cursor")).toBeNull();
    expect(decodeCursor(btoa(`${T0}.run_x`))).toBeNull();
  });
});
