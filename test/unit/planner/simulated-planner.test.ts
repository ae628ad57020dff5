import { describe, expect, it } from "vitest";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import type { CandidateAgent, PlanCandidates } from "../../../shared/planner/candidates.js";
import { contentWords, simulatedPlan } from "../../../shared/planner/simulated-planner.js";
import { SIMULATED_BANNER } from "../../../shared/providers/simulated.js";
import reviewChanges from "../../../workflows/review-changes.json";

const agent = (name: string, capabilities: string[], description = ""): CandidateAgent => ({
  name,
  description,
  capabilities,
  source: "tenant",
});

const agents: CandidateAgent[] = [
  agent("brief-writer", ["analyze", "brief"], "Analyses a task and writes a brief."),
  agent("translator", ["translate", "french"], "Translates documents between languages."),
  agent("lawyer", ["legal", "contract"], "Reviews contracts for legal risk."),
  agent("chef", ["recipes", "cooking"], "Writes recipes."),
  agent("editor", ["synthesize", "combine"], "Combines drafts into one report."),
];
const candidates: PlanCandidates = {
  agents,
  workflows: [
    {
      name: "review-all",
      description: "Full code review of a repository for security and performance.",
      source: "bundled",
    },
  ],
};

/** The plan as a workflow definition, its agents defined inline from the candidates (an unknown one stays unknown). */
function asWorkflow(plan: ReturnType<typeof simulatedPlan>) {
  return {
    name: "planned",
    agents: Object.fromEntries(agents.map((a) => [a.name, {}])),
    nodes: plan.nodes.map((n) => ({ id: n.id, agent: n.agent, prompt: n.prompt, dependsOn: n.dependsOn })),
  };
}

describe("simulatedPlan", () => {
  it("fans out to the agents whose capabilities fit the task, after an analyzer, into a synthesizer", () => {
    const plan = simulatedPlan("Translate the contract to French and check its legal risks", candidates);
    expect(plan.workflow).toBeUndefined();
    expect(plan.reason.startsWith(SIMULATED_BANNER)).toBe(true);
    const byId = Object.fromEntries(plan.nodes.map((n) => [n.id, n]));
    expect(byId.analyze?.agent).toBe("brief-writer");
    expect(byId.synthesize?.agent).toBe("editor");
    const specialists = plan.nodes.filter((n) => n.id !== "analyze" && n.id !== "synthesize").map((n) => n.agent);
    expect(specialists.sort()).toEqual(["lawyer", "translator"]);
    expect(byId.synthesize?.dependsOn.sort()).toEqual(["lawyer", "translator"]);
    for (const n of plan.nodes) expect(agents.map((a) => a.name)).toContain(n.agent);
    const v = validateWorkflow(asWorkflow(plan));
    expect(v.ok).toBe(true);
  });

  it("is deterministic: the same task and candidates give the same plan", () => {
    const task = "check the legal risks of this contract";
    expect(simulatedPlan(task, candidates)).toEqual(simulatedPlan(task, candidates));
    // candidate order does not matter
    const reversed = { ...candidates, agents: [...agents].reverse() };
    expect(
      simulatedPlan(task, reversed)
        .nodes.map((n) => n.agent)
        .sort(),
    ).toEqual(
      simulatedPlan(task, candidates)
        .nodes.map((n) => n.agent)
        .sort(),
    );
  });

  it("proposes a workflow whose description shares the task's words, and names them", () => {
    const plan = simulatedPlan("review this repository for security and performance", candidates);
    expect(plan.workflow).toBe("review-all");
    expect(plan.nodes).toEqual([]);
    expect(plan.reason).toContain("security");
    // one shared word is not a match
    expect(simulatedPlan("security of my recipes", candidates).workflow).toBeUndefined();
  });

  it("never proposes a workflow on description words alone: the task must share a word of its name", () => {
    const withChanges: PlanCandidates = {
      ...candidates,
      workflows: [
        ...candidates.workflows,
        { name: reviewChanges.name, description: reviewChanges.description, source: "bundled" },
      ],
    };
    // "find" and "summarize" meet words of its description, but neither "review" nor "changes" is in the task
    expect(simulatedPlan("find the incident in these logs and summarize it", withChanges).workflow).toBeUndefined();
    expect(simulatedPlan("review the changes and their findings", withChanges).workflow).toBe("review-changes");
  });

  it("uses only the agents given, even when none fits, and never turns the task into a template expression", () => {
    const two = { agents: [agent("solo", [])], workflows: [] };
    const plan = simulatedPlan("do {{input.secret}} and {{nodes.x.output}}", two);
    expect(new Set(plan.nodes.map((n) => n.agent))).toEqual(new Set(["solo"]));
    expect(plan.nodes.map((n) => n.id)).toEqual(["analyze", "synthesize"]);
    const v = validateWorkflow({
      name: "p",
      agents: { solo: {} },
      nodes: plan.nodes.map((n) => ({ id: n.id, agent: n.agent, prompt: n.prompt, dependsOn: n.dependsOn })),
    });
    expect(v.ok).toBe(true);
    expect(plan.nodes[0]?.prompt).not.toContain("{{input.secret}}");
    expect(() => simulatedPlan("anything", { agents: [], workflows: [] })).toThrow(/no agents/);
  });

  it("contentWords drops stop words and meets word forms at one stem", () => {
    const words = contentWords("The analysis of the reviews, analyzing what reviewers summarize");
    expect(words.has(contentWords("analyze").keys().next().value as string)).toBe(true);
    expect(words.has(contentWords("review").keys().next().value as string)).toBe(true);
    expect([...words.values()]).not.toContain("the");
  });
});
