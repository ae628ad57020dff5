import { describe, expect, it } from "vitest";
import { progressLines } from "../../../local/progress-lines";
import type { RunView } from "../../../local/run-view";
import { at, cachedView, costedView, node, runningView, START } from "./fixtures";

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
      "[  3.00 s] cache 0 hits · 0 shared · 3 misses (0%) · saved 0 tok / $0",
    ]);
    const running = costedView({ status: "running" });
    expect(progressLines(running, costedView(), START + 3000).slice(-2)).toEqual([
      "[  3.00 s] run completed [provider: anthropic]",
      "[  3.00 s] cache 0 hits · 0 shared · 3 misses (0%) · saved 0 tok / $0",
    ]);
  });

  it("marks nodes served by the result cache, without the reason's cache suffix, and ends with the run's cache line", () => {
    const running = cachedView({ status: "running", finishedAt: null });
    for (const level of running.levels)
      for (const n of level.nodes) Object.assign(n, { status: "running", cache: null, usage: null, costUsd: null });
    expect(progressLines(running, cachedView(), START + 150)).toEqual([
      "[  0.15 s] ✔ brief  done  level 1  0.02 s  0 tok  $0  cache hit  deep: principal role, long prompt (~12k tokens)",
      "[  0.15 s] ✔ review  done  level 2  0.02 s  0 tok  $0  cache shared  fast: short output (up to 256 tokens); budget cap: fast",
      '[  0.15 s] ✔ final  done  level 3  0.02 s  0 tok  $0  cache hit  my-custom-model: explicit: node model "my-custom-model"',
      "[  0.15 s] run completed [provider: anthropic]",
      "[  0.15 s] cache 2 hits · 1 shared · 0 misses (100%) · saved 17.5k tok / $0.3001",
    ]);
  });

  it("gives the cache line once, also when the first view is already final, and never while running", () => {
    expect(progressLines(null, cachedView(), START + 150).at(-1)).toBe(
      "[  0.15 s] cache 2 hits · 1 shared · 0 misses (100%) · saved 17.5k tok / $0.3001",
    );
    expect(progressLines(cachedView(), cachedView(), START + 300)).toEqual([]);
    const running = cachedView({ status: "running", finishedAt: null });
    expect(progressLines(null, running, START + 150).some((l) => l.includes("cache 2 hits"))).toBe(false);
  });

  it("says so once when the run turns out to be simulated", () => {
    const prev = runningView({ simulated: false });
    expect(progressLines(prev, runningView(), START + 3500)).toEqual([
      "[  3.50 s] [SIMULATED provider] no model is called in this run",
    ]);
  });

  it("prints nothing when nothing changed", () => {
    expect(progressLines(runningView(), runningView(), START + 4000)).toEqual([]);
  });

  it("prints one line per changed node, retries included, and the run's end", () => {
    const prev = runningView();
    const next = withLevels(prev, (v) => {
      v.status = "failed";
      const l2 = v.levels[1]!.nodes;
      l2[0] = node("quality-reviewer", {
        status: "retrying",
        attempts: 2,
        startedAt: at(2800),
        error: "provider\nanswered 503",
      });
      l2[1] = node("security-reviewer", { status: "failed", attempts: 4, error: "timeout" });
    });
    expect(progressLines(prev, next, START + 5000)).toEqual([
      "[  5.00 s] ↻ quality-reviewer  retrying  level 2  attempt 2  provider answered 503",
      "[  5.00 s] ✖ security-reviewer  failed  level 2  attempt 4  timeout",
      "[  5.00 s] run failed [SIMULATED provider]",
    ]);
  });
});
