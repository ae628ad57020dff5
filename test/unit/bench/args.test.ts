import { describe, expect, it } from "vitest";
import { parseBenchArgs, UsageError } from "../../../local/bench/args.js";
import { FULL_SETTINGS, QUICK_SETTINGS } from "../../../local/bench/plan.js";

describe("parseBenchArgs", () => {
  it("gives the full settings by default and the quick ones with --quick", () => {
    expect(parseBenchArgs([]).settings).toEqual(FULL_SETTINGS);
    expect(parseBenchArgs(["--quick"]).settings).toEqual(QUICK_SETTINGS);
    expect(parseBenchArgs([]).outDir).toMatch(/\/bench\/results$/);
  });

  it("applies each flag", () => {
    const o = parseBenchArgs([
      "--quick",
      "--workloads",
      "airrflow,viralrecon",
      "--cp-ms",
      "3000",
      "--budget-s",
      "30",
      "--concurrency",
      "2,8",
      "--load-runs",
      "0",
      "--load-latency-ms",
      "50",
      "--no-peer",
      "--no-message-size",
      "--out",
      "/tmp/x",
      "--strict",
    ]);
    expect(o.settings).toMatchObject({
      quick: true,
      workloads: ["airrflow", "viralrecon"],
      criticalPathTargetMs: 3000,
      runBudgetMs: 30_000,
      concurrencyLimits: [2, 8],
      loadRuns: 0,
      loadLatencyMs: 50,
      peer: false,
      messageSizes: [],
    });
    expect(o).toMatchObject({ outDir: "/tmp/x", strict: true, render: null });
    expect(parseBenchArgs(["--render", "bench/results/latest.json"]).render).toBe("bench/results/latest.json");
    expect(parseBenchArgs(["--concurrency", ""]).settings.concurrencyLimits).toEqual([]);
  });

  it("measures a 256-way fan-out three times in a full run, once with --quick; --fanout 0 skips it", () => {
    expect(parseBenchArgs([]).settings).toMatchObject({ fanoutWidth: 256, fanoutRuns: 3 });
    expect(parseBenchArgs(["--quick"]).settings).toMatchObject({ fanoutWidth: 256, fanoutRuns: 1 });
    expect(parseBenchArgs(["--fanout", "0"]).settings.fanoutWidth).toBe(0);
    expect(parseBenchArgs(["--fanout", "1000"]).settings.fanoutWidth).toBe(1000);
    expect(() => parseBenchArgs(["--fanout", "1001"])).toThrow(UsageError);
  });

  it("repeats short eager runs three times in a full run, once with --quick, and takes --repeats 1..15", () => {
    expect(parseBenchArgs([]).settings.repeats).toBe(3);
    expect(parseBenchArgs(["--quick"]).settings.repeats).toBe(1);
    expect(parseBenchArgs(["--repeats", "5"]).settings.repeats).toBe(5);
    expect(() => parseBenchArgs(["--repeats", "0"])).toThrow(UsageError);
    expect(() => parseBenchArgs(["--repeats", "2.5"])).toThrow(/--repeats/);
  });

  it("runs the worker without wrangler's local observability collector unless --local-observability asks for it", () => {
    expect(parseBenchArgs([]).settings.localObservability).toBe(false);
    expect(parseBenchArgs(["--quick"]).settings.localObservability).toBe(false);
    expect(parseBenchArgs(["--local-observability"]).settings.localObservability).toBe(true);
    expect(parseBenchArgs(["--via-proxy"]).settings).toMatchObject({ viaProxy: true, localObservability: false });
  });

  it("sets nodesPerDelivery only when --nodes-per-delivery asks, within 1..64", () => {
    expect(parseBenchArgs([]).settings).not.toHaveProperty("nodesPerDelivery");
    expect(parseBenchArgs(["--nodes-per-delivery", "1"]).settings.nodesPerDelivery).toBe(1);
    expect(() => parseBenchArgs(["--nodes-per-delivery", "0"])).toThrow(UsageError);
    expect(() => parseBenchArgs(["--nodes-per-delivery", "65"])).toThrow(/1\.\.64/);
  });

  it("does not change the shared defaults", () => {
    parseBenchArgs(["--workloads", "bwa", "--concurrency", "3"]);
    expect(FULL_SETTINGS.workloads).toHaveLength(10);
    expect(FULL_SETTINGS.concurrencyLimits).toEqual([4, 16]);
  });

  it.each([
    [["--bogus"]],
    [["--workloads", "nope"]],
    [["--cp-ms", "0"]],
    [["--cp-ms", "abc"]],
    [["--concurrency", "4,1001"]],
    [["--load-runs", "-1"]],
    [["positional"]],
  ])("rejects %j", (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
  });
});
