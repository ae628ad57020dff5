import { describe, expect, it } from "vitest";
import { sharedContextRefs } from "../../../shared/engine/shared-context.js";

const n = (id: string, prompt: string) => ({ id, prompt });

describe("sharedContextRefs", () => {
  it("gives each node the first upstream output that at least two nodes read", () => {
    const refs = sharedContextRefs({
      nodes: [
        n("analysis", "Analyse {{input.repo}}"),
        n("notes", "Note {{input.repo}}"),
        n("r1", "Review {{nodes.notes.output}} and {{nodes.analysis.output}}"),
        n("r2", "Review {{nodes.analysis.output}}"),
        n("solo", "Only {{nodes.notes.output}}"),
      ] as never,
    });
    expect(Object.fromEntries(refs)).toEqual({ r1: "notes", r2: "analysis", solo: "notes" });
  });

  it("shares only an output read whole by two nodes: a field read sends the field, not the whole output", () => {
    const refs = sharedContextRefs({
      nodes: [
        n("plan", "Plan {{input.repo}}"),
        n("notes", "Note {{input.repo}}"),
        n("r1", "Review {{nodes.plan.output.files[0].path}} with {{nodes.notes.output}}"),
        n("r2", "Review {{nodes.plan.output.files[1].path}} with {{nodes.notes.output}}"),
        n("r3", "Check {{nodes.plan.output.files[0]}} and {{nodes.plan.output}}"),
      ] as never,
    });
    // plan is read whole by r3 alone (r1 and r2 read fields): nobody gets it as shared context
    expect(Object.fromEntries(refs)).toEqual({ r1: "notes", r2: "notes" });
  });

  it("shares nothing when every output has one reader", () => {
    expect(sharedContextRefs({ nodes: [n("a", "x"), n("b", "{{nodes.a.output}}")] as never }).size).toBe(0);
  });
});
