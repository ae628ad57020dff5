import { describe, expect, it } from "vitest";
import {
  DEFAULT_TIER_MAP,
  findModel,
  modelForTier,
  parseTierMapJson,
  type TierMap,
} from "../../../shared/routing/tier-map.js";

const MAP: TierMap = {
  anthropic: { fast: "claude-haiku-x", balanced: "claude-sonnet-x", deep: "claude-opus-x" },
  simulated: { fast: "sim-fast", balanced: "sim-balanced", deep: "sim-deep" },
  mirror: { fast: "claude-haiku-x", balanced: "claude-haiku-x", deep: "claude-sonnet-x" },
};

describe("tier map", () => {
  it("parses a valid map from JSON", () => {
    expect(parseTierMapJson(JSON.stringify(MAP))).toEqual(MAP);
  });

  it.each([
    ["not json", /not valid JSON/],
    ["{}", /at least one provider/],
    [JSON.stringify({ anthropic: { fast: "a", balanced: "b" } }), /at anthropic\.deep/],
    [JSON.stringify({ anthropic: { fast: "a", balanced: "b", deep: "c", huge: "d" } }), /at anthropic/],
    [JSON.stringify({ Anthropic: { fast: "a", balanced: "b", deep: "c" } }), /provider name must match/],
    [JSON.stringify({ anthropic: { fast: "", balanced: "b", deep: "c" } }), /at anthropic\.fast/],
  ])("rejects %s", (text, message) => {
    expect(() => parseTierMapJson(text)).toThrow(message);
  });

  it("gives a provider's model of a tier and names the unknown provider", () => {
    expect(modelForTier(MAP, "anthropic", "deep")).toBe("claude-opus-x");
    expect(() => modelForTier(MAP, "openai", "fast")).toThrow(/no tier map entry for provider "openai"/);
  });

  it("finds a model's provider and tier, preferring the given provider", () => {
    expect(findModel(MAP, "sim-balanced")).toEqual({ provider: "simulated", tier: "balanced" });
    expect(findModel(MAP, "claude-sonnet-x")).toEqual({ provider: "anthropic", tier: "balanced" });
    expect(findModel(MAP, "claude-sonnet-x", "mirror")).toEqual({ provider: "mirror", tier: "deep" });
    expect(findModel(MAP, "claude-haiku-x", "mirror")).toEqual({ provider: "mirror", tier: "fast" });
    expect(findModel(MAP, "gpt-x")).toBeNull();
  });

  it("defaults to the simulated provider's models", () => {
    expect(DEFAULT_TIER_MAP).toEqual({ simulated: { fast: "sim-fast", balanced: "sim-balanced", deep: "sim-deep" } });
  });
});
