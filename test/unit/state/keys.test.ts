import { describe, expect, it } from "vitest";
import { RUN_KEY_NAMES, runKeys } from "../../../shared/state/keys.js";

/** The run keys every script call names (shared/state/keys.ts): one hash slot per run, built once per run. */
describe("runKeys", () => {
  it("names every key of a run in one hash slot, in RUN_KEY_NAMES order", () => {
    const k = runKeys("p", "run_a");
    expect(k.meta).toBe("p:{run:run_a}:meta");
    expect(k.all).toEqual(RUN_KEY_NAMES.map((n) => `p:{run:run_a}:${n}`));
  });

  it("answers a run's keys again without building them, and keeps runs and prefixes apart", () => {
    const first = runKeys("p", "run_b");
    expect(runKeys("p", "run_b")).toBe(first);
    expect(runKeys("q", "run_b").meta).toBe("q:{run:run_b}:meta");
    expect(runKeys("p", "run_c").meta).toBe("p:{run:run_c}:meta");
    // shared between callers, so nobody can change them
    expect(Object.isFrozen(first) && Object.isFrozen(first.all)).toBe(true);
  });

  it("still answers correctly for a run pushed out of the recent set", () => {
    const early = runKeys("p", "run_early");
    for (let i = 0; i < 300; i++) runKeys("p", `run_${i}`);
    const again = runKeys("p", "run_early");
    expect(again).not.toBe(early);
    expect(again).toEqual(early);
  });
});
