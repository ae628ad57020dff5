import { describe, expect, it } from "vitest";
import {
  compensatedNodeId,
  compensationMeta,
  compensationNode,
  compensationNodes,
  renderCompensationPrompt,
} from "../../../shared/dag/compensation.js";
import { compileDag } from "../../../shared/dag/compile.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";

const wf = (nodes: Record<string, unknown>[]) => ({
  name: "saga",
  agents: { a: {}, b: {} },
  nodes: nodes.map((n) => ({ agent: "a", prompt: "do", ...n })),
});

describe("compensation steps: schema and validation", () => {
  it("accepts a step reading the node, its ancestors, the input and the run's status and error", () => {
    const r = validateWorkflow(
      wf([
        { id: "x" },
        {
          id: "y",
          dependsOn: ["x"],
          compensate: {
            prompt: "Undo {{nodes.y.output}} (from {{nodes.x.output}}, {{input.k}}): {{run.status}} {{ run.error }}",
            agent: "b",
            retries: 2,
            timeout: "30s",
          },
        },
      ]),
    );
    expect(r.ok).toBe(true);
  });

  it("rejects unknown fields, non-ancestors, missing nodes, unknown run fields and agents", () => {
    const bad = validateWorkflow(
      wf([
        { id: "x" },
        { id: "z" },
        {
          id: "y",
          dependsOn: ["x"],
          compensate: { prompt: "{{nodes.z.output}} {{nodes.q.output}} {{run.input}} {{nodes.}}", agent: "nope" },
        },
      ]),
    );
    if (bad.ok) throw new Error("expected a problem");
    const details = (bad.problem.errors ?? []).map((e) => `${e.pointer} ${e.detail}`);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/nodes\/2\/compensate\/agent .*unknown agent "nope"/),
        expect.stringMatching(/^\/nodes\/2\/compensate\/prompt .*"z" is neither the node nor one of its ancestors/),
        expect.stringMatching(/^\/nodes\/2\/compensate\/prompt .*there is no node "q"/),
        expect.stringMatching(/^\/nodes\/2\/compensate\/prompt .*\{\{run\.input\}\}/),
        expect.stringMatching(/^\/nodes\/2\/compensate\/prompt .*\{\{nodes\.\}\}/),
      ]),
    );
    expect(details).toHaveLength(5);
    const unknown = validateWorkflow(wf([{ id: "x", compensate: { prompt: "p", cache: true } }]));
    expect(unknown.ok).toBe(false);
  });
});

describe("compensation nodes and plan", () => {
  const node = (id: string, dependsOn: string[], comp: boolean, extra: Partial<WorkflowNode> = {}): WorkflowNode =>
    ({
      id,
      kind: "llm",
      agent: "a",
      prompt: "p",
      dependsOn,
      ...(comp ? { compensate: { prompt: `undo ${id}` } } : {}),
      ...extra,
    }) as WorkflowNode;

  it("builds a synthetic node: the step's settings, else the node's; no cache; fails alone", () => {
    const n = node("pay", [], true, { retries: 5, timeout: "10s", model: "deep", sensitive: true });
    const c = compensationNode(n, { prompt: "refund", retries: 1 });
    expect(c).toMatchObject({
      id: "pay~compensate",
      prompt: "refund",
      agent: "a",
      retries: 1,
      timeout: "10s",
      model: "deep",
      cache: false,
      sensitive: true,
      onFailure: "skip-dependents",
    });
    expect(compensationNode(n, { prompt: "r", agent: "b" }).model).toBeUndefined();
    expect(compensatedNodeId("pay~compensate")).toBe("pay");
    expect(compensationNodes({ nodes: [n, node("q", [], false)] }).map((x) => x.id)).toEqual(["pay~compensate"]);
  });

  it("links each compensable node to its nearest compensable descendants, through nodes without a step", () => {
    // a -> b(no step) -> c ; a -> d ; c -> e(no step) ; d -> e
    const nodes = [
      node("a", [], true),
      node("b", ["a"], false),
      node("c", ["b"], true),
      node("d", ["a"], true),
      node("e", ["c", "d"], false),
    ];
    const dag = compileDag(nodes);
    expect(compensationMeta({ nodes }, dag)).toEqual({
      compensable: "a,d,c",
      "comp:a": "c,d",
      "comp:c": "",
      "comp:d": "",
    });
    expect(compensationMeta({ nodes: [node("x", [], false)] }, compileDag([{ id: "x", dependsOn: [] }]))).toEqual({});
  });

  it("renders {{run.status}} and {{run.error}} without parsing the values as templates", () => {
    const text = renderCompensationPrompt(
      "{{run.status}}|{{run.error}}|{{nodes.a.output}}|{{input.k}}|{{other}}",
      { input: { k: "v" }, outputs: { a: "A" } },
      { status: "failed", error: "b: {{input.k}}" },
    );
    expect(text).toBe("failed|b: {{input.k}}|A|v|{{other}}");
  });
});
