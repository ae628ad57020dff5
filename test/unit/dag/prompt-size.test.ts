import { describe, expect, it } from "vitest";
import { compensationPromptSize, renderCompensationPrompt } from "../../../shared/dag/compensation.js";
import { DEFAULT_PROMPT_LIMIT, promptCharCap, renderedSize } from "../../../shared/dag/prompt-size.js";
import { renderTemplate, type TemplateContext } from "../../../shared/dag/template.js";
import { assertPromptFits, assertPromptsFit, oversizedPrompts } from "../../../shared/engine/prompt-limit.js";
import { ProblemError } from "../../../shared/errors/problem.js";
import { ProviderError } from "../../../shared/providers/provider.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";

const ctx: TemplateContext = {
  input: { a: "x".repeat(37), n: 12.5, flag: true, obj: { k: [1, "two", null] }, list: ["é", "ü"], nil: null },
  outputs: { up: "upstream output", "d.e": "" },
};

describe("rendered prompt size without rendering (DoS)", () => {
  it.each([
    ["plain text", "just text"],
    ["strings, numbers, booleans", "{{input.a}} {{ input.n }} {{input.flag}}"],
    ["objects, arrays and null as JSON", "{{input.obj}}|{{input.list}}|{{input.nil}}|{{input.obj.k.1}}"],
    ["missing paths render empty", "[{{input.nope}}][{{input.a.b}}]"],
    ["node outputs, ids with dots", "{{nodes.up.output}}/{{nodes.d.e.output}}"],
    ["other braces stay text", "{{foo}} {{{input.a}}} {not}"],
    ["repeated expressions", "{{input.obj}}".repeat(50) + "{{nodes.up.output}}".repeat(20)],
  ])("%s: equals the rendered length", (_name, template) => {
    expect(renderedSize(template, ctx)).toBe(renderTemplate(template, ctx).length);
  });

  it("stops once past the cap: 18,000 × {{input.a}} over a 20,000-character input is not summed to 360 M", () => {
    const template = "{{input.a}}".repeat(18_000);
    const input = { a: "y".repeat(20_000) };
    const cap = promptCharCap(DEFAULT_PROMPT_LIMIT);
    const size = renderedSize(template, { input, outputs: {} }, cap);
    expect(size).toBeGreaterThan(cap);
    // it stopped at the first expression that crossed the cap: at most one value past it
    expect(size).toBeLessThanOrEqual(cap + 20_000);
    // uncapped, the same measure gives the full size (still without building it)
    expect(renderedSize(template, { input, outputs: {} })).toBe(360_000_000);
  });

  it("a compensation prompt's size counts {{run.status}} and {{run.error}} as rendered", () => {
    const run = { status: "failed", error: "a: boom" };
    for (const template of ["{{run.status}}: {{run.error}} after {{nodes.up.output}}", "{{input.obj}}{{run.other}}"]) {
      expect(compensationPromptSize(template, ctx, run)).toBe(renderCompensationPrompt(template, ctx, run).length);
    }
  });

  it("the token cap binds when it is the lower one (4 characters per estimated token)", () => {
    expect(promptCharCap({ maxChars: 1_000_000, maxTokens: 1000 })).toBe(4000);
    expect(promptCharCap({ maxChars: 3000, maxTokens: 1000 })).toBe(3000);
  });
});

const node = (id: string, prompt: string, extra: Partial<WorkflowNode> = {}): WorkflowNode =>
  ({ id, agent: "a", prompt, dependsOn: [], ...extra }) as WorkflowNode;

describe("prompt cap at trigger time (DoS)", () => {
  const limit = { maxChars: 10_000, maxTokens: 1_000_000 };

  it("names each node and compensation prompt the input alone makes too large; upstream outputs count 0", () => {
    const workflow = {
      nodes: [
        node("small", "{{input.a}}"),
        node("big", "{{input.a}}".repeat(3), {
          compensate: { prompt: "undo {{input.a}}{{input.a}}{{input.a}} {{run.error}}" },
        } as Partial<WorkflowNode>),
        node("reads-up", "{{nodes.big.output}}".repeat(100), { dependsOn: ["big"] }),
      ],
    };
    const over = oversizedPrompts(workflow, { a: "z".repeat(4000) }, limit);
    expect(over.map((o) => [o.nodeId, o.pointer])).toEqual([
      ["big", "/workflow/nodes/1/prompt"],
      ["big", "/workflow/nodes/1/compensate/prompt"],
    ]);
    expect(over[0]?.chars).toBeGreaterThan(10_000);
  });

  it("assertPromptsFit throws 422 prompt-too-large naming the node, pointer and sizes", () => {
    const workflow = { nodes: [node("fan", "{{input.a}}".repeat(1000))] };
    let thrown: unknown;
    try {
      assertPromptsFit(workflow, { a: "q".repeat(100) }, limit);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    const p = (thrown as ProblemError).problem;
    expect([p.status, p.type]).toEqual([422, "https://agent-dag.dev/problems/prompt-too-large"]);
    expect(p.errors?.[0]).toMatchObject({ pointer: "/workflow/nodes/0/prompt", node: "fan" });
    expect(p.errors?.[0]?.detail).toMatch(/node "fan" is at least \d+ characters \(~\d+ tokens\); the limit is 10000/);
    expect(() => assertPromptsFit(workflow, { a: "q" }, limit)).not.toThrow();
  });

  it("at node time, upstream outputs and the shared context count, and the failure is non-retryable", () => {
    const render = { template: "{{nodes.up.output}}".repeat(3), ctx: { input: {}, outputs: { up: "o".repeat(3000) } } };
    expect(() => assertPromptFits("b", render, 0, limit)).not.toThrow();
    let thrown: unknown;
    try {
      assertPromptFits("b", render, 1001, limit);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect((thrown as ProviderError).kind).toBe("non-retryable");
    expect((thrown as ProviderError).message).toMatch(/node "b" is at least 10001 characters/);
  });
});
