import { describe, expect, it } from "vitest";
import { durationSchema, MAX_DURATION_MS, parseDurationMs } from "../../../shared/schema/duration.js";

describe("parseDurationMs", () => {
  it.each([
    [120, 120_000],
    [1.5, 1500],
    ["500ms", 500],
    ["120s", 120_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1.5h", 5_400_000],
    [" 30s ", 30_000],
    [0.0016, 2], // rounded to whole ms
  ] as const)("%j -> %i ms", (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each([
    [0],
    [0.0004] /* rounds to 0 ms */,
    [-1],
    ["0s"],
    ["2.01h"],
    [7201],
    ["121m"],
    ["10"],
    ["10 sec"],
    ["s"],
    ["1d"],
    [Number.NaN],
    [Infinity],
  ])("rejects %j", (input) => {
    expect(() => parseDurationMs(input)).toThrow(RangeError);
  });

  it("accepts exactly the maximum", () => {
    expect(parseDurationMs("7200s")).toBe(MAX_DURATION_MS);
  });
});

describe("durationSchema", () => {
  it("keeps the value as written", () => {
    expect(durationSchema.parse("120s")).toBe("120s");
    expect(durationSchema.parse(30)).toBe(30);
  });

  it("explains invalid values", () => {
    const r = durationSchema.safeParse("3h");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain("2h");
    expect(durationSchema.safeParse(true).success).toBe(false);
  });
});
