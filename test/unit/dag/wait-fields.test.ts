import { describe, expect, it } from "vitest";
import { validateWorkflow } from "../../../shared/dag/validate.js";

/** A wait node's output is its signal as JSON, so later prompts may read its fields; an llm node's text may not. */
describe("validateWorkflow: fields of a wait node's output", () => {
  const wf = (upstream: Record<string, unknown>) => ({
    name: "approval",
    agents: { a: {} },
    nodes: [
      { id: "approve", agent: "a", prompt: "Ship it?", ...upstream },
      {
        id: "b",
        agent: "a",
        dependsOn: ["approve"],
        prompt: "{{nodes.approve.output.approved}} {{nodes.approve.output.payload.branch}}",
      },
    ],
  });

  it("accepts field reads of a wait node", () => {
    expect(validateWorkflow(wf({ kind: "wait", wait: { timeout: "1h" } })).ok).toBe(true);
  });

  it("refuses them on an llm node without an output schema, naming the node", () => {
    const r = validateWorkflow(wf({}));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.errors?.[0]).toMatchObject({ pointer: "/nodes/1/prompt", node: "b" });
    expect(r.problem.errors?.[0]?.detail).toContain("no output schema");
  });
});
