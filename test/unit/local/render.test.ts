import { describe, expect, it } from "vitest";
import {
  cacheMarker,
  cacheParts,
  formatCacheCounts,
  formatCacheLine,
  formatDuration,
  formatPercent,
  formatTokens,
  formatUsd,
  providerTag,
  renderRun,
  runElapsedMs,
  SIMULATED_TAG,
  STATUS_ICONS,
  withoutCacheSuffix,
} from "../../../local/render";
import { NODE_STATUSES } from "../../../local/run-view";
import { at, cachedView, costedView, node, route, runningView, START } from "./fixtures";

const plain = { color: false, width: 0, now: START + 3200 };
const ANSI = /\x1b\[/;

describe("renderRun", () => {
  it("renders a todo list grouped by level, with header and totals", () => {
    expect(renderRun(runningView(), plain)).toBe(
      [
        "review-all  run_abc  running  3.20 s  [SIMULATED provider]",
        "Level 1: 1 agent",
        '  ✔ codebase-analyzer        done        1.01 s     812 tok   $0.0040  balanced  "Simulated analysis of agent-dag: a serverless engine"',
        "    ↳ feeds 5 nodes",
        "Level 2: 5 agents in parallel",
        "  ◐ quality-reviewer         running     0.40 s",
        "  ◐ security-reviewer        running     0.30 s",
        "  ◔ performance-reviewer     queued",
        "  ○ architecture-reviewer    pending",
        "  ○ best-practices-reviewer  pending",
        "Level 3: 1 agent",
        "  ○ senior-reviewer          pending",
        "7 nodes · 1 done · 2 running · 4 pending   tokens 600 in / 212 out   $0.0040",
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
    expect(lines[5]).toBe("7 nodes · 1 done · 2 running · 4 pending · 4 retries   tokens 600 in / 212 out   $0.0040");
    expect(lines[1]).toBe("Level 1: 3 agents in parallel");
    expect(lines[2]).toBe(`  ✖ a  failed  ${" ".repeat(34)}attempt 4: provider answered 500 after 3 retries`);
    expect(lines[3]).toBe(`  ↻ b  retrying    0.20 s${" ".repeat(24)}attempt 2: timeout`);
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
    expect(
      colored
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .map((l) => l.trimEnd()),
    ).toEqual(renderRun(runningView(), plain).split("\n"));
  });

  it("shows tier (or model), cost, the routing reason and non-zero cache tokens per node, and cost and budget in the footer", () => {
    const lines = renderRun(costedView(), { ...plain, providerLabel: "[fake Anthropic endpoint]" }).split("\n");
    expect(lines).toEqual([
      "review-all  run_abc  completed  3.00 s  [fake Anthropic endpoint]",
      "Level 1: 1 agent",
      '  ✔ brief   done        1.00 s   12.4k tok   $0.1000  deep             "[FAKE ANTHROPIC claude-opus-4-5] brief"',
      "    ↳ principal role, long prompt (~12k tokens) · cache write 2.0k",
      "Level 2: 1 agent",
      '  ✔ review  done        0.90 s     900 tok   $0.2000  fast             "review"',
      "    ↳ short output (up to 256 tokens); budget cap: fast · cache read 1.5k",
      "Level 3: 1 agent",
      '  ✔ final   done        1.00 s     700 tok   $0.0001  my-custom-model  "final"',
      '    ↳ explicit: node model "my-custom-model"',
      "3 nodes · 3 done   tokens 13.1k in / 900 out · cache read 1.5k · cache write 2.0k   $0.3001 of budget $0.5000, on budget: downgrade",
      "cache 0 hits · 0 shared · 3 misses (0%) · saved 0 tok / $0",
    ]);
  });

  it("marks nodes the result cache served, drops the reason's cache suffix, and sums the run's cache in the footer", () => {
    const lines = renderRun(cachedView(), plain).split("\n");
    expect(lines).toEqual([
      "review-all  run_def  completed  0.12 s  [provider: anthropic]",
      "Level 1: 1 agent",
      '  ✔ brief   done        0.02 s       0 tok        $0  deep             cache hit     "[FAKE ANTHROPIC claude-opus-4-5] brief"',
      "    ↳ principal role, long prompt (~12k tokens)",
      "Level 2: 1 agent",
      '  ✔ review  done        0.02 s       0 tok        $0  fast             cache shared  "review"',
      "    ↳ short output (up to 256 tokens); budget cap: fast",
      "Level 3: 1 agent",
      '  ✔ final   done        0.02 s       0 tok        $0  my-custom-model  cache hit     "final"',
      '    ↳ explicit: node model "my-custom-model"',
      "3 nodes · 3 done   tokens 0 in / 0 out   $0 of budget $0.5000, on budget: downgrade",
      "cache 2 hits · 1 shared · 0 misses (100%) · saved 17.5k tok / $0.3001",
    ]);
  });

  it("shows no cache column and no cache line before any lookup", () => {
    const text = renderRun(runningView(), plain);
    expect(text).not.toContain("cache");
    expect(text.split("\n").at(-1)).toMatch(/^7 nodes/);
  });

  it("keeps tier and cost visible at 100 columns, and colours the tier", () => {
    // review-all's ids (the longest is 23 characters), every node done like costedView's "brief"
    const brief = costedView().levels[0]!.nodes[0]!;
    const view = costedView({
      levels: runningView().levels.map((l) => ({ ...l, nodes: l.nodes.map((n) => ({ ...brief, id: n.id })) })),
    });
    const lines = renderRun(view, { ...plain, width: 100 }).split("\n");
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
    const bestPractices = lines.find((l) => l.includes("best-practices-reviewer")) ?? "";
    expect(bestPractices).toMatch(/12\.4k tok\s+\$0\.1000 {2}deep {2}"\[FAKE ANTHROPIC .*…$/);
    expect(renderRun(view, { ...plain, color: true })).toContain("\x1b[36mdeep\x1b[0m");
  });

  it("puts no second line under a node before it is routed, and none for zero cache tokens", () => {
    const lines = renderRun(runningView(), plain).split("\n");
    expect(lines.filter((l) => l.includes("↳"))).toEqual(["    ↳ feeds 5 nodes"]);
  });

  it("is pure: same input, same output", () => {
    expect(renderRun(runningView(), plain)).toBe(renderRun(runningView(), plain));
  });
});

describe("providerTag", () => {
  it("warns about the simulated provider first, then uses the caller's label, then the routed providers", () => {
    expect(providerTag(runningView(), "[fake Anthropic endpoint]")).toBe(SIMULATED_TAG);
    expect(providerTag(costedView(), "[fake Anthropic endpoint]")).toBe("[fake Anthropic endpoint]");
    expect(providerTag(costedView())).toBe("[provider: anthropic]");
    const mixed = costedView();
    mixed.levels[2]!.nodes[0]!.route = { ...route("deep", "x"), provider: "openai" };
    expect(providerTag(mixed)).toBe("[providers: anthropic, openai]");
    expect(providerTag(runningView({ simulated: false, levels: [{ level: 1, title: "", nodes: [node("a")] }] }))).toBe(
      "",
    );
  });

  it("shows the routed providers in the header when no label is given", () => {
    expect(renderRun(costedView(), plain).split("\n")[0]).toBe(
      "review-all  run_abc  completed  3.00 s  [provider: anthropic]",
    );
  });
});

describe("formatting", () => {
  it("formats USD amounts", () => {
    expect(formatUsd(0.0123)).toBe("$0.0123");
    expect(formatUsd(0.01234567, 6)).toBe("$0.012346");
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(0.00004)).toBe("<$0.0001");
    expect(formatUsd(0.00005)).toBe("$0.0001");
    expect(formatUsd(12.5)).toBe("$12.5000");
  });

  it("lists only non-zero cache token counts", () => {
    expect(cacheParts({ cacheReadTokens: 1500, cacheWriteTokens: 0 })).toEqual(["cache read 1.5k"]);
    expect(cacheParts({ cacheReadTokens: 0, cacheWriteTokens: 300 })).toEqual(["cache write 300"]);
    expect(cacheParts({ cacheReadTokens: 0, cacheWriteTokens: 0 })).toEqual([]);
    expect(cacheParts(null)).toEqual([]);
  });

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
    expect(
      runElapsedMs(runningView({ startedAt: "", createdAt: "garbage", makespanMs: Number.NaN }), START),
    ).toBeNull();
  });
});

describe("result-cache formatting", () => {
  it("marks hits and shared calls only", () => {
    expect(cacheMarker({ cache: "hit" })).toBe("cache hit");
    expect(cacheMarker({ cache: "shared" })).toBe("cache shared");
    expect(cacheMarker({ cache: "miss" })).toBe("");
    expect(cacheMarker({ cache: null })).toBe("");
  });

  it("removes only the node's own cache suffix, at the end", () => {
    expect(withoutCacheSuffix("fast: short output; cache hit", "hit")).toBe("fast: short output");
    expect(withoutCacheSuffix("fast: short output; cache shared", "shared")).toBe("fast: short output");
    expect(withoutCacheSuffix("fast: short output; cache hit", "shared")).toBe("fast: short output; cache hit");
    expect(withoutCacheSuffix("fast: short output; cache hit", null)).toBe("fast: short output; cache hit");
    expect(withoutCacheSuffix("cache hit; then more", "hit")).toBe("cache hit; then more");
  });

  it("formats hit rates as percentages with at most one decimal", () => {
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(0.857)).toBe("85.7%");
    expect(formatPercent(2 / 3)).toBe("66.7%");
  });

  it("formats the run's cache line, singular counts included, and none before any lookup", () => {
    const c = { hits: 7, shared: 0, misses: 0, savedTokens: 72_412, savedUsd: 0.36661 };
    expect(formatCacheLine(c)).toBe("cache 7 hits · 0 shared · 0 misses (100%) · saved 72.4k tok / $0.3666");
    expect(formatCacheLine({ hits: 1, shared: 1, misses: 1, savedTokens: 0, savedUsd: 0 })).toBe(
      "cache 1 hit · 1 shared · 1 miss (66.7%) · saved 0 tok / $0",
    );
    expect(formatCacheLine({ hits: 0, shared: 0, misses: 0, savedTokens: 0, savedUsd: 0 })).toBeNull();
    expect(formatCacheCounts({ hits: 0, shared: 0, misses: 0, savedTokens: 0, savedUsd: 0 })).toBe(
      "0 hits · 0 shared · 0 misses (n/a) · saved 0 tok / $0",
    );
  });
});
