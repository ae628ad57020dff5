import { describe, expect, it } from "vitest";
import { benchResultsSchema } from "../../../local/bench/results.js";
import { sampleResults } from "./fixtures.js";

describe("results schema", () => {
  it("accepts complete results and keeps every figure", () => {
    const r = sampleResults();
    expect(benchResultsSchema.parse(r)).toEqual(r);
  });

  it("rejects a missing field, an unknown field and a non-finite figure", () => {
    const { machine: _machine, ...noMachine } = sampleResults();
    expect(benchResultsSchema.safeParse(noMachine).success).toBe(false);
    expect(benchResultsSchema.safeParse({ ...sampleResults(), extra: 1 }).success).toBe(false);
    const r = sampleResults();
    r.runs[0] = { ...r.runs[0]!, makespanMs: Number.POSITIVE_INFINITY };
    expect(benchResultsSchema.safeParse(r).success).toBe(false);
  });

  it("rejects an unknown run outcome and a wrong schema version", () => {
    const r = sampleResults();
    expect(benchResultsSchema.safeParse({ ...r, schemaVersion: 2 }).success).toBe(false);
    expect(benchResultsSchema.safeParse({ ...r, runs: [{ ...r.runs[0]!, outcome: "skipped" }] }).success).toBe(false);
  });
});
