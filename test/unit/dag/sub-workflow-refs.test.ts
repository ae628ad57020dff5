import { describe, expect, it } from "vitest";
import { subWorkflowIssues } from "../../../shared/dag/sub-workflow-refs.js";
import { type WorkflowDefinition, workflowDefinitionSchema } from "../../../shared/schema/workflow.js";

/** A definition named `name` whose nodes run the named workflows (`name@version` pins a version). */
function def(name: string, children: string[]): WorkflowDefinition {
  return workflowDefinitionSchema.parse({
    name,
    agents: { a: {} },
    nodes:
      children.length === 0
        ? [{ id: "leaf", agent: "a", prompt: "p" }]
        : children.map((c, i) => {
            const [n, v] = c.split("@");
            return { id: `n${i}`, kind: "workflow", workflow: { name: n, ...(v ? { version: Number(v) } : {}) } };
          }),
  });
}

/** A lookup over a fixed registry: `name` → its latest definition, `name@v` → that version. */
function lookupOf(registry: Record<string, WorkflowDefinition>) {
  const asked: string[] = [];
  const lookup = async (name: string, version: number | undefined) => {
    asked.push(`${name}@${version ?? ""}`);
    return registry[version === undefined ? name : `${name}@${version}`] ?? null;
  };
  return { lookup, asked };
}

describe("subWorkflowIssues", () => {
  it("accepts known workflows that lead to no cycle, looking each up once", async () => {
    const { lookup, asked } = lookupOf({ b: def("b", ["c"]), c: def("c", []) });
    expect(await subWorkflowIssues(def("a", ["b", "c"]), lookup)).toEqual([]);
    expect(asked.sort()).toEqual(["b@", "c@"]);
  });

  it("names an unknown workflow at its name, an unknown version at its version", async () => {
    const { lookup } = lookupOf({ b: def("b", []) });
    const errors = await subWorkflowIssues(def("a", ["ghost", "b@7"]), lookup, "/workflow");
    expect(errors).toEqual([
      expect.objectContaining({ pointer: "/workflow/nodes/0/workflow/name", node: "n0" }),
      expect.objectContaining({ pointer: "/workflow/nodes/1/workflow/version", node: "n1" }),
    ]);
    expect(errors[0]?.detail).toMatch(/"ghost", which is neither registered nor bundled/);
  });

  it("refuses a cycle back to the definition and one further down, naming the path", async () => {
    const { lookup } = lookupOf({ b: def("b", ["c"]), c: def("c", ["a"]), d: def("d", ["e"]), e: def("e", ["d"]) });
    const errors = await subWorkflowIssues(def("a", ["b", "d", "a"]), lookup);
    expect(errors.map((e) => [e.pointer, e.detail])).toEqual([
      ["/nodes/0/workflow/name", 'node "n0": sub-workflows form a cycle (a -> b -> c -> a)'],
      ["/nodes/1/workflow/name", 'node "n1": sub-workflows form a cycle (a -> d -> e -> d)'],
      ["/nodes/2/workflow/name", 'node "n2": sub-workflows form a cycle (a -> a)'],
    ]);
  });
});
