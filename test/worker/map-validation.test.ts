import { describe, expect, it } from "vitest";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

/** [case, nodes, pointer, node, detail pattern] */
const cases: [string, unknown[], string, string, RegExp][] = [
  [
    "a map whose over reads a node that is not an ancestor",
    [node("list"), node("m", [], { kind: "map", over: "{{nodes.list.output}}" })],
    "/workflow/nodes/1/over",
    "m",
    /"list" is not an ancestor of "m"/,
  ],
  [
    "a map whose over is not a single reference",
    [node("m", [], { kind: "map", over: "{{input.a}} and {{input.b}}" })],
    "/workflow/nodes/0/over",
    "m",
    /exactly one reference/,
  ],
  [
    "a map node with no prompt",
    [{ id: "m", agent: "a", kind: "map", over: "{{input.xs}}" }],
    "/workflow/nodes/0/prompt",
    "m",
    /.+/,
  ],
  [
    "{{item}} in a node that is not a map",
    [node("x", [], { prompt: "Summarise {{item.title}}" })],
    "/workflow/nodes/0/prompt",
    "x",
    /only a map node's prompt/,
  ],
];

describe("POST /v1/runs refuses bad map nodes", () => {
  it.each(cases)(
    "rejects %s with 422 naming the field and node, storing nothing",
    async (_n, nodes, pointer, id, detail) => {
      const before = await keysUnderPrefix();
      const res = await postRun({ workflow: workflow(nodes), input: { xs: [1] } });
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const p = (await res.json()) as Problem;
      expect(p.type).toBe("https://agent-dag.dev/problems/invalid-workflow");
      const hit = p.errors?.find((e) => e.pointer === pointer);
      expect(hit?.node).toBe(id);
      expect(hit?.detail).toMatch(detail);
      expect(await keysUnderPrefix()).toEqual(before);
    },
  );
});
