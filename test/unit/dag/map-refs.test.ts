import { describe, expect, it } from "vitest";
import {
  mapChildId,
  mapChildNode,
  mapPromptSize,
  parseMapChildId,
  parseOver,
  renderMapPrompt,
  WithMapChildren,
} from "../../../shared/dag/map-refs.js";
import { resolveReference } from "../../../shared/dag/single-reference.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import type { ProblemDetails } from "../../../shared/errors/problem.js";
import { NODE_ID_RE, type WorkflowNode } from "../../../shared/schema/workflow.js";

type RawNode = { id: string; prompt?: string; dependsOn?: string[]; [k: string]: unknown };

function wf(nodes: RawNode[]): Record<string, unknown> {
  return { name: "maps", agents: { a: {} }, nodes: nodes.map((n) => ({ agent: "a", prompt: "Do it", ...n })) };
}

function errorsOf(raw: unknown): { pointer: string; node?: string; detail: string }[] {
  const r = validateWorkflow(raw);
  if (r.ok) throw new Error("expected validation to fail");
  return (r.problem as ProblemDetails & { errors: { pointer: string; node?: string; detail: string }[] }).errors;
}

describe("map node validation", () => {
  it("accepts a map over the input and over an ancestor's field, and a dependent reading the array by index", () => {
    const r = validateWorkflow(
      wf([
        { id: "plan", output: { schema: { type: "object", properties: { files: { type: "array" } } } } },
        { id: "each", kind: "map", over: "{{input.items}}", prompt: "Item {{index}}: {{item.name}} {{item[0]}}" },
        { id: "files", kind: "map", dependsOn: ["plan"], over: " {{nodes.plan.output.files}} ", prompt: "{{item}}" },
        { id: "join", dependsOn: ["each", "files"], prompt: "{{nodes.each.output[3]}} {{nodes.files.output}}" },
      ]),
    );
    expect(r.ok).toBe(true);
  });

  it.each<[string, RawNode[], string, RegExp]>([
    [
      "over reading a node that is not an ancestor",
      [{ id: "list" }, { id: "m", kind: "map", over: "{{nodes.list.output}}" }],
      "/nodes/1/over",
      /"list" is not an ancestor of "m"/,
    ],
    [
      "over with text around its reference",
      [{ id: "m", kind: "map", over: "files: {{input.files}}" }],
      "/nodes/0/over",
      /exactly one reference/,
    ],
    [
      "over with two references",
      [{ id: "m", kind: "map", over: "{{input.a}}{{input.b}}" }],
      "/nodes/0/over",
      /exactly one reference/,
    ],
    [
      "over that is no reference at all",
      [{ id: "m", kind: "map", over: "[1, 2, 3]" }],
      "/nodes/0/over",
      /exactly one reference/,
    ],
    [
      "over reading a field of a text output",
      [{ id: "list" }, { id: "m", kind: "map", dependsOn: ["list"], over: "{{nodes.list.output.files}}" }],
      "/nodes/1/over",
      /"list" has no output schema/,
    ],
    [
      "over reading an unknown node",
      [{ id: "m", kind: "map", over: "{{nodes.nope.output}}" }],
      "/nodes/0/over",
      /there is no node "nope"/,
    ],
    ["{{item}} outside a map", [{ id: "x", prompt: "Do {{item}}" }], "/nodes/0/prompt", /only a map node's prompt/],
    ["{{index}} outside a map", [{ id: "x", prompt: "#{{ index }}" }], "/nodes/0/prompt", /only a map node's prompt/],
    [
      "a malformed item reference",
      [{ id: "m", kind: "map", over: "{{input.xs}}", prompt: "{{item.}}" }],
      "/nodes/0/prompt",
      /invalid item reference/,
    ],
    [
      "{{item}} in a compensation step",
      [{ id: "x", compensate: { prompt: "undo {{item}}" } }],
      "/nodes/0/compensate/prompt",
      /only a map node's prompt/,
    ],
  ])("refuses %s", (_name, nodes, pointer, detail) => {
    const errors = errorsOf(wf(nodes));
    const hit = errors.find((e) => e.pointer === pointer);
    expect(hit?.detail).toMatch(detail);
    expect(hit?.node).toBe(nodes[Number(pointer.split("/")[2])]?.id);
  });

  it("refuses a map node without a prompt or without over", () => {
    const noPrompt = errorsOf({
      name: "maps",
      agents: { a: {} },
      nodes: [{ id: "m", agent: "a", kind: "map", over: "{{input.x}}" }],
    });
    expect(noPrompt.map((e) => e.pointer)).toContain("/nodes/0/prompt");
    const noOver = errorsOf(wf([{ id: "m", kind: "map" }]));
    expect(noOver.find((e) => e.pointer === "/nodes/0/over")?.detail).toMatch(/needs "over"/);
  });
});

describe("map children and rendering", () => {
  it("child ids name their map and index and can never be a workflow node's id", () => {
    const id = mapChildId("split.files", 12);
    expect(id).toBe("split.files[12]");
    expect(NODE_ID_RE.test(id)).toBe(false);
    expect(parseMapChildId(id)).toEqual({ mapId: "split.files", index: 12 });
    expect(parseMapChildId("plain")).toBeNull();
  });

  it("a node map answers for the children of its maps, deriving each child once", () => {
    let derived = 0;
    const nodes = new WithMapChildren<{ id: string }>([["m", { id: "m" }]], (mapId, i) => {
      if (mapId !== "m") return undefined;
      derived += 1;
      return { id: `${mapId}[${i}]` };
    });
    const first = nodes.get("m[3]");
    expect(first).toEqual({ id: "m[3]" });
    expect(nodes.get("m[3]")).toBe(first);
    expect(nodes.has("m[3]")).toBe(true);
    expect(derived).toBe(1);
    expect(nodes.get("x[0]")).toBeUndefined();
    expect(nodes.get("m")).toEqual({ id: "m" });
    // iteration lists the stored entries only
    expect([...nodes.keys()]).toEqual(["m"]);
  });

  it("a child is the map's own node as an llm node, without over, maxItems or compensate", () => {
    const map = {
      id: "m",
      kind: "map",
      agent: "a",
      prompt: "p {{item}}",
      dependsOn: ["x"],
      over: "{{input.xs}}",
      maxItems: 3,
      retries: 1,
      compensate: { prompt: "undo" },
    } as WorkflowNode;
    const child = mapChildNode(map, 2);
    expect(child).toMatchObject({ id: "m[2]", kind: "llm", agent: "a", prompt: "p {{item}}", retries: 1 });
    expect(child).not.toHaveProperty("over");
    expect(child).not.toHaveProperty("maxItems");
    expect(child).not.toHaveProperty("compensate");
  });

  it("renders item fields, elements and the index, and never re-parses an inserted value", () => {
    const ctx = { input: { lang: "fr", secret: "S" }, outputs: { up: "UP" } };
    const template =
      "{{index}}: {{item.name}} / {{ item.tags[1] }} / {{item}} in {{input.lang}} after {{nodes.up.output}}";
    const item = { item: { name: "{{input.secret}}", tags: ["a", "b"] }, index: 4 };
    const out = renderMapPrompt(template, ctx, item);
    expect(out).toBe('4: {{input.secret}} / b / {"name":"{{input.secret}}","tags":["a","b"]} in fr after UP');
    expect(mapPromptSize(template, ctx, item)).toBe(out.length);
  });

  it("parses over and resolves it to the value it names", () => {
    const over = parseOver("{{nodes.plan.output.files}}");
    expect(over.ok).toBe(true);
    if (!over.ok) return;
    const ctx = { input: {}, outputs: { plan: '{"files":[1,2]}' } };
    expect(resolveReference(over.ref, ctx)).toEqual([1, 2]);
    const whole = parseOver("{{nodes.list.output}}");
    if (!whole.ok) throw new Error("expected a reference");
    expect(resolveReference(whole.ref, { input: {}, outputs: { list: '["a","b"]' } })).toEqual(["a", "b"]);
    expect(resolveReference(whole.ref, { input: {}, outputs: { list: "not json" } })).toBe("not json");
  });
});
