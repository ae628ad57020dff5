import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import { startFakeOpenAI } from "../../local/fake-providers/openai.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { costUsd } from "../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../shared/pricing/prices.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

const PRIMARY = "claude-opus-4-5";
const FALLBACK = "gpt-6.1-sol";
const FAILURES = 3;
const COOLDOWN_MS = 8_000;

const nodesOf = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A provider outage through the full stack (worker in workerd, local QStash, real Redis) with two fake providers: the
 * Anthropic fake answers 529 (overloaded) for the deep model, the OpenAI-compatible fake is the deep tier's fallback.
 */
describe("DoS: provider outage opens the model's circuit, routes to the fallback, and recovers through the probe", () => {
  let h: Harness;
  let primary: FakeProviderServer;
  let fallback: FakeProviderServer;
  beforeAll(async () => {
    [primary, fallback] = await Promise.all([startFakeAnthropic({ port: 0 }), startFakeOpenAI({ port: 0 })]);
    h = await startHarness({
      vars: {
        PROVIDERS: JSON.stringify({
          anthropic: { type: "anthropic", baseUrl: primary.baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" },
          openai: { type: "openai-compatible", baseUrl: fallback.baseUrl, apiKeySecret: "OPENAI_API_KEY" },
        }),
        ANTHROPIC_API_KEY: "fake-key",
        OPENAI_API_KEY: "fake-key",
        DEFAULT_PROVIDER: "anthropic",
        TIERS: JSON.stringify({
          anthropic: { fast: "claude-haiku-4-5", balanced: "claude-sonnet-4-5", deep: PRIMARY },
        }),
        MODEL_FALLBACKS: JSON.stringify({ deep: [`openai:${FALLBACK}`] }),
        TENANT_BUDGETS: JSON.stringify({ "*": { usd: 100 } }),
        CIRCUIT_FAILURES: String(FAILURES),
        CIRCUIT_WINDOW_SECONDS: "60",
        CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000),
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([primary?.close(), fallback?.close()]);
  });

  it("opens after the failures, sends later nodes to the fallback (priced as such) without calling the failing model, then closes on the probe", async () => {
    primary.setBehaviour({ outage: { status: 529, models: [PRIMARY] } });

    // 1. the outage: the node's first attempts get 529s; the third opens the circuit; the next attempt goes to the
    //    fallback, and the reason says so
    const first = await h.waitForRun(
      (await h.client.start({ workflow: workflow([node("first", [], { model: "deep", retries: 6 })]) })).runId,
    );
    expect(first.status).toBe("completed");
    const n1 = nodesOf(first)[0];
    expect(primary.requestsByModel()).toEqual({ [PRIMARY]: FAILURES });
    expect(primary.calls().every((c) => c.status === 529)).toBe(true);
    expect(n1?.attempts).toBe(FAILURES + 1);
    expect(n1?.model).toBe(FALLBACK);
    expect(n1?.route).toMatchObject({ provider: "openai", tier: "deep" });
    expect(n1?.route?.reason).toContain(`fallback: ${FALLBACK} (anthropic:${PRIMARY} circuit open)`);
    // the budget prices the model that ran (the fallback), not the routed one
    const u = n1?.usage as NonNullable<NonNullable<typeof n1>["usage"]>;
    expect(Math.round((n1?.costUsd ?? 0) * 1e6)).toBe(Math.round(costUsd(FALLBACK, u, DEFAULT_PRICES) * 1e6));
    expect(Math.round((n1?.costUsd ?? 0) * 1e6)).not.toBe(Math.round(costUsd(PRIMARY, u, DEFAULT_PRICES) * 1e6));
    const openedAt = primary.calls().at(-1)?.at ?? Date.now();

    // 2. while open: every deep node goes straight to the fallback; the failing model gets no call at all
    const during = await h.waitForRun(
      (
        await h.client.start({
          workflow: workflow(["a", "b", "c", "d"].map((id) => node(id, [], { model: "deep", retries: 2 }))),
        })
      ).runId,
    );
    expect(during.status).toBe("completed");
    for (const n of nodesOf(during)) {
      expect(n.attempts).toBe(1);
      expect(n.model).toBe(FALLBACK);
      expect(n.route?.reason).toContain("circuit open");
    }
    expect(primary.requestsByModel()).toEqual({ [PRIMARY]: FAILURES });
    expect(fallback.requestsByModel()).toEqual({ [FALLBACK]: 5 });
    expect(Date.now() - openedAt).toBeLessThan(COOLDOWN_MS); // still inside the cool-down, or the test proves nothing

    // 3. the provider recovers; after the cool-down the half-open probe reaches it and closes the circuit
    primary.setBehaviour({});
    await sleep(Math.max(0, openedAt + COOLDOWN_MS + 200 - Date.now()));
    const probe = await h.waitForRun(
      (await h.client.start({ workflow: workflow([node("probe", [], { model: "deep", retries: 2 })]) })).runId,
    );
    const p = nodesOf(probe)[0];
    expect(p?.model).toBe(PRIMARY);
    expect(p?.route?.reason).not.toContain("fallback");

    // 4. traffic is back on the routed model
    const after = await h.waitForRun(
      (
        await h.client.start({
          workflow: workflow(["x", "y", "z"].map((id) => node(id, [], { model: "deep", retries: 2 }))),
        })
      ).runId,
    );
    expect(after.status).toBe("completed");
    for (const n of nodesOf(after)) {
      expect(n.model).toBe(PRIMARY);
      expect(n.route?.provider).toBe("anthropic");
    }
    expect(primary.requestsByModel()).toEqual({ [PRIMARY]: FAILURES + 4 });
    expect(fallback.requestsByModel()).toEqual({ [FALLBACK]: 5 });
  });
});
