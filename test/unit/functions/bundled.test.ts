import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUNDLED_AGENT_FILES, bundledAgents, withBundledAgents } from "../../../functions/agent-registry.js";
import { BUNDLED_WORKFLOWS, bundledWorkflow } from "../../../functions/workflow-registry.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";

const filesIn = (dir: string) =>
  readdirSync(new URL(`../../../${dir}/`, import.meta.url)).filter(
    (f) => f.endsWith(".json") && !f.endsWith(".schema.json"),
  );

describe("bundled agents", () => {
  it("registers every workflows/agents/*.json, parsed without $schema and name", () => {
    expect(BUNDLED_AGENT_FILES.map((f) => `${(f as { name: string }).name}.json`).sort()).toEqual(
      filesIn("workflows/agents").sort(),
    );
    const assistant = bundledAgents().get("assistant");
    expect(assistant?.system).toMatch(/assistant/);
    expect(assistant).not.toHaveProperty("$schema");
    expect(assistant).not.toHaveProperty("name");
    // the default profile leaves the tier to routing
    expect(assistant?.model).toBeUndefined();
    expect(assistant?.complexity).toBeUndefined();
  });

  it("gives a node without agent the assistant profile, unless the workflow defines its own", () => {
    const raw = { name: "x", nodes: [{ id: "a", prompt: "p" }] };
    const added = withBundledAgents(raw) as { agents: Record<string, unknown> };
    expect(Object.keys(added.agents)).toEqual(["assistant"]);
    const v = validateWorkflow(added);
    expect(v.ok && v.workflow.nodes[0]!.agent).toBe("assistant");

    const own = { name: "x", agents: { assistant: { system: "Mine." } }, nodes: [{ id: "a", prompt: "p" }] };
    expect(withBundledAgents(own)).toBe(own);
  });
});

describe("bundled workflows", () => {
  it("registers every workflows/*.json", () => {
    expect(BUNDLED_WORKFLOWS.map((w) => `${(w as { name: string }).name}.json`).sort()).toEqual(
      filesIn("workflows").sort(),
    );
  });

  it("hello: two independent nodes feeding a third, all on the default agent", () => {
    const hello = bundledWorkflow("hello");
    expect(hello?.dag.levels).toEqual([["pros", "cons"], ["verdict"]]);
    expect(hello?.workflow.nodes.map((n) => n.agent)).toEqual(["assistant", "assistant", "assistant"]);
    expect(Object.keys(hello?.workflow.agents ?? {})).toEqual(["assistant"]);
    expect(bundledWorkflow("review-all")?.dag.ids).toHaveLength(7);
  });
});
