import { describe, expect, it } from "vitest";
import { renderTemplate, templateRefs } from "../../../shared/dag/template";
import { validateWorkflow } from "../../../shared/dag/validate";
import reviewAll from "../../../workflows/review-all.json";

const REVIEWERS = [
  "quality-reviewer",
  "best-practices-reviewer",
  "architecture-reviewer",
  "performance-reviewer",
  "security-reviewer",
];

describe("workflows/review-all.json", () => {
  const v = validateWorkflow(reviewAll);
  if (!v.ok) throw new Error(`review-all is invalid: ${JSON.stringify(v.problem)}`);
  const { workflow, dag } = v;
  const prompt = (id: string) => workflow.nodes.find((n) => n.id === id)?.prompt ?? "";

  it("is analyzer -> five reviewers in parallel -> senior reviewer", () => {
    expect(dag.levels).toEqual([["codebase-analyzer"], REVIEWERS, ["senior-reviewer"]]);
    expect(dag.sinks).toEqual(["senior-reviewer"]);
    expect(workflow.concurrency).toBe(5);
    expect(workflow.defaults).toEqual({ retries: 3, timeout: "120s" });
  });

  it("feeds the codebase to the analyzer, its brief to each reviewer, and every review to the senior", () => {
    expect(templateRefs(prompt("codebase-analyzer")).inputs.sort()).toEqual(["files", "omitted", "repo", "tree"]);
    for (const id of REVIEWERS) {
      expect(templateRefs(prompt(id))).toMatchObject({ inputs: ["repo"], nodes: ["codebase-analyzer"] });
    }
    expect(templateRefs(prompt("senior-reviewer")).nodes).toEqual(REVIEWERS);
  });

  it("gives every node its own agent with a specific system prompt, routed automatically (no fixed model)", () => {
    for (const node of workflow.nodes) {
      const agent = workflow.agents[node.agent];
      expect(agent?.system?.length ?? 0, node.id).toBeGreaterThan(400);
      expect(agent?.model, node.id).toBeUndefined();
    }
    expect(new Set(workflow.nodes.map((n) => n.agent)).size).toBe(workflow.nodes.length);
  });

  it("renders the analyzer prompt from a codebase input", () => {
    const text = renderTemplate(prompt("codebase-analyzer"), {
      input: {
        repo: "demo",
        tree: "a.ts (1 B)",
        files: '<file path="a.ts">\nx\n</file>\n',
        omitted: "nothing omitted",
      },
      outputs: {},
    });
    expect(text).toContain("repository demo");
    expect(text).toContain('<files>\n<file path="a.ts">\nx\n</file>\n\n</files>');
  });
});
