import { describe, expect, it } from "vitest";
import { resolveModelChoice } from "../../../shared/routing/model-choice.js";

describe("resolveModelChoice", () => {
  it.each([
    // nodeModel, agentModel, expected
    [undefined, undefined, { kind: "auto" }],
    ["auto", "deep", { kind: "auto" }],
    [undefined, "auto", { kind: "auto" }],
    ["deep", "fast", { kind: "tier", tier: "deep", provider: null, from: "node", spec: "deep" }],
    [undefined, "balanced", { kind: "tier", tier: "balanced", provider: null, from: "agent", spec: "balanced" }],
    [
      undefined,
      "anthropic:fast",
      { kind: "tier", tier: "fast", provider: "anthropic", from: "agent", spec: "anthropic:fast" },
    ],
    ["sim-deep", undefined, { kind: "model", model: "sim-deep", from: "node", spec: "sim-deep" }],
    // a colon alone does not make a provider tier
    [undefined, "llama3:8b", { kind: "model", model: "llama3:8b", from: "agent", spec: "llama3:8b" }],
    [
      undefined,
      "@cf/meta/llama-3.1-8b-instruct",
      { kind: "model", model: "@cf/meta/llama-3.1-8b-instruct", from: "agent", spec: "@cf/meta/llama-3.1-8b-instruct" },
    ],
    // tiers are lower case
    [undefined, "Deep", { kind: "model", model: "Deep", from: "agent", spec: "Deep" }],
  ] as const)("node %j, agent %j", (nodeModel, agentModel, expected) => {
    expect(resolveModelChoice(nodeModel, agentModel)).toEqual(expected);
  });
});
