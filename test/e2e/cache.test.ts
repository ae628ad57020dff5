import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { RunRequest, RunViewBody } from "../../shared/client/run-api.js";
import { blobKey } from "../../shared/state/keys.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

const auth = { authorization: "Bearer dev-key" };
const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));

describe("result cache through the full stack (fake Anthropic counts provider calls)", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  const run = async (body: RunRequest): Promise<RunViewBody> => {
    const started = await h.client.start(body);
    return h.waitForRun(started.runId);
  };

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({
      vars: {
        PROVIDERS: JSON.stringify({
          anthropic: { type: "anthropic", baseUrl: fake.baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" },
        }),
        ANTHROPIC_API_KEY: "fake-key",
        DEFAULT_PROVIDER: "anthropic",
        TIERS: JSON.stringify({
          anthropic: { fast: "claude-haiku-4-5", balanced: "claude-sonnet-4-5", deep: "claude-opus-4-5" },
        }),
        CACHE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  const codebase = (tag: string, file = "export const x = 1;") => ({
    repo: `repo-${tag}`,
    tree: "index.ts",
    files: `=== index.ts\n${file}\n`,
    omitted: "nothing",
  });

  it("a second review-all on the same codebase makes zero provider calls, hits 100% and reports what it saved", async () => {
    fake.reset();
    fake.setBehaviour({ latencyMs: 150 });
    const input = codebase("twice");
    const first = await run({ workflow: "review-all", input });
    expect(first.status).toBe("completed");
    expect(first.cache).toMatchObject({ hits: 0, misses: 7, hitRate: 0 });
    const callsAfterFirst = fake.calls().length;
    expect(callsAfterFirst).toBe(7);

    const second = await run({ workflow: "review-all", input });
    expect(second.status).toBe("completed");
    expect(fake.calls().length).toBe(callsAfterFirst);
    expect(second.cache).toMatchObject({ hits: 7, misses: 0, hitRate: 1 });
    expect(second.cache.savedTokens).toBeGreaterThan(0);
    expect(second.cache.savedUsd).toBeGreaterThan(0);
    for (const n of Object.values(nodesOf(second))) {
      expect(n.cache).toBe("hit");
      expect(n.usage).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    }
  });

  it("a hit keeps the cached blob for the new run's retention (the blob is now that run's output too)", async () => {
    fake.reset();
    const input = codebase("ttl");
    const first = await run({ workflow: "review-all", input });
    expect(first.status).toBe("completed");
    const redis = new IORedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      const refs = Object.values(await redis.hgetall(`${h.prefix}:{run:${first.runId}}:output`));
      expect(refs).toHaveLength(7);
      // as if the blobs had been written long ago: one minute left
      for (const ref of refs) expect(await redis.expire(blobKey(h.prefix, ref), 60)).toBe(1);
      const second = await run({ workflow: "review-all", input });
      expect(second.cache).toMatchObject({ hits: 7, misses: 0 });
      // RUN_RETENTION_SECONDS of [env.dev] is 86,400
      for (const ref of refs) expect(await redis.ttl(blobKey(h.prefix, ref))).toBeGreaterThan(86_000);
    } finally {
      redis.disconnect();
    }
  });

  it("changing one file misses the analyzer and everything downstream of it", async () => {
    fake.reset();
    await run({ workflow: "review-all", input: codebase("change", "export const x = 1;") });
    const changed = await run({ workflow: "review-all", input: codebase("change", "export const x = 2;") });
    expect(changed.cache).toMatchObject({ hits: 0, misses: 7 });
    expect(fake.calls()).toHaveLength(14);
  });

  it("recomputes only the branch whose input changed", async () => {
    fake.reset();
    const wf = {
      name: "two-branches",
      agents: { a: { system: "You are terse.", model: "fast" } },
      nodes: [
        { id: "left", agent: "a", prompt: "Summarize {{input.left}}" },
        { id: "left-2", agent: "a", prompt: "Refine {{nodes.left.output}}", dependsOn: ["left"] },
        { id: "right", agent: "a", prompt: "Summarize {{input.right}}" },
        {
          id: "join",
          agent: "a",
          prompt: "Join {{nodes.left-2.output}} and {{nodes.right.output}}",
          dependsOn: ["left-2", "right"],
        },
      ],
    };
    await run({ workflow: wf, input: { left: "L1", right: "R1" } });
    const v = await run({ workflow: wf, input: { left: "L1", right: "R2" } });
    const n = nodesOf(v);
    expect([n.left?.cache, n["left-2"]?.cache, n.right?.cache, n.join?.cache]).toEqual(["hit", "hit", "miss", "miss"]);
    expect(fake.calls()).toHaveLength(4 + 2);
  });

  it("two identical runs started at the same moment make one provider call per distinct node", async () => {
    fake.reset();
    fake.setBehaviour({ latencyMs: 400 });
    const input = codebase("concurrent");
    const [a, b] = await Promise.all([run({ workflow: "review-all", input }), run({ workflow: "review-all", input })]);
    expect([a.status, b.status]).toEqual(["completed", "completed"]);
    expect(fake.calls()).toHaveLength(7);
    const total = (v: RunViewBody) => v.cache.hits + v.cache.shared + v.cache.misses;
    expect(total(a) + total(b)).toBe(14);
    expect(a.cache.misses + b.cache.misses).toBe(7);
    expect(a.cache.shared + b.cache.shared).toBeGreaterThan(0);
  });

  it("invalidation by node recomputes that node and its dependents only; stats count per workflow", async () => {
    fake.reset();
    const wf = {
      name: "invalidate-me",
      agents: { a: { system: "You are terse.", model: "fast" } },
      nodes: [
        { id: "one", agent: "a", prompt: "Summarize {{input.t}}" },
        { id: "two", agent: "a", prompt: "Summarize {{input.t}} again" },
        { id: "three", agent: "a", prompt: "Combine {{nodes.one.output}}", dependsOn: ["one"] },
      ],
    };
    fake.setBehaviour({ reply: "first answer" });
    await run({ workflow: wf, input: { t: "x" } });
    // a recomputed node whose output changes changes its dependents' keys (content-addressed cascade)
    fake.setBehaviour({ reply: "second answer" });
    const del = await fetch(`${h.url}/v1/cache?workflow=invalidate-me&node=one`, { method: "DELETE", headers: auth });
    expect(del.status).toBe(200);
    const v = await run({ workflow: wf, input: { t: "x" } });
    const n = nodesOf(v);
    expect([n.one?.cache, n.two?.cache, n.three?.cache]).toEqual(["miss", "hit", "miss"]);
    const stats = (await (await fetch(`${h.url}/v1/cache/stats?workflow=invalidate-me`, { headers: auth })).json()) as {
      byWorkflow: Record<string, { hits: number; misses: number }>;
    };
    expect(stats.byWorkflow["invalidate-me"]).toMatchObject({ hits: 1, misses: 5 });
    const bad = await fetch(`${h.url}/v1/cache?node=one`, { method: "DELETE", headers: auth });
    expect(bad.status).toBe(422);
  });

  it("stores a sensitive node's output encrypted at rest", async () => {
    fake.reset();
    fake.setBehaviour({ reply: "TOP-SECRET-PAYLOAD-0123456789 the quarterly numbers" });
    const wf = {
      name: "secret",
      agents: { a: { system: "You are terse.", model: "fast" } },
      nodes: [{ id: "s", agent: "a", prompt: "Say it", sensitive: true }],
    };
    const v = await run({ workflow: wf });
    expect(v.status).toBe("completed");
    const out = await h.client.output(v.runId);
    expect(out.outputs.s).toContain("TOP-SECRET-PAYLOAD");
    const redis = new IORedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      const keys = await redis.keys(`${h.prefix}:*`);
      const values = await Promise.all(
        keys.map(async (k) => {
          const type = await redis.type(k);
          if (type === "string") return await redis.get(k);
          if (type === "hash") return JSON.stringify(await redis.hgetall(k));
          if (type === "zset") return JSON.stringify(await redis.zrange(k, 0, -1));
          // the run's event log carries no output text either
          if (type === "stream") return JSON.stringify(await redis.xrange(k, "-", "+"));
          return JSON.stringify(await redis.lrange(k, 0, -1));
        }),
      );
      expect(values.some((x) => x?.includes("TOP-SECRET-PAYLOAD"))).toBe(false);
    } finally {
      redis.disconnect();
    }
  });

  it("leak: a node reading a sensitive output (template or dependsOn, transitively) is stored encrypted too", async () => {
    fake.reset();
    // every call answers the secret, as a node that quotes or summarises its sensitive input would
    fake.setBehaviour({ reply: "DERIVED-SECRET-PAYLOAD-9876543210 from the numbers" });
    const wf = {
      name: "secret-derived",
      agents: { a: { system: "You are terse.", model: "fast" } },
      nodes: [
        { id: "s", agent: "a", prompt: "Say it", sensitive: true },
        { id: "d", agent: "a", prompt: "Summarise {{nodes.s.output}}", dependsOn: ["s"] },
        { id: "dd", agent: "a", prompt: "Go on", dependsOn: ["d"] },
      ],
    };
    const v = await run({ workflow: wf });
    expect(v.status).toBe("completed");
    const nodes = nodesOf(v);
    expect(nodes.d?.excerpt).not.toContain("DERIVED-SECRET");
    expect(nodes.dd?.excerpt).not.toContain("DERIVED-SECRET");
    const out = await h.client.output(v.runId);
    expect(out.outputs.dd).toContain("DERIVED-SECRET-PAYLOAD");
    const redis = new IORedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      const keys = await redis.keys(`${h.prefix}:*`);
      const values = await Promise.all(
        keys.map(async (k) => {
          const type = await redis.type(k);
          if (type === "string") return await redis.get(k);
          if (type === "hash") return JSON.stringify(await redis.hgetall(k));
          if (type === "zset") return JSON.stringify(await redis.zrange(k, 0, -1));
          if (type === "stream") return JSON.stringify(await redis.xrange(k, "-", "+"));
          return JSON.stringify(await redis.lrange(k, 0, -1));
        }),
      );
      expect(values.some((x) => x?.includes("DERIVED-SECRET-PAYLOAD"))).toBe(false);
    } finally {
      redis.disconnect();
    }
  });
});
