import { describe, expect, it } from "vitest";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun } from "./helpers.js";

const PLAN_SCHEMA = {
  type: "object",
  required: ["files"],
  properties: { files: { type: "array", items: { type: "object", properties: { path: { type: "string" } } } } },
};

describe("POST /v1/runs with an output schema that is not valid JSON Schema", () => {
  it.each([
    ["a misspelled keyword", { type: "object", propertys: {} }, "/workflow/nodes/1/output/schema/propertys"],
    ["an unknown type", { type: "strin" }, "/workflow/nodes/1/output/schema/type"],
    [
      "required that is not an array",
      { type: "object", properties: {}, required: "x" },
      "/workflow/nodes/1/output/schema/required",
    ],
    [
      "a nested property that is not a schema",
      { properties: { files: { items: 5 } } },
      "/workflow/nodes/1/output/schema/properties/files/items",
    ],
  ])("%s: 422 problem+json naming the node and the field, nothing stored", async (_name, schema, pointer) => {
    const before = await keysUnderPrefix();
    const res = await postRun({
      workflow: workflow([
        node("a", [], { output: { schema: PLAN_SCHEMA } }),
        node("b", ["a"], { output: { schema } }),
      ]),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const p = (await res.json()) as Problem;
    expect(p.type).toBe("https://agent-dag.dev/problems/invalid-workflow");
    const errors = p.errors ?? [];
    expect(errors.map((e) => e.pointer)).toContain(pointer);
    expect(errors.find((e) => e.pointer === pointer)?.node).toBe("b");
    expect(errors.every((e) => e.pointer.startsWith("/workflow/nodes/1/output/schema"))).toBe(true);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("a field read on a node without an output schema is refused at the prompt", async () => {
    const before = await keysUnderPrefix();
    const res = await postRun({
      workflow: workflow([node("plan"), node("review", ["plan"], { prompt: "{{nodes.plan.output.files[0].path}}" })]),
    });
    expect(res.status).toBe(422);
    const p = (await res.json()) as Problem;
    expect(p.errors?.map((e) => [e.pointer, e.node])).toContainEqual(["/workflow/nodes/1/prompt", "review"]);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("a valid schema and a field read are accepted", async () => {
    const res = await postRun({
      workflow: workflow([
        node("plan", [], { output: { schema: PLAN_SCHEMA } }),
        node("review", ["plan"], { prompt: "Review {{nodes.plan.output.files[0].path}}" }),
      ]),
    });
    expect(res.status).toBe(202);
  });
});
