import { describe, expect, it } from "vitest";
import { SIMULATED_TAG, STATUS_ICONS, formatDuration, formatTokens, renderRun, runElapsedMs } from "../../../local/render";
import { NODE_STATUSES } from "../../../local/run-view";
import { START, at, node, runningView } from "./fixtures";

const plain = { color: false, width: 0, now: START + 3200 };
const ANSI = /\x1b\[/;

describe("renderRun", () => {
  it("renders a todo list grouped by level, with header and totals", () => {
    expect(renderRun(runningView(), plain)).toBe(
      [
        "review-all  run_abc  running  3.20 s  [SIMULATED provider]",
        "Level 1: 1 agent",
        '  ✔ codebase-analyzer        done        1.01 s     812 tok  "Simulated analysis of agent-dag: a serverless engine"',
        "Level 2: 5 agents in parallel",
        "  ◐ quality-reviewer         running     0.40 s",
        "  ◐ security-reviewer        running     0.30 s",
        "  ◔ performance-reviewer     queued",
        "  ○ architecture-reviewer    pending",
        "  ○ best-practices-reviewer  pending",
        "Level 3: 1 agent",
        "  ○ senior-reviewer          pending",
        "7 nodes · 1 done · 2 running · 4 pending   tokens 600 in / 212 out",
      ].join("\n"),
    );
  });

  it("says SIMULATED in the header only when the view is simulated", () => {
    expect(renderRun(runningView(), plain).split("\n")[0]).toContain(SIMULATED_TAG);
    expect(renderRun(runningView({ simulated: false }), plain)).not.toContain("SIMULATED");
  });

  it("shows the makespan of a finished run, not the time since it started", () => {
    const view = runningView({ status: "completed", makespanMs: 3120, finishedAt: at(3120) });
    const headerLine = renderRun(view, { ...plain, now: START + 60_000 }).split("\n")[0];
    expect(headerLine).toBe("review-all  run_abc  completed  3.12 s  [SIMULATED provider]");
  });

  it("has an icon for every status and shows errors and attempts", () => {
    expect(Object.keys(STATUS_ICONS).sort()).toEqual([...NODE_STATUSES].sort());
    expect(new Set(Object.values(STATUS_ICONS)).size).toBe(NODE_STATUSES.length);
    const view = runningView({
      levels: [
        {
          level: 1,
          title: "",
          nodes: [
            node("a", { status: "failed", attempts: 4, error: "provider answered 500\nafter 3 retries" }),
            node("b", { status: "retrying", attempts: 2, startedAt: at(3000), error: "timeout" }),
            node("c", { status: "skipped" }),
          ],
        },
      ],
    });
    const lines = renderRun(view, plain).split("\n");
    expect(lines[5]).toBe("7 nodes · 1 done · 2 running · 4 pending · 4 retries   tokens 600 in / 212 out");
    expect(lines[1]).toBe("Level 1: 3 agents in parallel");
    expect(lines[2]).toBe("  ✖ a  failed  " + " ".repeat(24) + "attempt 4: provider answered 500 after 3 retries");
    expect(lines[3]).toBe("  ↻ b  retrying    0.20 s" + " ".repeat(14) + "attempt 2: timeout");
    expect(lines[4]).toBe("  ⊘ c  skipped");
  });

  it("cuts lines to the width with an ellipsis", () => {
    const out = renderRun(runningView(), { ...plain, width: 40 });
    for (const line of out.split("\n")) expect([...line].length).toBeLessThanOrEqual(40);
    expect(out.split("\n")[2]).toBe("  ✔ codebase-analyzer        done      …");
  });

  it("emits ANSI colours only when asked", () => {
    expect(renderRun(runningView(), plain)).not.toMatch(ANSI);
    const colored = renderRun(runningView(), { ...plain, color: true });
    expect(colored).toMatch(ANSI);
    expect(colored.split("\n")[0]).toContain(`\x1b[1;30;43m${SIMULATED_TAG}\x1b[0m`);
    // same text once the escapes are removed
    expect(colored.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trimEnd())).toEqual(
      renderRun(runningView(), plain).split("\n"),
    );
  });

  it("is pure: same input, same output", () => {
    expect(renderRun(runningView(), plain)).toBe(renderRun(runningView(), plain));
  });
});

describe("formatting", () => {
  it("formats durations", () => {
    expect(formatDuration(400)).toBe("0.40 s");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(125_000)).toBe("2 m 05 s");
    expect(formatDuration(3_720_000)).toBe("1 h 02 m");
    expect(formatDuration(-5)).toBe("0.00 s");
  });

  it("formats token counts", () => {
    expect(formatTokens(812)).toBe("812");
    expect(formatTokens(12_345)).toBe("12.3k");
    expect(formatTokens(4_500_000)).toBe("4.50M");
  });

  it("computes elapsed run time", () => {
    expect(runElapsedMs(runningView(), START + 500)).toBe(500); // running: the client clock, not the stale 3100
    expect(runElapsedMs(runningView({ status: "failed", makespanMs: 42 }), START + 500)).toBe(42);
    expect(runElapsedMs(runningView({ startedAt: "", createdAt: "garbage" }), START)).toBe(3100);
    expect(runElapsedMs(runningView({ startedAt: "", createdAt: "garbage", makespanMs: Number.NaN }), START)).toBeNull();
  });
});
