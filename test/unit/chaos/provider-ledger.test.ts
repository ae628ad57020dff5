import { describe, expect, it } from "vitest";
import { attributeCall, ledgerOf, promptMarker } from "../../../local/chaos/provider-ledger.js";

const body = (content: unknown) => ({ model: "claude-haiku-4-5", messages: [{ role: "user", content }] });
const usage = { input_tokens: 10, output_tokens: 50, cache_read_input_tokens: 2, cache_creation_input_tokens: 3 };

describe("attributeCall", () => {
  it("takes the first marker of the last user message, so a quoted upstream marker does not count", () => {
    const prompt = `${promptMarker("s1-r2", "n5")} Do n5.\nUpstream:\n[FAKE …] ${promptMarker("s1-r2", "n1")}`;
    expect(attributeCall(body(prompt))).toEqual({ runTag: "s1-r2", nodeId: "n5" });
    expect(attributeCall(body([{ type: "text", text: promptMarker("t", "x") }]))).toEqual({ runTag: "t", nodeId: "x" });
    expect(attributeCall(body("no marker"))).toBeNull();
    expect(attributeCall("not json")).toBeNull();
  });
});

describe("ledgerOf", () => {
  it("counts every call per (run, node) and sums the usage of the 200 answers only", () => {
    const mark = (n: string) => body(`${promptMarker("r", n)} go`);
    const ledger = ledgerOf([
      { body: mark("a"), status: 200, usage, model: "claude-haiku-4-5" },
      { body: mark("a"), status: 200, usage, model: "claude-haiku-4-5" },
      { body: mark("a"), status: 529, usage: undefined, model: "claude-haiku-4-5" },
      { body: mark("b"), status: 0, usage: undefined, model: "claude-haiku-4-5" },
      { body: body("stray"), status: 200, usage, model: "claude-haiku-4-5" },
    ]);
    expect(ledger.get("r")?.get("a")).toEqual({
      calls: 3,
      paidCalls: 2,
      tokens: { inputTokens: 20, outputTokens: 100, cacheReadTokens: 4, cacheWriteTokens: 6 },
      paidTokens: [65, 65],
      model: "claude-haiku-4-5",
    });
    expect(ledger.get("r")?.get("b")).toMatchObject({ calls: 1, paidCalls: 0 });
    expect(ledger.get("")?.get("")?.calls).toBe(1);
  });
});
