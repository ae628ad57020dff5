import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

/**
 * Workflow nodes (`kind: "workflow"`) refused at the trust boundary: a 422 problem+json naming the node and the field,
 * and nothing stored. Unknown names and versions and cycles of workflows are checked against the tenant's registry
 * and the bundled workflows; a bad input template like a prompt's.
 */

const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 10)}`;

/** PUT /v1/workflows/:name of a definition with `nodes`. */
function put(name: string, nodes: unknown[]): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test/v1/workflows/${name}`, {
    method: "PUT",
    headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
    body: JSON.stringify(workflow(nodes, { name })),
  });
}

async function expectRefused(res: Response, pointer: string, id: string, detail: RegExp): Promise<void> {
  expect(res.status).toBe(422);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const p = (await res.json()) as Problem;
  expect(p.type).toBe("https://agent-dag.dev/problems/invalid-workflow");
  const hit = p.errors?.find((e) => e.pointer === pointer);
  expect(hit, JSON.stringify(p.errors)).toBeDefined();
  expect(hit?.node).toBe(id);
  expect(hit?.detail).toMatch(detail);
}

/** [case, nodes, pointer, node, detail pattern] */
const cases: [string, unknown[], string, string, RegExp][] = [
  [
    "an unknown workflow name",
    [node("sub", [], { kind: "workflow", workflow: { name: "no-such-workflow-anywhere" } })],
    "/workflow/nodes/0/workflow/name",
    "sub",
    /"no-such-workflow-anywhere", which is neither registered nor bundled/,
  ],
  [
    "a version of a bundled workflow",
    [node("sub", [], { kind: "workflow", workflow: { name: "hello", version: 3 } })],
    "/workflow/nodes/0/workflow/version",
    "sub",
    /version 3 of workflow "hello"/,
  ],
  [
    "an input template reading a node that is not an ancestor",
    [node("a"), node("sub", [], { kind: "workflow", workflow: { name: "hello", input: { x: "{{nodes.a.output}}" } } })],
    "/workflow/nodes/1/workflow/input/x",
    "sub",
    /"a" is not an ancestor of "sub"/,
  ],
  [
    "a malformed single input template",
    [node("sub", [], { kind: "workflow", workflow: { name: "hello", input: "{{input.}}" } })],
    "/workflow/nodes/0/workflow/input",
    "sub",
    /.+/,
  ],
  [
    "a workflow node without its workflow",
    [{ id: "sub", kind: "workflow" }],
    "/workflow/nodes/0/workflow",
    "sub",
    /needs "workflow"/,
  ],
  [
    "an output schema on a workflow node",
    [node("sub", [], { kind: "workflow", workflow: { name: "hello" }, output: { schema: { type: "object" } } })],
    "/workflow/nodes/0/output",
    "sub",
    /takes no output schema/,
  ],
];

describe("POST /v1/runs refuses bad workflow nodes", () => {
  it.each(cases)("rejects %s with 422 naming the field and node, storing nothing", async (_n, nodes, ptr, id, d) => {
    const before = await keysUnderPrefix();
    await expectRefused(await postRun({ workflow: workflow(nodes) }), ptr, id, d);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("refuses a definition whose sub-workflows lead back to it, and a registered cycle, storing nothing", async () => {
    const outer = unique("outer");
    const inner = unique("inner");
    // inner names outer, which is not registered yet: unknown
    const early = await put(inner, [node("x", [], { kind: "workflow", workflow: { name: outer } })]);
    await expectRefused(early, "/nodes/0/workflow/name", "x", /neither registered nor bundled/);
    // outer (plain), then inner → outer are fine
    expect((await put(outer, [node("a")])).status).toBe(201);
    expect((await put(inner, [node("x", [], { kind: "workflow", workflow: { name: outer } })])).status).toBe(201);
    // a new version of outer naming inner closes the cycle outer → inner → outer: refused, no new version
    const before = await keysUnderPrefix();
    const cyclic = await put(outer, [node("y", [], { kind: "workflow", workflow: { name: inner } })]);
    await expectRefused(cyclic, "/nodes/0/workflow/name", "y", new RegExp(`${outer} -> ${inner} -> ${outer}`));
    expect(await keysUnderPrefix()).toEqual(before);
    // an inline definition named like outer that names inner would run outer through inner: refused too
    const inline = await postRun({
      workflow: workflow([node("z", [], { kind: "workflow", workflow: { name: inner } })], { name: outer }),
    });
    await expectRefused(inline, "/workflow/nodes/0/workflow/name", "z", /form a cycle/);
    expect(await keysUnderPrefix()).toEqual(before);
    // a workflow naming itself
    const self = await postRun({
      workflow: workflow([node("s", [], { kind: "workflow", workflow: { name: "test-flow" } })]),
    });
    await expectRefused(self, "/workflow/nodes/0/workflow/name", "s", /test-flow -> test-flow/);
  });

  it("accepts a workflow node naming a bundled workflow, with a prompt-less description", async () => {
    const res = await postRun({
      workflow: workflow([node("a"), node("sub", ["a"], { kind: "workflow", workflow: { name: "hello" } })]),
    });
    expect(res.status).toBe(202);
  });
});
