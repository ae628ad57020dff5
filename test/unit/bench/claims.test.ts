import { describe, expect, it } from "vitest";
import { checkClaims } from "../../../local/bench/claims.js";
import { run, sampleResults } from "./fixtures.js";

const byId = (claims: ReturnType<typeof checkClaims>) => Object.fromEntries(claims.map((c) => [c.id, c]));

describe("checkClaims", () => {
  it("holds on the sample figures and reports the numbers", () => {
    const c = byId(checkClaims(sampleResults()));
    expect(c["eager-near-critical-path"]!.holds).toBe(true);
    // big has 300 nodes: its 1.30 is reported but not held to 1.15.
    expect(c["eager-near-critical-path"]!.detail).toContain(
      "big (300) 1.30 hop p50 10 ms p95 20 ms [over 250 nodes: reported, not held to the bound]",
    );
    expect(c["concurrency-near-list-schedule"]!.holds).toBe(true);
    expect(c["qstash-messages-per-node"]!.holds).toBe(true);
    expect(c["qstash-messages-per-node"]!.detail).toMatch(
      /^6 of 6 runs exactly 2\.00, max 2\.00; Redis commands\/node 6\.00\.\.6\.00$/,
    );
    expect(c["message-size-independent-of-output"]!.holds).toBe(true);
    expect(c["load-loses-nothing"]!.holds).toBe(true);
  });

  it("says 'not measured' (null) for the barrier claim when airrflow was not run", () => {
    const c = byId(checkClaims(sampleResults()));
    expect(c["eager-beats-barriers"]!.holds).toBeNull();
    expect(c["eager-beats-barriers"]!.detail).toContain(
      "viralrecon: levels/eager 2.52, LangGraph/eager 2.50, ceiling (barrier/CP) 2.59",
    );
    expect(c["eager-beats-barriers"]!.detail).toContain("airrflow: not measured");
  });

  it("says why a workload has no eager figure", () => {
    const r = sampleResults();
    r.runs[5] = {
      ...r.runs[5]!,
      outcome: "not-run",
      reason: "not run (1004 nodes; a workflow holds at most 1000)",
      ratio: null,
      makespanMs: null,
    };
    expect(byId(checkClaims(r))["eager-near-critical-path"]!.detail).toContain(
      "big (300) not run (1004 nodes; a workflow holds at most 1000) [over 250 nodes: reported, not held to the bound]",
    );
  });

  it("fails the ratio claim when a workload up to 250 nodes is over 1.15", () => {
    const r = sampleResults();
    r.runs[0] = run("viralrecon", { executor: "agent-dag", mode: "eager" }, 2400);
    expect(byId(checkClaims(r))["eager-near-critical-path"]!.holds).toBe(false);
  });

  it("fails the barrier claim when eager is not faster than levels", () => {
    const r = sampleResults();
    r.workloads.push({ ...r.workloads[0]!, name: "airrflow", barrierOverCriticalPath: 1.81 });
    r.runs.push(
      run("airrflow", { executor: "agent-dag", mode: "eager" }, 2100),
      run("airrflow", { executor: "agent-dag", mode: "levels" }, 2000),
      run("airrflow", { executor: "langgraph", mode: "supersteps" }, 3600),
    );
    expect(byId(checkClaims(r))["eager-beats-barriers"]!.holds).toBe(false);
  });

  it("fails on more than 2 QStash messages per node, a publish size that grows, and a lost run", () => {
    const r = sampleResults();
    r.runs[0] = { ...r.runs[0]!, perNode: { ...r.runs[0]!.perNode!, qstashMessages: 2.2 } };
    r.messageSize[1] = {
      ...r.messageSize[1]!,
      perNode: { ...r.messageSize[1]!.perNode!, publishBytesPerMessage: 1_049_000 },
    };
    r.load = { ...r.load!, completed: 49, unfinished: 1, nodesDone: 343 };
    const c = byId(checkClaims(r));
    expect(c["qstash-messages-per-node"]!.holds).toBe(false);
    expect(c["qstash-messages-per-node"]!.detail).toContain("over: viralrecon/eager/c=1000 2.20");
    expect(c["message-size-independent-of-output"]!.holds).toBe(false);
    expect(c["load-loses-nothing"]!.holds).toBe(false);
  });

  it("fails the concurrency claim over 1.15 × the list schedule and ignores runs that were not run", () => {
    const r = sampleResults();
    r.runs.push(
      run(
        "big",
        {
          executor: "agent-dag",
          mode: "eager",
          scenario: "concurrency",
          concurrency: 16,
          outcome: "not-run",
          reason: "not run (would take 300 s; budget 240 s)",
        },
        0,
      ),
    );
    expect(byId(checkClaims(r))["concurrency-near-list-schedule"]!.holds).toBe(true);
    r.runs.push(
      run("big", { executor: "agent-dag", mode: "eager", scenario: "concurrency", concurrency: 4 }, 3200, 2600),
    );
    const c = byId(checkClaims(r))["concurrency-near-list-schedule"]!;
    expect(c.holds).toBe(false);
    expect(c.detail).toContain("big P=4 1.23");
    expect(c.detail).toContain("big P=16 not run (would take 300 s; budget 240 s)");
  });
});

describe("checkClaims: dynamic fan-out overhead", () => {
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return {
      count: xs.length,
      mean: xs.reduce((a, b) => a + b, 0) / xs.length,
      p50: sorted[Math.floor((sorted.length - 1) / 2)]!,
      p95: sorted[sorted.length - 1]!,
      max: sorted[sorted.length - 1]!,
    };
  };
  const fanout = (overheads: number[], over: Partial<{ completed: number; childrenPerRun: number }> = {}) => ({
    width: 256,
    latencyMs: 1000,
    runs: overheads.length,
    completed: over.completed ?? overheads.length,
    childrenPerRun: over.childrenPerRun ?? 256,
    criticalPathMs: 3000,
    makespanMs: summary(overheads.map((o) => o + 3000)),
    overheadMs: summary(overheads),
  });
  const claim = (m: ReturnType<typeof fanout> | null) =>
    byId(checkClaims({ ...sampleResults(), mapFanout: m }))["map-fanout-overhead"];

  it("holds when the median overhead is at most 500 ms and every child ran", () => {
    const c = claim(fanout([300, 420, 900]));
    expect(c!.holds).toBe(true);
    expect(c!.detail).toContain("overhead p50 420 ms, max 900 ms over 3/3 runs");
    expect(c!.claim).toContain("Vercel Workflow publishes 2.5 s");
  });

  it("does not hold over 500 ms, or when a run lost children or did not complete", () => {
    expect(claim(fanout([480, 510, 700]))!.holds).toBe(false);
    expect(claim(fanout([100, 100, 100], { childrenPerRun: 255 }))!.holds).toBe(false);
    expect(claim(fanout([100, 100, 100], { completed: 2 }))!.holds).toBe(false);
  });

  it("is 'not measured' when the fan-out was skipped, and absent from older results", () => {
    expect(claim(null)!.holds).toBeNull();
    expect(byId(checkClaims(sampleResults()))["map-fanout-overhead"]).toBeUndefined();
  });
});
