import { describe, expect, it } from "vitest";
import { compileDag } from "../../../shared/dag/compile.js";
import { advanceSite } from "../../../shared/engine/advance-site.js";

describe("advanceSite", () => {
  // a fan-out of five between a root and a sink: widest level 5
  const dag = compileDag([
    { id: "root", dependsOn: [], weightMs: 1 },
    ...["r1", "r2", "r3", "r4", "r5"].map((id) => ({ id, dependsOn: ["root"], weightMs: 1 })),
    { id: "sink", dependsOn: ["r1", "r2", "r3", "r4", "r5"], weightMs: 1 },
  ]);

  it("advances inline when every node of the widest level gets a slot", () => {
    expect(dag.maxWidth).toBe(5);
    expect(advanceSite(5, dag)).toBe("inline");
    expect(advanceSite(1000, dag)).toBe("inline");
  });

  it("advances in the callback when nodes can wait for slots", () => {
    expect(advanceSite(4, dag)).toBe("callback");
    expect(advanceSite(1, dag)).toBe("callback");
  });

  it("advances inline whenever the run's deliveries chain nodes", () => {
    expect(advanceSite(4, dag, true)).toBe("inline");
    expect(advanceSite(1, dag, true)).toBe("inline");
  });
});
