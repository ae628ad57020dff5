import { describe, expect, it } from "vitest";
import { type Env, parseConfig } from "../../../functions/env.js";
import { clampTier, disallowedModelErrors } from "../../../shared/quota/model-allowance.js";
import { tenantQuota } from "../../../shared/quota/quota-spec.js";
import { simulatedNodeErrors } from "../../../shared/quota/simulated-switch.js";
import { DEFAULT_TIER_MAP } from "../../../shared/routing/tier-map.js";
import { type WorkflowDefinition, workflowDefinitionSchema } from "../../../shared/schema/workflow.js";
import { MINIMAL_ENV } from "../../support/env-fixture.js";

const base: Env = MINIMAL_ENV;

function flow(nodes: unknown[], agents: Record<string, unknown> = { a: { model: "sim-fast" } }): WorkflowDefinition {
  return workflowDefinitionSchema.parse({ name: "q", agents, nodes });
}

describe("quota config (DoS, overspend)", () => {
  it("TENANT_QUOTAS is validated at startup, naming the variable and the field", () => {
    const c = parseConfig({ ...base, TENANT_QUOTAS: '{"acme":{"concurrentRuns":2},"*":{"runsPerMinute":5}}' });
    expect(tenantQuota(c.tenantQuotas, "acme")).toEqual({ concurrentRuns: 2 });
    expect(tenantQuota(c.tenantQuotas, "other")).toEqual({ runsPerMinute: 5 });
    expect(() => parseConfig({ ...base, TENANT_QUOTAS: '{"acme":{"runsPerMinute":-1}}' })).toThrow(
      /TENANT_QUOTAS.*acme\.runsPerMinute/,
    );
    expect(() => parseConfig({ ...base, TENANT_QUOTAS: '{"acme":{"allowedTiers":["huge"]}}' })).toThrow(
      /TENANT_QUOTAS/,
    );
    expect(() => parseConfig({ ...base, TENANT_QUOTAS: '{"acme":{"perHour":1}}' })).toThrow(/TENANT_QUOTAS/);
    expect(parseConfig(base).tenantQuotas).toEqual({});
  });

  it("the simulated provider is off by default in production and on in development", () => {
    expect(parseConfig(base).allowSimulatedProvider).toBe(false);
    expect(parseConfig({ ...base, ENVIRONMENT: "development" }).allowSimulatedProvider).toBe(true);
    expect(parseConfig({ ...base, ALLOW_SIMULATED_PROVIDER: "true" }).allowSimulatedProvider).toBe(true);
    expect(
      parseConfig({ ...base, ENVIRONMENT: "development", ALLOW_SIMULATED_PROVIDER: "false" }).allowSimulatedProvider,
    ).toBe(false);
    expect(() => parseConfig({ ...base, ALLOW_SIMULATED_PROVIDER: "yes" })).toThrow(/ALLOW_SIMULATED_PROVIDER/);
  });
});

describe("allowed models and tiers (overspend)", () => {
  it("a routed tier is kept inside allowedTiers: the best allowed tier below it, else the cheapest above", () => {
    expect(clampTier("deep", ["fast", "balanced"])).toBe("balanced");
    expect(clampTier("deep", ["fast"])).toBe("fast");
    expect(clampTier("fast", ["balanced", "deep"])).toBe("balanced");
    expect(clampTier("balanced", ["balanced"])).toBe("balanced");
    expect(clampTier("deep", undefined)).toBe("deep");
  });

  it("names each node whose explicit model or tier is not allowed, at the field that chose it", () => {
    const wf = flow(
      [
        { id: "auto", agent: "r", prompt: "x" },
        { id: "tiered", agent: "a", prompt: "x", model: "deep" },
        { id: "byAgent", agent: "big", prompt: "x" },
        { id: "fine", agent: "a", prompt: "x" },
      ],
      { a: { model: "sim-fast" }, big: { model: "sim-deep" }, r: {} },
    );
    const errors = disallowedModelErrors(wf, { allowedTiers: ["fast"] }, DEFAULT_TIER_MAP, "simulated");
    expect(errors.map((e) => [e.node, e.pointer])).toEqual([
      ["tiered", "/workflow/nodes/1/model"],
      ["byAgent", "/workflow/agents/big/model"],
    ]);
    // allowedModels governs explicit model names; a listed model is allowed whatever its tier
    expect(
      disallowedModelErrors(wf, { allowedModels: ["sim-deep", "sim-fast"] }, DEFAULT_TIER_MAP, "simulated"),
    ).toEqual([]);
    expect(disallowedModelErrors(wf, {}, DEFAULT_TIER_MAP, "simulated")).toEqual([]);
  });

  it("with the simulated provider off, names the nodes that would call it", () => {
    const wf = flow(
      [
        { id: "sim", agent: "a", prompt: "x" },
        { id: "real", agent: "c", prompt: "x" },
      ],
      { a: { model: "sim-fast" }, c: { provider: "anthropic", model: "claude-x" } },
    );
    const map = { ...DEFAULT_TIER_MAP, anthropic: { fast: "claude-x", balanced: "claude-y", deep: "claude-z" } };
    expect(simulatedNodeErrors(wf, map, "anthropic").map((e) => e.node)).toEqual(["sim"]);
  });
});
