import { describe, expect, it } from "vitest";
import { inputTokenBound, REPLY_OVERHEAD_TOKENS, utf8Bytes } from "../../../shared/budget/input-bound.js";
import { worstCase } from "../../../shared/budget/worst-case.js";
import { costUsd } from "../../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";

/**
 * The hold is an upper bound for any input: a byte-level BPE tokenizer never yields more tokens than UTF-8 bytes, so
 * a call's real input tokens fit its hold however dense the text, and the hold's price covers the dearest input rate.
 */
describe("overspend: the hold bounds any call", () => {
  const CJK = "東京の天気予報を三行で要約してください。".repeat(50); // ~1 token per character on real tokenizers
  const CODE = "fn f(x:&[u8])->u64{x.iter().fold(0,|a,&b|a^b as u64)}".repeat(40);

  it.each([
    ["CJK", CJK],
    ["code", CODE],
    ["emoji", "😀🚀✅".repeat(100)],
  ])("overspend: dense %s input whose real token count exceeds characters/4 stays within the hold", (_, text) => {
    // worst real count: one token per UTF-8 byte (every BPE merge only lowers it)
    const worstReal = utf8Bytes(text);
    expect(worstReal).toBeGreaterThan(Math.ceil(text.length / 4)); // the old estimate would be exceeded
    const bound = inputTokenBound(["You are terse.", text]);
    expect(bound).toBeGreaterThanOrEqual(worstReal + utf8Bytes("You are terse.") + REPLY_OVERHEAD_TOKENS);
    // a budget sized to the hold is never passed by the call's real usage (output capped by the provider)
    const maxOut = 256;
    const hold = worstCase(bound, maxOut, (u) => costUsd("claude-sonnet-4-6", u, DEFAULT_PRICES));
    const real = { inputTokens: worstReal + utf8Bytes("You are terse.") + 8, outputTokens: maxOut };
    expect(real.inputTokens + real.outputTokens).toBeLessThanOrEqual(hold.tokens);
    expect(costUsd("claude-sonnet-4-6", real, DEFAULT_PRICES)).toBeLessThanOrEqual(hold.usd);
  });

  it("overspend: cache writes are held at the cache-write rate, not the base input rate", () => {
    const price = (u: Parameters<typeof costUsd>[1]) => costUsd("claude-sonnet-4-6", u, DEFAULT_PRICES);
    const hold = worstCase(10_000, 500, price);
    // the provider writes the whole prompt to its cache: 1.25 x the input rate
    const written = price({ inputTokens: 0, cacheWriteTokens: 10_000, outputTokens: 500 });
    expect(written).toBeGreaterThan(price({ inputTokens: 10_000, outputTokens: 500 }));
    expect(hold.usd).toBeGreaterThanOrEqual(written);
    expect(hold.usd).toBeCloseTo((10_000 * 3.75 + 500 * 15) / 1e6, 9);
    // every mix of plain input, cache reads and writes costs at most the hold
    for (const w of [0, 2500, 5000, 10_000])
      expect(price({ inputTokens: 10_000 - w, cacheWriteTokens: w, outputTokens: 500 })).toBeLessThanOrEqual(hold.usd);
  });
});

describe("utf8Bytes counts what TextEncoder would write, without encoding", () => {
  it("agrees with TextEncoder on ASCII, 2-, 3- and 4-byte characters, lone surrogates and random UTF-16", () => {
    const samples = ["", "abc", "héllo", "日本語のテキスト", "emoji 😀👍🏽", "\ud800 lone", "x\udc00y", "end\ud83d"];
    let random = "";
    let seed = 7;
    for (let i = 0; i < 50_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      random += String.fromCharCode(seed % 0x10000);
    }
    for (const s of [...samples, random]) expect(utf8Bytes(s)).toBe(new TextEncoder().encode(s).length);
  });
});
