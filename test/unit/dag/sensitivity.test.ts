import { describe, expect, it } from "vitest";
import { effectiveSensitivity } from "../../../shared/dag/sensitivity.js";
import { prepareRun } from "../../../shared/engine/run-cache.js";
import { workflowDefinitionSchema } from "../../../shared/schema/workflow.js";
import type { FrozenRun } from "../../../shared/state/run-types.js";

const frozenOf = (nodes: unknown[]): FrozenRun => ({
  runId: "run_00000000000000000000000000",
  tenant: "t",
  workflow: workflowDefinitionSchema.parse({ name: "w", nodes }),
  inputRef: "0".repeat(64),
  budget: null,
  simulate: null,
  baseUrl: "http://localhost",
  trigger: "api",
  createdAt: 0,
});

describe("effective sensitivity (leak: descendants of a sensitive node store their output encrypted)", () => {
  it("leak: marks every node that reads a sensitive output, transitively, through templates and dependsOn", () => {
    const run = prepareRun(
      frozenOf([
        { id: "s", prompt: "secret", sensitive: true },
        { id: "t", prompt: "uses {{nodes.s.output}}", dependsOn: ["s"] },
        { id: "u", prompt: "after t", dependsOn: ["t"] },
        { id: "free", prompt: "unrelated" },
        { id: "v", prompt: "reads free {{nodes.free.output}}", dependsOn: ["free"] },
      ]),
    );
    const flag = (id: string) => run.nodes.get(id)?.sensitive;
    expect([flag("s"), flag("t"), flag("u"), flag("free"), flag("v")]).toEqual([true, true, true, false, false]);
  });

  it("leak: an explicit `sensitive: false` opts a reader out, and its own readers inherit nothing from it", () => {
    const run = prepareRun(
      frozenOf([
        { id: "s", prompt: "secret", sensitive: true },
        { id: "verdict", prompt: "yes or no: {{nodes.s.output}}", dependsOn: ["s"], sensitive: false },
        { id: "report", prompt: "report {{nodes.verdict.output}}", dependsOn: ["verdict"] },
        { id: "both", prompt: "{{nodes.verdict.output}} {{nodes.s.output}}", dependsOn: ["verdict", "s"] },
      ]),
    );
    expect(run.nodes.get("verdict")?.sensitive).toBe(false);
    expect(run.nodes.get("report")?.sensitive).toBe(false);
    expect(run.nodes.get("both")?.sensitive).toBe(true);
  });

  it("leak: a compensation step of a node that reads a sensitive output is sensitive too", () => {
    const run = prepareRun(
      frozenOf([
        { id: "s", prompt: "secret", sensitive: true },
        { id: "t", prompt: "uses {{nodes.s.output}}", dependsOn: ["s"], compensate: { prompt: "undo t" } },
      ]),
    );
    expect(run.nodes.get("t~compensate")?.sensitive).toBe(true);
  });

  it("follows the given topological order and ignores reads of unknown ids", () => {
    const set = effectiveSensitivity([
      { id: "a", sensitive: true, reads: [] },
      { id: "b", reads: ["a", "ghost"] },
      { id: "c", reads: ["ghost"] },
    ]);
    expect([...set].sort()).toEqual(["a", "b"]);
  });
});
