import { describe, expect, it } from "vitest";
import { progressLines } from "../../../local/progress-lines";
import type { RunView } from "../../../local/run-view";
import { START, at, costedView, node, runningView } from "./fixtures";

function withLevels(view: RunView, edit: (v: RunView) => void): RunView {
  const copy = structuredClone(view);
  edit(copy);
  return copy;
}

describe("progressLines", () => {
  it("announces the run and every node that is not pending on the first view", () => {
    expect(progressLines(null, runningView(), START + 3200)).toEqual([
      "[  3.20 s] review-all run_abc running [SIMULATED provider]",
      "[  3.20 s] ✔ codebase-analyzer  done  level 1  1.01 s  812 tok  $0.0040  balanced: feeds 5 nodes",
      "[  3.20 s] ◐ quality-reviewer  running  level 2",
      "[  3.20 s] ◐ security-reviewer  running  level 2",
      "[  3.20 s] ◔ performance-reviewer  queued  level 2",
    ]);
  });

  it("shows cost, cache tokens and the routing summary of done nodes, and the caller's provider label", () => {
    expect(progressLines(null, costedView(), START + 3000, "[fake Anthropic endpoint]")).toEqual([
      "[  3.00 s] review-all run_abc completed [fake Anthropic endpoint]",
      "[  3.00 s] ✔ brief  done  level 1  1.00 s  12.4k tok  cache write 2.0k  $0.1000  deep: principal role, long prompt (~12k tokens)",
      "[  3.00 s] ✔ review  done  level 2  0.90 s  900 tok  cache read 1.5k  $0.2000  fast: short output (up to 256 tokens); budget cap: fast",
      '[  3.00 s] ✔ final  done  level 3  1.00 s  700 tok  $0.0001  my-custom-model: explicit: node model "my-custom-model"',
    ]);
    const running = costedView({ status: "running" });
    expect(progressLines(running, costedView(), START + 3000).at(-1)).toBe("[  3.00 s] run completed [provider: anthropic]");
  });

  it("says so once when the run turns out to be simulated", () => {
    const prev = runningView({ simulated: false });
    expect(progressLines(prev, runningView(), START + 3500)).toEqual(["[  3.50 s] [SIMULATED provider] no model is called in this run"]);
  });

  it("prints nothing when nothing changed", () => {
    expect(progressLines(runningView(), runningView(), START + 4000)).toEqual([]);
  });

  it("prints one line per changed node, retries included, and the run's end", () => {
    const prev = runningView();
    const next = withLevels(prev, (v) => {
      v.status = "failed";
      const l2 = v.levels[1]!.nodes;
      l2[0] = node("quality-reviewer", { status: "retrying", attempts: 2, startedAt: at(2800), error: "provider\nanswered 503" });
      l2[1] = node("security-reviewer", { status: "failed", attempts: 4, error: "timeout" });
    });
    expect(progressLines(prev, next, START + 5000)).toEqual([
      "[  5.00 s] ↻ quality-reviewer  retrying  level 2  attempt 2  provider answered 503",
      "[  5.00 s] ✖ security-reviewer  failed  level 2  attempt 4  timeout",
      "[  5.00 s] run failed [SIMULATED provider]",
    ]);
  });
});
