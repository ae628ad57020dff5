import { describe, expect, it } from "vitest";
import { costUsd, UnpricedModelError } from "../../../shared/pricing/cost.js";
import { DEFAULT_PRICES, type PriceTable } from "../../../shared/pricing/prices.js";

const TABLE: PriceTable = {
  m: {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    source: "https://example.test",
    asOf: "2026-11-20",
    confirmed: true,
  },
  tiered: {
    input: 0.1,
    output: 0.5,
    cacheRead: 0.01,
    cacheWrite: 0.125,
    longPrompt: { aboveInputTokens: 100_000, input: 0.5, output: 2.5, cacheRead: 0.05, cacheWrite: 0.625 },
    source: "https://example.test",
    asOf: "2026-11-20",
    confirmed: false,
    note: "test",
  },
};

describe("costUsd", () => {
  it("bills each kind of token at its own rate per million", () => {
    // 1M input x $3 + 1M output x $15
    expect(costUsd("m", { inputTokens: 1_000_000, outputTokens: 1_000_000 }, TABLE)).toBe(18);
    // 1000 x 3 + 200 x 15 + 5000 x 0.3 + 2000 x 3.75 = 3000 + 3000 + 1500 + 7500 = 15000 micro-USD
    expect(
      costUsd("m", { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 2000 }, TABLE),
    ).toBe(0.015);
  });

  it("makes a cache read ten times cheaper than plain input on Claude", () => {
    const plain = costUsd("claude-sonnet-5", { inputTokens: 10_000, outputTokens: 0 }, DEFAULT_PRICES);
    const read = costUsd(
      "claude-sonnet-5",
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 10_000 },
      DEFAULT_PRICES,
    );
    const write = costUsd(
      "claude-sonnet-5",
      { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 10_000 },
      DEFAULT_PRICES,
    );
    expect(plain).toBe(0.02);
    expect(read).toBe(0.002);
    expect(write).toBe(0.025);
  });

  it("prices five reviewers sharing a cached brief below five uncached ones", () => {
    const brief = 16_000;
    const own = 300;
    const uncached = 5 * costUsd("claude-opus-5", { inputTokens: brief + own, outputTokens: 0 }, DEFAULT_PRICES);
    const cached =
      costUsd("claude-opus-5", { inputTokens: own, outputTokens: 0, cacheWriteTokens: brief }, DEFAULT_PRICES) +
      4 * costUsd("claude-opus-5", { inputTokens: own, outputTokens: 0, cacheReadTokens: brief }, DEFAULT_PRICES);
    expect(uncached).toBeCloseTo(0.4075, 9); // 5 x 16300 x $5/M
    expect(cached).toBeCloseTo(0.1395, 9); // 16000 x 6.25 + 4 x 16000 x 0.5 + 5 x 300 x 5, in micro-USD
  });

  it("switches every token to the long-prompt band above its threshold, counting cache tokens as prompt", () => {
    expect(costUsd("tiered", { inputTokens: 100_000, outputTokens: 1000 }, TABLE)).toBe(0.0105);
    expect(costUsd("tiered", { inputTokens: 100_001, outputTokens: 1000 }, TABLE)).toBe(0.0525005);
    expect(costUsd("tiered", { inputTokens: 1, outputTokens: 1000, cacheReadTokens: 100_000 }, TABLE)).toBe(0.0075005);
  });

  it("rounds to the nano-dollar, removing floating-point noise", () => {
    // 0.1 + 0.2 style noise: 3 tokens at $0.1/M and 6 at $0.2/M... expressed through one model
    const t: PriceTable = {
      x: { input: 0.1, output: 0.2, cacheRead: 0, cacheWrite: 0, source: "s", asOf: "2026-11-20", confirmed: true },
    };
    expect(costUsd("x", { inputTokens: 1, outputTokens: 1 }, t)).toBe(3e-7);
    expect(
      costUsd(
        "x",
        { inputTokens: 1, outputTokens: 0 },
        { x: { ...(t.x as NonNullable<PriceTable[string]>), input: 0.0004 } },
      ),
    ).toBe(0);
  });

  it("costs nothing on the simulated models", () => {
    expect(costUsd("sim-balanced", { inputTokens: 123_456, outputTokens: 7890 }, DEFAULT_PRICES)).toBe(0);
  });

  it("refuses to guess a price for an unknown model", () => {
    expect(() => costUsd("mystery-model", { inputTokens: 1, outputTokens: 1 }, DEFAULT_PRICES)).toThrow(
      UnpricedModelError,
    );
    expect(() => costUsd("mystery-model", { inputTokens: 1, outputTokens: 1 }, DEFAULT_PRICES)).toThrow(
      /mystery-model/,
    );
  });
});
