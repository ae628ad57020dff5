import { describe, expect, it } from "vitest";
import type { TaskInput } from "../../../shared/routing/analyze-task.js";
import { describeRoute, type RouteOptions, routeModel } from "../../../shared/routing/route-model.js";
import type { TierMap } from "../../../shared/routing/tier-map.js";
import { FakeClassifier } from "./fake-classifier.js";

const TIER_MAP: TierMap = {
  anthropic: { fast: "claude-haiku-x", balanced: "claude-sonnet-x", deep: "claude-opus-x" },
  simulated: { fast: "sim-fast", balanced: "sim-balanced", deep: "sim-deep" },
};
const OPTIONS: RouteOptions = { tierMap: TIER_MAP, provider: "anthropic" };

function task(overrides: Partial<TaskInput> = {}): TaskInput {
  return {
    nodeId: "step",
    agent: "worker",
    prompt: "Do the thing.",
    upstreamCount: 1,
    dependentsCount: 1,
    isSink: false,
    maxOutputTokens: 1024,
    ...overrides,
  };
}

describe("routeModel", () => {
  it.each([
    // overrides, provider, tier, model, source
    [{ nodeModel: "deep" }, "anthropic", "deep", "claude-opus-x", "explicit"],
    [{ agentModel: "simulated:fast" }, "simulated", "fast", "sim-fast", "explicit"],
    [{ agentModel: "sim-balanced" }, "simulated", "balanced", "sim-balanced", "explicit"],
    [{ agentModel: "claude-sonnet-x" }, "anthropic", "balanced", "claude-sonnet-x", "explicit"],
    [{ agentModel: "gpt-unknown" }, "anthropic", null, "gpt-unknown", "explicit"],
    [{ upstreamCount: 5 }, "anthropic", "balanced", "claude-sonnet-x", "rules"],
    [{ prompt: "Summarize it." }, "anthropic", "fast", "claude-haiku-x", "rules"],
    [{ complexity: "high" }, "anthropic", "deep", "claude-opus-x", "rules"],
  ] as const)("%j -> %s %s %s (%s)", async (overrides, provider, tier, model, source) => {
    const d = await routeModel(task(overrides), OPTIONS);
    expect({ provider: d.provider, tier: d.tier, model: d.model, source: d.source }).toEqual({
      provider,
      tier,
      model,
      source,
    });
  });

  it("gives a model outside the tier map to the provider that claims it", async () => {
    const d = await routeModel(task({ agentModel: "@cf/meta/llama" }), {
      ...OPTIONS,
      providerOfModel: (m) => (m.startsWith("@cf/") ? "workers-ai" : undefined),
    });
    expect(d).toMatchObject({ provider: "workers-ai", tier: null, model: "@cf/meta/llama" });
  });

  it("rejects a provider tier of an unknown provider", async () => {
    await expect(routeModel(task({ agentModel: "openai:deep" }), OPTIONS)).rejects.toThrow(
      /no tier map entry for provider "openai"/,
    );
  });

  it("describes a decision in one line for progress", async () => {
    expect(describeRoute(await routeModel(task({ upstreamCount: 5 }), OPTIONS))).toBe(
      "balanced: synthesis over 5 inputs",
    );
    expect(describeRoute(await routeModel(task({ agentModel: "gpt-unknown" }), OPTIONS))).toBe(
      'gpt-unknown: explicit: agent model "gpt-unknown"',
    );
  });

  describe("with a classifier", () => {
    it("asks it only when the rules are unsure, and takes its tier", async () => {
      const classifier = new FakeClassifier("deep");
      const sure = await routeModel(task({ upstreamCount: 5 }), { ...OPTIONS, classifier });
      expect(sure.source).toBe("rules");
      expect(classifier.requests).toHaveLength(0);

      const unsure = await routeModel(task({ system: "You are helpful." }), { ...OPTIONS, classifier, runId: "run_1" });
      expect(unsure).toMatchObject({
        source: "classifier",
        tier: "deep",
        model: "claude-opus-x",
        reason: "classifier, rules unsure: no routing signal (default)",
      });
      expect(unsure.classifier?.usage).toEqual({ inputTokens: 50, outputTokens: 1 });
      expect(classifier.requests).toEqual([
        { prompt: "Do the thing.", system: "You are helpful.", nodeId: "step", runId: "run_1", signal: undefined },
      ]);
    });

    it("never asks it for explicit choices", async () => {
      const classifier = new FakeClassifier("fast");
      const d = await routeModel(task({ agentModel: "deep" }), { ...OPTIONS, classifier });
      expect(d.tier).toBe("deep");
      expect(classifier.requests).toHaveLength(0);
    });

    it("caps its tier by the budget like the rules", async () => {
      const d = await routeModel(task({ budgetRemainingUsd: 0.3 }), {
        ...OPTIONS,
        classifier: new FakeClassifier("deep"),
      });
      expect(d).toMatchObject({
        source: "classifier",
        tier: "balanced",
        reason: "classifier, rules unsure: no routing signal (default); budget: $0.30 left",
      });
    });

    it("keeps the rules' tier when it fails or names none", async () => {
      const failed = await routeModel(task(), {
        ...OPTIONS,
        classifier: new FakeClassifier(new Error("429 rate limited")),
      });
      expect(failed).toMatchObject({
        source: "rules",
        tier: "balanced",
        reason: "no routing signal (default); classifier failed: 429 rate limited",
      });
      const none = await routeModel(task(), { ...OPTIONS, classifier: new FakeClassifier(null) });
      expect(none).toMatchObject({
        source: "rules",
        tier: "balanced",
        reason: "no routing signal (default); classifier named no tier",
      });
    });
  });

  describe("with prices", () => {
    // $ per million tokens (input, output) of the test models
    const PRICES: Record<string, [number, number]> = {
      "claude-haiku-x": [1, 5],
      "claude-sonnet-x": [3, 15],
      "claude-opus-x": [15, 75],
    };
    const costUsd = (model: string, u: { inputTokens: number; outputTokens: number }) => {
      const p = PRICES[model];
      return p ? (u.inputTokens * p[0] + u.outputTokens * p[1]) / 1e6 : null;
    };

    it("caps by what each tier's worst case would cost", async () => {
      // 10k in + 2k out: opus $0.30, sonnet $0.06, haiku $0.02
      const d = await routeModel(
        task({ complexity: "high", inputTokens: 10_000, maxOutputTokens: 2000, budgetRemainingUsd: 0.1 }),
        { ...OPTIONS, costUsd },
      );
      expect(d).toMatchObject({
        tier: "balanced",
        model: "claude-sonnet-x",
        reason: "hint: complexity high; budget: $0.10 left, deep needs up to $0.30",
      });
      expect(d.analysis.signals.budgetCap).toBe("balanced");
    });

    it("does not price anything without a budget", async () => {
      let calls = 0;
      const counting = (m: string, u: { inputTokens: number; outputTokens: number }) => (calls++, costUsd(m, u));
      const d = await routeModel(task({ complexity: "high" }), { ...OPTIONS, costUsd: counting });
      expect(d.tier).toBe("deep");
      expect(calls).toBe(0);
    });

    it("treats a price function that throws as unknown prices (the threshold rule applies)", async () => {
      const d = await routeModel(task({ complexity: "high", budgetRemainingUsd: 0.1 }), {
        ...OPTIONS,
        costUsd: () => {
          throw new Error("unknown model");
        },
      });
      expect(d).toMatchObject({ tier: "balanced", reason: "hint: complexity high; budget: $0.10 left" });
    });
  });
});
