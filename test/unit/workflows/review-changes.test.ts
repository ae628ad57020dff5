import { describe, expect, it } from "vitest";
import { bundledWorkflow } from "../../../functions/workflow-registry.js";
import { templateRefs } from "../../../shared/dag/template.js";
import { evaluateWaitCondition, parseWaitCondition } from "../../../shared/dag/wait-condition.js";
import { simulatedObject } from "../../../shared/providers/simulated-object.js";
import type { OutputJsonSchema } from "../../../shared/schema/output-schema.js";

describe("workflows/review-changes.json", () => {
  const bundled = bundledWorkflow("review-changes");
  if (!bundled) throw new Error("review-changes is not bundled");
  const { workflow, dag } = bundled;
  const node = (id: string) => {
    const n = workflow.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  };

  it("is bundled, valid, and runs analyze -> review (map) -> approve (wait) -> report", () => {
    expect(dag.levels).toEqual([["analyze"], ["review"], ["approve"], ["report"]]);
    expect(workflow.nodes.map((n) => n.kind)).toEqual(["llm", "map", "wait", "llm"]);
    expect(workflow.description).toMatch(/security issue/);
  });

  it("maps over the analyzer's structured files, each child reading {{item.path}} and {{item.change}}", () => {
    const files = node("analyze").output?.schema.properties?.files;
    expect(files?.maxItems).toBe(20);
    expect(files?.items?.required).toEqual(["path", "change"]);
    const review = node("review");
    expect(review.over).toBe("{{nodes.analyze.output.files}}");
    expect(review.maxItems).toBe(files?.maxItems);
    expect(review.prompt).toContain("{{item.path}}");
    expect(review.prompt).toContain("{{item.change}}");
    expect(review.output?.schema.required).toEqual(["path", "summary", "securityIssue", "findings"]);
    expect(review.output?.schema.properties?.securityIssue?.type).toBe("boolean");
  });

  it("asks for approval only when a review reports a security issue, failing after an hour without a signal", () => {
    expect(node("approve").wait).toEqual({
      timeout: "1h",
      onTimeout: "fail",
      when: { any: "{{nodes.review.output}}", field: "securityIssue" },
    });
    expect(templateRefs(node("report").prompt).nodes.sort()).toEqual(["approve", "review"]);
  });

  it("the simulated provider's reviews (booleans true) make the approval ask; false ones would not", () => {
    const parsed = parseWaitCondition(node("approve").wait?.when ?? "");
    if (!parsed.ok) throw new Error(parsed.reason);
    const schema = node("review").output?.schema as OutputJsonSchema;
    const outputs = (s: OutputJsonSchema) => ({ review: JSON.stringify([simulatedObject(s), simulatedObject(s)]) });
    expect(evaluateWaitCondition(parsed.condition, { input: {}, outputs: outputs(schema) }).ask).toBe(true);
    const calm = { ...schema, properties: { ...schema.properties, securityIssue: { type: "boolean", const: false } } };
    expect(evaluateWaitCondition(parsed.condition, { input: {}, outputs: outputs(calm as OutputJsonSchema) }).ask).toBe(
      false,
    );
  });

  it("names tiers, not model ids, so it runs on the simulated provider and on Anthropic alike", () => {
    const models = workflow.nodes.map((n) => n.model ?? workflow.agents[n.agent]?.model ?? null);
    expect(models).toEqual(["balanced", "fast", null, "deep"]);
  });
});
