import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, priceFor } from "../../../shared/pricing/prices.js";

describe("DEFAULT_PRICES", () => {
  it("gives every entry a source, a date and non-negative rates; unconfirmed entries say why", () => {
    for (const [model, p] of Object.entries(DEFAULT_PRICES)) {
      expect(p.source, model).not.toBe("");
      expect(p.asOf, model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const r of [p.input, p.output, p.cacheRead, p.cacheWrite]) expect(r, model).toBeGreaterThanOrEqual(0);
      if (!p.confirmed) expect(p.note, model).toBeTruthy();
      if (!model.startsWith("sim-") && !model.startsWith("fake-")) expect(p.source, model).toMatch(/^https:\/\//);
    }
  });

  it("prices cache reads below input and writes at or above input for real models", () => {
    for (const [model, p] of Object.entries(DEFAULT_PRICES)) {
      if (p.input === 0) continue;
      expect(p.cacheRead, model).toBeLessThan(p.input);
      expect(p.cacheWrite, model).toBeGreaterThanOrEqual(p.input);
    }
  });

  it("follows Anthropic's 5-minute cache write rule (1.25 x input) for Claude models", () => {
    for (const [model, p] of Object.entries(DEFAULT_PRICES)) {
      if (model.startsWith("claude-")) expect(p.cacheWrite, model).toBeCloseTo(p.input * 1.25, 10);
    }
  });

  it("includes Haiku, Sonnet and Opus class models and zero-priced simulated ones", () => {
    for (const m of ["claude-haiku-4-5", "claude-sonnet-5", "claude-opus-5", "sim-fast", "sim-balanced", "sim-deep"])
      expect(DEFAULT_PRICES[m], m).toBeDefined();
    expect(DEFAULT_PRICES["sim-deep"]).toMatchObject({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
  });
});

describe("priceFor", () => {
  it("finds exact ids", () => expect(priceFor("claude-opus-5", DEFAULT_PRICES)?.input).toBe(5));
  it("strips an OpenRouter vendor prefix", () =>
    expect(priceFor("anthropic/claude-sonnet-5", DEFAULT_PRICES)).toBe(DEFAULT_PRICES["claude-sonnet-5"]));
  it("strips a dated snapshot suffix", () =>
    expect(priceFor("claude-haiku-4-5-20251001", DEFAULT_PRICES)).toBe(DEFAULT_PRICES["claude-haiku-4-5"]));
  it("prices any sim-* or fake-* model at zero", () => {
    expect(priceFor("sim-experimental", DEFAULT_PRICES)).toMatchObject({ input: 0, output: 0 });
    expect(priceFor("fake-whatever", {})).toMatchObject({ cacheWrite: 0 });
  });
  it("returns undefined for unknown models", () => {
    expect(priceFor("llama-9000", DEFAULT_PRICES)).toBeUndefined();
    expect(priceFor("meta/llama-9000", DEFAULT_PRICES)).toBeUndefined();
  });
});
