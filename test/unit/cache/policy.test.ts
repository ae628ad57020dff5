import { describe, expect, it } from "vitest";
import { LOCK_MARGIN_MS, lockMsFor, resolveCachePolicy } from "../../../shared/cache/policy.js";
import { type WorkflowDefinition, workflowDefinitionSchema } from "../../../shared/schema/workflow.js";

function workflow(extra: Record<string, unknown>, node: Record<string, unknown>): WorkflowDefinition {
  return workflowDefinitionSchema.parse({
    name: "wf",
    agents: { a: {} },
    nodes: [{ id: "n", agent: "a", prompt: "p", ...node }],
    ...extra,
  });
}

describe("resolveCachePolicy", () => {
  it("defaults to enabled for one hour with no tags", () => {
    const wf = workflow({}, {});
    expect(resolveCachePolicy(wf, wf.nodes[0]!)).toEqual({ enabled: true, ttlSeconds: 3600, tags: [] });
  });

  it.each([
    ["the workflow's TTL", { cacheTtl: "10m" }, {}, { enabled: true, ttlSeconds: 600 }],
    ["the node's TTL over the workflow's", { cacheTtl: "10m" }, { cacheTtl: 90 }, { enabled: true, ttlSeconds: 90 }],
    ["a sub-second TTL rounded up", {}, { cacheTtl: "1500ms" }, { enabled: true, ttlSeconds: 2 }],
    ["the workflow's opt-out", { cache: false }, {}, { enabled: false }],
    ["the node's opt-out", {}, { cache: false }, { enabled: false }],
    ["the node's opt-in over the workflow's opt-out", { cache: false }, { cache: true }, { enabled: true }],
  ])("takes %s", (_name, wfExtra, nodeExtra, expected) => {
    const wf = workflow(wfExtra, nodeExtra);
    expect(resolveCachePolicy(wf, wf.nodes[0]!)).toMatchObject(expected);
  });

  it("takes the node's tags, distinct and sorted", () => {
    const wf = workflow({}, { cacheTags: ["b", "a", "b"] });
    expect(resolveCachePolicy(wf, wf.nodes[0]!).tags).toEqual(["a", "b"]);
  });
});

describe("lockMsFor", () => {
  it("adds the margin to the node's timeout", () => {
    expect(lockMsFor(120_000)).toBe(120_000 + LOCK_MARGIN_MS);
    expect(() => lockMsFor(-1)).toThrow(RangeError);
  });
});
