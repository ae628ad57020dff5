import { describe, expect, it } from "vitest";
import { type CacheEntry, decodeEntry, encodeEntry, savingOf } from "../../../shared/cache/entry.js";

const entry: CacheEntry = {
  outputRef: "f".repeat(64),
  model: "claude-haiku-4-5",
  usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 40, cacheWriteTokens: 7 },
  costMicroUsd: 2_750,
  createdAt: 1_760_000_000_000,
  producedBy: { runId: "run_01", nodeId: "security-reviewer" },
};

describe("cache entry", () => {
  it("round-trips through its stored form", () => {
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
  });

  it("drops members that are not part of an entry", () => {
    const extra = { ...entry, text: "secret output" } as CacheEntry;
    expect(encodeEntry(extra)).not.toContain("secret output");
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["a missing ref", JSON.stringify({ ...entry, outputRef: "" })],
    ["a fractional token count", JSON.stringify({ ...entry, usage: { ...entry.usage, outputTokens: 1.5 } })],
    ["a string cost", JSON.stringify({ ...entry, costMicroUsd: "5" })],
    ["no producer", JSON.stringify({ ...entry, producedBy: null })],
  ])("reads %s as no entry", (_name, raw) => {
    expect(decodeEntry(raw)).toBeNull();
  });

  it("refuses to encode an invalid entry", () => {
    expect(() => encodeEntry({ ...entry, costMicroUsd: -1 })).toThrow(RangeError);
  });

  it("saves every billed token and the whole cost on a hit", () => {
    expect(savingOf(entry)).toEqual({ tokens: 1547, microUsd: 2750 });
  });
});
