import { describe, expect, it } from "vitest";
import { FANOUT_CRITICAL_CALLS, fanoutWorkflow } from "../../../local/bench/map-fanout.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";

describe("the dynamic fan-out workload", () => {
  it("is a valid root → map → join workflow whose root lists exactly `width` files", () => {
    const v = validateWorkflow(fanoutWorkflow(256, 1000));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.dag.criticalPath.nodes).toEqual(["root", "review", "join"]);
    expect(v.dag.criticalPath.nodes).toHaveLength(FANOUT_CRITICAL_CALLS);
    const root = v.workflow.nodes.find((n) => n.id === "root")!;
    const schema = root.output?.schema as { properties: { files: { minItems: number; maxItems: number } } };
    const files = schema.properties.files;
    expect([files.minItems, files.maxItems]).toEqual([256, 256]);
    expect(v.workflow.concurrency).toBe(256);
    expect(v.workflow.cache).toBe(false);
  });
});
