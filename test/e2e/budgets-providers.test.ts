import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import { inputTokenBound } from "../../shared/budget/input-bound.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import type { NodeView } from "../../shared/progress/run-view.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/** Follows a run to its end. */
function view(h: Harness, runId: string): Promise<RunViewBody> {
  return h.waitForRun(runId);
}
const nodesOf = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);

describe("budgets through the full stack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("20 parallel nodes racing for a budget that holds five at once: the total never exceeds it", async () => {
    // each call holds its worst case: the input bound of "You test." / "Do nXy." (1 token per UTF-8 byte plus the
    // template allowance, input-bound.ts) plus the 100-token output limit; every id has 3 characters, so every hold
    // is equal and the first five always fit. A settle charges the simulated usage (4 characters per token, output
    // padded to the limit) and frees the rest of its hold, so a sixth may start after three settles.
    const perCall = inputTokenBound(["You test.", "Do n0x."]) + 100;
    const budget = { tokens: 5 * perCall, onBudget: "fail" as const };
    for (let round = 0; round < 5; round++) {
      const nodes = Array.from({ length: 20 }, (_, i) =>
        node(`n${i % 10}${i >= 10 ? "x" : "y"}`, [], {
          maxOutputTokens: 100,
          simulate: { latencyMs: 300, outputBytes: 400 },
        }),
      );
      const { runId } = await h.client.start({
        workflow: workflow(nodes, { concurrency: 20 }),
        budget,
        input: { round },
      });
      const v = await view(h, runId);
      const done = nodesOf(v).filter((n) => n.status === "done");
      const refused = nodesOf(v).filter((n) => n.status === "failed");
      // every call reserves exactly perCall: five always fit; more only as settles free unused holds
      expect(done.length).toBeGreaterThanOrEqual(5);
      expect(done.length).toBeLessThan(20);
      expect(done.length + refused.length).toBe(20);
      for (const n of refused) {
        expect(n.error).toMatch(/run budget exceeded/);
        expect(n.attempts).toBe(1); // a budget refusal is not retried
      }
      const used = done.reduce((sum, n) => sum + (n.usage ? n.usage.inputTokens + n.usage.outputTokens : 0), 0);
      expect(used).toBeLessThanOrEqual(budget.tokens);
      expect(v.budgetUsage?.usedTokens).toBe(used);
      expect(v.budgetUsage?.reservedTokens).toBe(0);
      // the holds bound concurrency: five holds fill the budget, so at no instant did more than five calls run. A
      // node's [startedAt, finishedAt] encloses its hold by a few ms at each end (claim before the reservation,
      // record after the settle), so each interval is trimmed by SLOP_MS against a false overlap; calls last 300 ms
      const SLOP_MS = 20;
      const edges = done.flatMap((n) => [
        { at: Date.parse(n.startedAt ?? "") + SLOP_MS, d: 1 },
        { at: Date.parse(n.finishedAt ?? "") - SLOP_MS, d: -1 },
      ]);
      expect(edges.every((e) => Number.isFinite(e.at))).toBe(true);
      edges.sort((a, b) => a.at - b.at || a.d - b.d);
      let running = 0;
      let peak = 0;
      for (const e of edges) peak = Math.max(peak, (running += e.d));
      expect(peak).toBeGreaterThanOrEqual(2);
      expect(peak).toBeLessThanOrEqual(5);
    }
  });
});

describe("real provider wire format (fake Anthropic) through the full stack", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({
      retrySpeedup: 1,
      vars: {
        PROVIDERS: JSON.stringify({
          anthropic: { type: "anthropic", baseUrl: fake.baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" },
        }),
        ANTHROPIC_API_KEY: "fake-key",
        DEFAULT_PROVIDER: "anthropic",
        TIERS: JSON.stringify({
          anthropic: { fast: "claude-haiku-4-5", balanced: "claude-sonnet-4-5", deep: "claude-opus-4-5" },
        }),
        TENANT_BUDGETS: JSON.stringify({ "*": { usd: 100 } }),
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it("routes, prices and records each node; the run total is the sum of the nodes", async () => {
    fake.reset();
    const wf = workflow(
      [
        node("extract", [], { prompt: "Extract and list the names in this text." }),
        node("audit", ["extract"], {
          prompt: "Audit the security architecture and design trade-offs of this:\n{{nodes.extract.output}}",
        }),
      ],
      { agents: { a: { system: "You are careful." } } }, // no model: routed automatically
    );
    const v = await view(h, (await h.client.start({ workflow: wf })).runId);
    expect(v.status).toBe("completed");
    const [extract, audit] = nodesOf(v);
    expect(extract?.route?.tier).toBe("fast");
    expect(extract?.route).toMatchObject({ provider: "anthropic", source: "rules" });
    expect(audit?.route).toMatchObject({ provider: "anthropic", tier: "deep", source: "rules" });
    expect(audit?.model).toBe("claude-opus-4-5");
    for (const n of [extract, audit]) expect(n?.costUsd).toBeGreaterThan(0);
    const micro = (x: number) => Math.round(x * 1e6);
    expect(micro(v.totals.costUsd ?? 0)).toBe(micro(extract?.costUsd ?? 0) + micro(audit?.costUsd ?? 0));
    expect(fake.calls().filter((c) => c.status === 200)).toHaveLength(2);
  });

  it("downgrades a tier when the budget does not fit and records why", async () => {
    fake.reset();
    // worst case of 2,000 output tokens: Opus and Sonnet do not fit in $0.02, Haiku does
    const wf = workflow([node("deep-one", [], { model: "deep", maxOutputTokens: 2000 })]);
    const v = await view(
      h,
      (await h.client.start({ workflow: wf, budget: { usd: 0.02, onBudget: "downgrade" } })).runId,
    );
    const n = nodesOf(v)[0] as NodeView;
    expect(n.status).toBe("done");
    expect(n.route?.tier).toBe("fast");
    expect(n.model).toBe("claude-haiku-4-5");
    expect(n.route?.reason).toMatch(/downgraded deep -> balanced -> fast/);
    expect(fake.requestsByModel()).toEqual({ "claude-haiku-4-5": 1 });
  });

  it("fails the node with a budget error when onBudget is fail", async () => {
    fake.reset();
    const wf = workflow([node("deep-one", [], { model: "deep", maxOutputTokens: 2000 })]);
    const v = await view(h, (await h.client.start({ workflow: wf, budget: { usd: 0.02, onBudget: "fail" } })).runId);
    const n = nodesOf(v)[0] as NodeView;
    expect(v.status).toBe("failed");
    expect(n.error).toMatch(/run budget exceeded/);
    expect(fake.calls()).toHaveLength(0);
  });

  it("siblings reading the same upstream output share a cached prompt prefix, priced as cache reads", async () => {
    fake.reset();
    fake.setBehaviour({ reply: "analysis ".repeat(1500) }); // ~3,000 tokens: above Anthropic's 1,024-token minimum
    const wf = workflow(
      [
        node("analyze", [], { model: "fast", maxOutputTokens: 4000 }),
        ...["r1", "r2", "r3"].map((id) =>
          node(id, ["analyze"], { model: "fast", prompt: `Review as ${id}:\n{{nodes.analyze.output}}` }),
        ),
      ],
      { concurrency: 1 }, // one at a time, so the first sibling has written the cache when the next one asks
    );
    const v = await view(h, (await h.client.start({ workflow: wf })).runId);
    expect(v.status).toBe("completed");
    const byId = Object.fromEntries(nodesOf(v).map((n) => [n.id, n]));
    const siblings = ["r1", "r2", "r3"].map((id) => byId[id]?.usage);
    expect(siblings.filter((u) => (u?.cacheWriteTokens ?? 0) > 0)).toHaveLength(1);
    expect(siblings.filter((u) => (u?.cacheReadTokens ?? 0) > 0)).toHaveLength(2);
    // a cache read costs a tenth of plain input for Haiku 4.5 ($0.10 vs $1 per MTok)
    const reader = ["r1", "r2", "r3"]
      .map((id) => byId[id])
      .find((n) => (n?.usage?.cacheReadTokens ?? 0) > 0) as NodeView;
    const u = reader.usage as NonNullable<NodeView["usage"]>;
    const expected = (u.inputTokens * 1 + u.outputTokens * 5 + u.cacheReadTokens * 0.1) / 1e6;
    // costs are kept in integer micro-USD (rounded to nearest)
    expect(Math.round((reader.costUsd ?? 0) * 1e6)).toBe(Math.round(expected * 1e6));
  });

  it("reports the tenant's daily usage", async () => {
    const res = await fetch(`${h.url}/v1/usage`, { headers: { authorization: "Bearer dev-key" } });
    expect(res.status).toBe(200);
    const usage = (await res.json()) as {
      tenant: string;
      usedUsd: number;
      usedTokens: number;
      limits: { usd: number };
    };
    expect(usage.tenant).toBe("dev");
    expect(usage.usedTokens).toBeGreaterThan(0);
    expect(usage.usedUsd).toBeGreaterThan(0);
    expect(usage.limits).toEqual({ usd: 100 });
    expect(
      (await fetch(`${h.url}/v1/usage?day=yesterday`, { headers: { authorization: "Bearer dev-key" } })).status,
    ).toBe(422);
  });

  it("retries a 429 after its Retry-After", async () => {
    fake.reset();
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 1 }] });
    const v = await view(
      h,
      (await h.client.start({ workflow: workflow([node("limited", [], { model: "fast" })]) })).runId,
    );
    expect(v.status).toBe("completed");
    expect(nodesOf(v)[0]?.attempts).toBe(2);
    const calls = fake.calls();
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("does not retry a 400: the node fails with the provider's message", async () => {
    fake.reset();
    fake.setBehaviour({ faults: [{ status: 400, message: "prompt is too long: 250000 tokens > 200000 maximum" }] });
    const v = await view(
      h,
      (await h.client.start({ workflow: workflow([node("too-long", [], { model: "fast", retries: 3 })]) })).runId,
    );
    expect(v.status).toBe("failed");
    const n = nodesOf(v)[0];
    expect(n?.attempts).toBe(1);
    expect(n?.error).toMatch(/prompt is too long/);
    expect(fake.calls()).toHaveLength(1);
  });
});
