import { describe, expect, it } from "vitest";
import { activeGenerations, nodeGenerationFields, selectorField } from "../../../shared/cache/generations.js";

describe("generation fields", () => {
  it.each([
    [{ all: true } as const, "*"],
    [{ workflow: "review-all" }, "wf:review-all"],
    [{ workflow: "review-all", node: "codebase-analyzer.v2" }, "node:review-all:codebase-analyzer.v2"],
    [{ tag: "nightly:v1" }, "tag:nightly:v1"],
  ])("names the field of %j", (selector, field) => {
    expect(selectorField(selector)).toBe(field);
  });

  it.each([[{ workflow: "Review" }], [{ workflow: "review", node: "a:b" }], [{ tag: "a b" }], [{ tag: "" }]])(
    "rejects the invalid name in %j",
    (selector) => {
      expect(() => selectorField(selector)).toThrow(RangeError);
    },
  );

  it("lists a node's fields in a fixed order, tags distinct and sorted", () => {
    expect(nodeGenerationFields("wf", "n1", ["zeta", "alpha", "zeta"])).toEqual([
      "*",
      "wf:wf",
      "node:wf:n1",
      "tag:alpha",
      "tag:zeta",
    ]);
  });

  it("keeps only generations above 0, sorted by field", () => {
    expect(activeGenerations({ "wf:b": 3, "*": 0, "tag:a": 1, "node:b:x": 0 })).toEqual([
      ["tag:a", 1],
      ["wf:b", 3],
    ]);
    expect(() => activeGenerations({ "*": 1.5 })).toThrow(RangeError);
  });
});
