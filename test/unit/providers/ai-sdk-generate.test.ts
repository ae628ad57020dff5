import { describe, expect, it } from "vitest";
import { ANTHROPIC_EPHEMERAL_CACHE, buildInstructions, mapUsage } from "../../../shared/providers/ai-sdk-generate.js";

describe("buildInstructions", () => {
  it("puts the shared context first, as its own block, marked for Anthropic's cache", () => {
    expect(buildInstructions({ system: "S", sharedContext: "C" }, "cached-block")).toEqual([
      { role: "system", content: "C", providerOptions: ANTHROPIC_EPHEMERAL_CACHE },
      { role: "system", content: "S" },
    ]);
  });

  it("sends an unmarked first block in `block` mode", () => {
    expect(buildInstructions({ system: "S", sharedContext: "C" }, "block")).toEqual([
      { role: "system", content: "C" },
      { role: "system", content: "S" },
    ]);
  });

  it("merges shared context and system in `merged` mode", () => {
    expect(buildInstructions({ system: "S", sharedContext: "C" }, "merged")).toEqual([
      { role: "system", content: "C\n\nS" },
    ]);
  });

  it("leaves out empty parts and returns undefined when nothing is left", () => {
    expect(buildInstructions({ system: "S" }, "cached-block")).toEqual([{ role: "system", content: "S" }]);
    expect(buildInstructions({ system: "", sharedContext: "" }, "cached-block")).toBeUndefined();
    expect(buildInstructions({ system: "" }, "merged")).toBeUndefined();
  });
});

describe("mapUsage", () => {
  const usage = (
    inputTokens: number | undefined,
    d: { noCache?: number; read?: number; write?: number },
    outputTokens: number | undefined,
  ) => ({
    inputTokens,
    inputTokenDetails: { noCacheTokens: d.noCache, cacheReadTokens: d.read, cacheWriteTokens: d.write },
    outputTokens,
    outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
    totalTokens: undefined,
  });

  it("keeps the three input counts disjoint", () => {
    expect(mapUsage(usage(1600, { noCache: 100, read: 1500, write: 0 }, 40), "", "")).toEqual({
      inputTokens: 100,
      outputTokens: 40,
      cacheReadTokens: 1500,
    });
    expect(mapUsage(usage(1600, { noCache: 100, read: 0, write: 1500 }, 40), "", "")).toEqual({
      inputTokens: 100,
      outputTokens: 40,
      cacheWriteTokens: 1500,
    });
  });

  it("derives plain input from the total when the provider gives no noCache count", () => {
    expect(mapUsage(usage(1000, { read: 256 }, 5), "", "")).toEqual({
      inputTokens: 744,
      outputTokens: 5,
      cacheReadTokens: 256,
    });
  });

  it("estimates at 4 characters per token when the provider reports no usage", () => {
    expect(mapUsage(undefined, "12345678", "1234")).toEqual({ inputTokens: 2, outputTokens: 1 });
  });
});
