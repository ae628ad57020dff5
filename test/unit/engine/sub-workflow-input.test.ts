import { describe, expect, it } from "vitest";
import { renderSubWorkflowInput, subWorkflowReads } from "../../../shared/engine/sub-workflow-input.js";
import { subWorkflowSpecSchema } from "../../../shared/schema/workflow-node.js";

const spec = (input: unknown) => subWorkflowSpecSchema.parse({ name: "child", input });
const ctx = {
  input: { topic: "dags", files: [{ name: "a.ts" }], n: 3 },
  outputs: { plan: '{"steps":["x","y"]}', note: "plain text" },
};

describe("sub-workflow input", () => {
  it("renders an object of templates: a lone expression that renders JSON gives its value, the rest strings", () => {
    const out = renderSubWorkflowInput(
      spec({
        topic: "{{input.topic}}",
        files: "{{ input.files }}",
        plan: "{{nodes.plan.output}}",
        steps: "{{nodes.plan.output.steps}}",
        note: "{{nodes.note.output}}",
        mixed: "Topic: {{input.topic}} ({{input.n}})",
      }),
      ctx,
    );
    expect(out).toEqual({
      topic: "dags",
      files: [{ name: "a.ts" }],
      plan: { steps: ["x", "y"] },
      steps: ["x", "y"],
      note: "plain text",
      mixed: "Topic: dags (3)",
    });
  });

  it("renders one template as the whole input, and defaults to {}", () => {
    expect(renderSubWorkflowInput(spec("{{nodes.plan.output}}"), ctx)).toEqual({ steps: ["x", "y"] });
    expect(renderSubWorkflowInput(spec("about {{input.topic}}"), ctx)).toBe("about dags");
    expect(renderSubWorkflowInput(subWorkflowSpecSchema.parse({ name: "child" }), ctx)).toEqual({});
  });

  it("lists what the templates read, each once", () => {
    const r = subWorkflowReads(spec({ a: "{{nodes.plan.output.steps}}", b: "{{nodes.plan.output}} {{input.topic}}" }));
    expect(r.nodes).toEqual(["plan"]);
    expect(r.fields).toEqual(["plan"]);
    expect(r.inputs).toEqual(["topic"]);
  });
});
