import { describe, expect, it } from "vitest";
import { CHAIN_WINDOW_MS, deliveryTimeoutMs, mayChain, nodesPerDelivery } from "../../../shared/engine/chain-policy.js";

describe("chain policy", () => {
  it("takes the workflow's nodesPerDelivery, else the default of 8", () => {
    expect(nodesPerDelivery({})).toBe(8);
    expect(nodesPerDelivery({ nodesPerDelivery: 3 })).toBe(3);
    // with the default, the eighth node is the last one a delivery runs
    expect(mayChain(7, 0, nodesPerDelivery({}))).toBe(true);
    expect(mayChain(8, 0, nodesPerDelivery({}))).toBe(false);
  });

  it("lets a delivery start another node while under the limit and within the window", () => {
    expect(mayChain(1, 0, 8)).toBe(true);
    expect(mayChain(7, CHAIN_WINDOW_MS, 8)).toBe(true);
    expect(mayChain(8, 0, 8)).toBe(false);
    expect(mayChain(1, CHAIN_WINDOW_MS + 1, 8)).toBe(false);
    // nodesPerDelivery 1: the message's own node only
    expect(mayChain(1, 0, 1)).toBe(false);
  });

  it("gives chaining runs a delivery timeout of the longest node timeout plus the window, and none otherwise", () => {
    expect(deliveryTimeoutMs({}, 120_000)).toBe(120_000 + CHAIN_WINDOW_MS);
    expect(deliveryTimeoutMs({ nodesPerDelivery: 1 }, 120_000)).toBeNull();
  });
});
