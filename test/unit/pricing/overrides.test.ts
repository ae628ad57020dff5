import { describe, expect, it } from "vitest";
import { costUsd } from "../../../shared/pricing/cost.js";
import { mergePriceOverrides, PriceOverridesError, parsePriceOverrides } from "../../../shared/pricing/overrides.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";

describe("parsePriceOverrides", () => {
  it("treats a missing or blank var as no overrides", () => {
    expect(parsePriceOverrides(undefined)).toEqual({});
    expect(parsePriceOverrides("")).toEqual({});
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "[", /not JSON/],
    ["negative rate", '{"m":{"input":-1}}', /^m\.input/],
    ["string rate", '{"m":{"input":"3"}}', /^m\.input/],
    ["unknown field", '{"m":{"inptu":3}}', /inptu/],
    ["bad date", '{"m":{"input":1,"output":2,"asOf":"yesterday"}}', /^m\.asOf/],
  ];
  for (const [name, json, pattern] of bad) {
    it(`rejects ${name}`, () => {
      let issues: string[] = [];
      try {
        parsePriceOverrides(json);
      } catch (e) {
        expect(e).toBeInstanceOf(PriceOverridesError);
        issues = (e as PriceOverridesError).issues;
      }
      expect(issues.some((i) => pattern.test(i))).toBe(true);
    });
  }
});

describe("mergePriceOverrides", () => {
  it("changes only the given fields of a known model and marks it unconfirmed", () => {
    const table = mergePriceOverrides(
      DEFAULT_PRICES,
      parsePriceOverrides('{"claude-sonnet-5-5":{"cacheRead":0.2,"source":"https://contract.example"}}'),
    );
    expect(table["claude-sonnet-5-5"]).toMatchObject({
      input: 2,
      output: 10,
      cacheRead: 0.2,
      cacheWrite: 2.5,
      source: "https://contract.example",
      confirmed: false,
    });
    expect(DEFAULT_PRICES["claude-sonnet-5-5"]?.cacheRead).toBe(0.1); // the built-in table is untouched
  });

  it("adds a new model, defaulting cache rates to the input rate", () => {
    const table = mergePriceOverrides(
      DEFAULT_PRICES,
      parsePriceOverrides('{"llama-3.3-70b-versatile":{"input":0.59,"output":0.79}}'),
    );
    expect(table["llama-3.3-70b-versatile"]).toMatchObject({
      input: 0.59,
      output: 0.79,
      cacheRead: 0.59,
      cacheWrite: 0.59,
      source: "PRICES config",
    });
    expect(
      costUsd(
        "llama-3.3-70b-versatile",
        { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 1_000_000 },
        table,
      ),
    ).toBe(1.18);
  });

  it("refuses a new model without input and output", () => {
    expect(() => mergePriceOverrides(DEFAULT_PRICES, { "new-model": { input: 1 } })).toThrow(
      /new-model: a model not in the built-in table needs input and output/,
    );
  });

  it("adds and removes long-prompt bands", () => {
    const added = mergePriceOverrides(DEFAULT_PRICES, {
      "claude-sonnet-5": { longPrompt: { aboveInputTokens: 10, input: 4, output: 20 } },
    });
    expect(added["claude-sonnet-5"]?.longPrompt).toEqual({
      aboveInputTokens: 10,
      input: 4,
      output: 20,
      cacheRead: 4,
      cacheWrite: 4,
    });
    const removed = mergePriceOverrides(DEFAULT_PRICES, { "claude-haiku-5-5": { longPrompt: null } });
    expect(removed["claude-haiku-5-5"]?.longPrompt).toBeUndefined();
    expect(costUsd("claude-haiku-5-5", { inputTokens: 200_000, outputTokens: 0 }, removed)).toBe(0.02);
  });
});
