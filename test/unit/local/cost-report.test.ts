import { describe, expect, it } from "vitest";
import { buildCostReport, checkRequests, formatCostReport } from "../../../local/cost-report";
import { cachedView, costedView, node } from "./fixtures";

describe("buildCostReport", () => {
  it("has one row per node with provider, tier, model, reason, tokens and cost in micro-USD", () => {
    const report = buildCostReport(costedView());
    expect(report.rows[1]).toEqual({
      node: "review",
      status: "done",
      provider: "anthropic",
      tier: "fast",
      model: "claude-haiku-4-5",
      reason: "short output (up to 256 tokens); budget cap: fast",
      error: null,
      inputTokens: 600,
      outputTokens: 300,
      cacheReadTokens: 1500,
      cacheWriteTokens: 0,
      costMicroUsd: 200_000,
    });
    expect(report.tokens).toEqual({
      inputTokens: 13_100,
      outputTokens: 900,
      cacheReadTokens: 1500,
      cacheWriteTokens: 2000,
    });
  });

  it("sums the nodes exactly in micro-USD (no float drift) and compares with the run's total", () => {
    const report = buildCostReport(costedView());
    expect(0.1 + 0.2 + 0.000123).not.toBe(0.300123); // the float sum drifts…
    expect(report).toMatchObject({ totalMicroUsd: 300_123, sumMicroUsd: 300_123, totalsMatch: true }); // …the micro sum does not
    const off = costedView();
    off.totals.costUsd = 0.300124;
    expect(buildCostReport(off)).toMatchObject({ totalMicroUsd: 300_124, sumMicroUsd: 300_123, totalsMatch: false });
  });

  it("counts a node without usage or cost as zero, and leaves its route empty", () => {
    const view = costedView();
    view.levels[2]!.nodes[0] = node("final", { status: "failed", error: "boom" });
    view.totals.costUsd = 0.3;
    const report = buildCostReport(view);
    expect(report.rows[2]).toMatchObject({
      provider: null,
      tier: null,
      model: null,
      reason: null,
      inputTokens: 0,
      costMicroUsd: null,
    });
    expect(report.totalsMatch).toBe(true);
    expect(formatCostReport(report)).toContain("      ↳ (failed: boom)");
  });
});

describe("checkRequests", () => {
  it("accepts exactly one request per node, per model", () => {
    const check = checkRequests(costedView(), { "claude-opus-4-5": 1, "claude-haiku-4-5": 1, "my-custom-model": 1 });
    expect(check).toEqual({
      byModel: [
        { model: "claude-haiku-4-5", requests: 1, nodes: 1 },
        { model: "claude-opus-4-5", requests: 1, nodes: 1 },
        { model: "my-custom-model", requests: 1, nodes: 1 },
      ],
      requests: 3,
      nodes: 3,
      cached: 0,
      runNodes: 3,
      ok: true,
    });
  });

  it("expects no request from a map node's join or a wait node, which call no model", () => {
    const view = costedView();
    view.levels[2]!.nodes.push(node("review-map", { model: "map" }), node("approve", { model: "" }));
    const check = checkRequests(view, { "claude-opus-4-5": 1, "claude-haiku-4-5": 1, "my-custom-model": 1 });
    expect(check).toMatchObject({ requests: 3, nodes: 3, ok: true });
    expect(check.byModel.map((m) => m.model)).toEqual(["claude-haiku-4-5", "claude-opus-4-5", "my-custom-model"]);
  });

  it("expects no request from nodes the result cache served, and says so", () => {
    const check = checkRequests(cachedView(), {});
    expect(check).toEqual({ byModel: [], requests: 0, nodes: 0, cached: 3, runNodes: 3, ok: true });
    expect(formatCostReport(buildCostReport(cachedView()), check, "fake Anthropic requests").at(-1)).toBe(
      "  fake Anthropic requests: none = 0 requests for 0 nodes (3 of 3 made no call, 3 served from the result cache)  ✔",
    );
    expect(checkRequests(cachedView(), { "claude-opus-4-5": 1 }).ok).toBe(false);
    const mixed = cachedView();
    mixed.levels[1]!.nodes[0]!.cache = "miss";
    expect(checkRequests(mixed, { "claude-haiku-4-5": 1 })).toMatchObject({
      requests: 1,
      nodes: 1,
      cached: 2,
      ok: true,
    });
  });

  it("rejects a duplicated call, a call to another model, and a missing call", () => {
    expect(checkRequests(costedView(), { "claude-opus-4-5": 2, "claude-haiku-4-5": 1, "my-custom-model": 1 }).ok).toBe(
      false,
    );
    expect(checkRequests(costedView(), { "claude-opus-4-5": 1, "claude-sonnet-4-5": 1, "my-custom-model": 1 }).ok).toBe(
      false,
    );
    expect(checkRequests(costedView(), { "claude-opus-4-5": 1, "claude-haiku-4-5": 1 }).ok).toBe(false);
  });

  it("compares the requests with the nodes that called a model when some made no call", () => {
    const view = costedView({ status: "failed" });
    view.levels[2]!.nodes[0] = node("final", { status: "skipped", error: "skipped: upstream node review failed" });
    expect(formatCostReport(buildCostReport(view))).toContain("      ↳ (skipped: upstream node review failed)");
    const check = checkRequests(view, { "claude-opus-4-5": 1, "claude-haiku-4-5": 1 });
    expect(check).toMatchObject({ requests: 2, nodes: 2, runNodes: 3, ok: true });
    expect(formatCostReport(buildCostReport(view), check).at(-1)).toBe(
      "  provider requests: claude-haiku-4-5 1 · claude-opus-4-5 1 = 2 requests for 2 nodes (1 of 3 made no call)  ✔",
    );
  });
});

describe("formatCostReport", () => {
  it("prints the table with reasons under each row, the total, the check line and the requests", () => {
    const report = buildCostReport(costedView());
    const requests = checkRequests(costedView(), { "claude-opus-4-5": 1, "claude-haiku-4-5": 1, "my-custom-model": 1 });
    expect(formatCostReport(report, requests, "fake Anthropic requests")).toEqual([
      "  node    provider   tier  model             input  output  cache rd  cache wr       cost",
      "  brief   anthropic  deep  claude-opus-4-5   12000     400         0      2000  $0.100000",
      "      ↳ principal role, long prompt (~12k tokens)",
      "  review  anthropic  fast  claude-haiku-4-5    600     300      1500         0  $0.200000",
      "      ↳ short output (up to 256 tokens); budget cap: fast",
      "  final   anthropic  –     my-custom-model     500     200         0         0  $0.000123",
      '      ↳ explicit: node model "my-custom-model"',
      "  total                                      13100     900      1500      2000  $0.300123",
      "  check: total $0.300123 = sum of nodes $0.300123  ✔",
      "  fake Anthropic requests: claude-haiku-4-5 1 · claude-opus-4-5 1 · my-custom-model 1 = 3 requests for 3 nodes  ✔",
    ]);
  });

  it("says what is wrong when a check fails, and leaves the requests out when not given", () => {
    const view = costedView();
    view.totals.costUsd = 0.300124;
    const lines = formatCostReport(
      buildCostReport(view),
      checkRequests(view, { "claude-opus-4-5": 2, "claude-haiku-4-5": 1, "my-custom-model": 1 }),
    );
    expect(lines).toContain("  check: total $0.300124 ≠ sum of nodes $0.300123  ✖ (differs by 1 µUSD)");
    expect(lines.at(-1)).toBe(
      "  provider requests: claude-haiku-4-5 1 · claude-opus-4-5 2 · my-custom-model 1 = 4 requests for 3 nodes  ✖ (claude-opus-4-5: 2 requests for 1 nodes)",
    );
    expect(formatCostReport(buildCostReport(costedView())).at(-1)).toBe(
      "  check: total $0.300123 = sum of nodes $0.300123  ✔",
    );
  });
});
