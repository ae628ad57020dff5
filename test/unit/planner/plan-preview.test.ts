import { describe, expect, it } from "vitest";
import { inputTokenBound } from "../../../shared/budget/input-bound.js";
import { worstCase } from "../../../shared/budget/worst-case.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import { previewPlan } from "../../../shared/planner/plan-preview.js";
import { costUsd } from "../../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";

const tierMap = { anthropic: { fast: "claude-haiku-4-5", balanced: "claude-sonnet-4-5", deep: "claude-opus-4-5" } };
const ctx = {
  tierMap,
  defaultProvider: "anthropic",
  classifier: false,
  price: (m: string, u: Parameters<typeof costUsd>[1]) => costUsd(m, u, DEFAULT_PRICES),
};

function compiled(def: unknown) {
  const v = validateWorkflow(def);
  if (!v.ok) throw new Error(JSON.stringify(v.problem));
  return v;
}

const def = {
  name: "p",
  agents: {
    quick: { system: "You are quick.", model: "fast", maxOutputTokens: 100 },
    auto: { system: "You think.", maxOutputTokens: 300 },
  },
  nodes: [
    { id: "a", agent: "quick", prompt: "Read {{input.doc}}" },
    { id: "b", agent: "auto", prompt: "Use {{nodes.a.output}}", dependsOn: ["a"] },
    { id: "c", agent: "auto", prompt: "Also {{nodes.a.output}} and {{nodes.b.output}}", dependsOn: ["a", "b"] },
  ],
};

describe("previewPlan", () => {
  it("bounds each node from its prompt, input and upstream limits, and sums them", async () => {
    const { workflow, dag } = compiled(def);
    const input = { doc: "é".repeat(50) };
    const p = await previewPlan(workflow, dag, input, null, ctx);
    const byId = Object.fromEntries(p.nodes.map((n) => [n.id, n]));
    // node a: the run's own hold bound of its rendered prompt (é is 2 UTF-8 bytes)
    const rendered = `Read ${input.doc}`;
    expect(byId.a?.worstCase.inputTokens).toBeGreaterThanOrEqual(inputTokenBound(["You are quick.", rendered]));
    expect(byId.a?.worstCase.outputTokens).toBe(100);
    // node c reads a (100) and b (300) at their output limits
    expect(byId.c?.worstCase.inputTokens).toBeGreaterThanOrEqual(100 + 300 + inputTokenBound(["You think."]));
    for (const n of p.nodes) expect(p.worstCase.tokens).toBeGreaterThanOrEqual(n.worstCase.tokens);
    expect(p.worstCase.tokens).toBe(p.nodes.reduce((s, n) => s + n.worstCase.tokens, 0));
    expect(p.worstCase.calls).toBe(3);
    expect(p.levels).toEqual([["a"], ["b"], ["c"]]);
    expect(p.criticalPath).toEqual(["a", "b", "c"]);
    expect(p.fits).toBe(true);
  });

  it("prices an explicit tier at its model and automatic routing at the dearest tier; compares with the budget", async () => {
    const { workflow, dag } = compiled(def);
    const p = await previewPlan(workflow, dag, { doc: "x" }, null, ctx);
    const a = p.nodes.find((n) => n.id === "a");
    const b = p.nodes.find((n) => n.id === "b");
    expect(a?.tier).toBe("fast");
    expect(a?.reason).toContain("explicit");
    const price = (m: string) => (u: Parameters<typeof costUsd>[1]) => costUsd(m, u, DEFAULT_PRICES);
    const aw = a?.worstCase;
    expect(aw?.usd).toBeCloseTo(
      worstCase(aw?.inputTokens ?? 0, aw?.outputTokens ?? 0, price("claude-haiku-4-5")).usd,
      9,
    );
    const bw = b?.worstCase;
    expect(bw?.usd).toBeCloseTo(
      worstCase(bw?.inputTokens ?? 0, bw?.outputTokens ?? 0, price("claude-opus-4-5")).usd,
      9,
    );
    const total = p.worstCase.usd ?? 0;
    expect(total).toBeGreaterThan(0);
    for (const n of p.nodes) expect(total).toBeGreaterThanOrEqual(n.worstCase.usd ?? Number.POSITIVE_INFINITY);

    const tight = await previewPlan(workflow, dag, { doc: "x" }, { usd: total / 2, onBudget: "fail" }, ctx);
    expect(tight.fits).toBe(false);
    const roomy = await previewPlan(workflow, dag, { doc: "x" }, { usd: total * 2, onBudget: "fail" }, ctx);
    expect(roomy.fits).toBe(true);
    const tokens = await previewPlan(
      workflow,
      dag,
      { doc: "x" },
      { tokens: p.worstCase.tokens - 1, onBudget: "fail" },
      ctx,
    );
    expect(tokens.fits).toBe(false);
  });

  it("an unpriced model makes the USD unknown and a USD budget not fit", async () => {
    const { workflow, dag } = compiled({ ...def, agents: { ...def.agents, quick: { model: "mystery-model-1" } } });
    const p = await previewPlan(workflow, dag, {}, { usd: 100, onBudget: "fail" }, ctx);
    expect(p.nodes.find((n) => n.id === "a")?.worstCase.usd).toBeNull();
    expect(p.worstCase.usd).toBeNull();
    expect(p.fits).toBe(false);
  });
});
