import { describe, expect, it } from "vitest";
import {
  concurrencyTable,
  costTable,
  makespanTable,
  overheadTable,
  renderMarkdown,
  renderText,
} from "../../../local/bench/table.js";
import { sampleResults } from "./fixtures.js";

describe("tables", () => {
  const r = sampleResults();

  it("shows each workload's ratios with the simulated figure, and why a run was not run", () => {
    const t = makespanTable(r);
    expect(t.rows[0]).toEqual([
      "viralrecon",
      "203",
      "5",
      "4.00",
      "2000",
      "1.05",
      "–",
      "2.65 (2.59)",
      "2.63 (2.59)",
      "not run (would take 12 s; budget 10 s)",
    ]);
    expect(t.rows[1]!.slice(7)).toEqual(["– (1.10)", "– (1.10)", "– (5.00)"]);
  });

  it("prints large scales as whole numbers and a dash for a limit that was not run", () => {
    const big = sampleResults();
    big.workloads[0] = { ...big.workloads[0]!, scaleMsPerSecond: 1666.67 };
    big.runs.push({
      ...big.runs[4]!,
      workload: "big",
      outcome: "not-run",
      reason: "not run (too big)",
      makespanMs: null,
      overExpected: null,
    });
    expect(makespanTable(big).rows[0]![3]).toBe("1667");
    expect(concurrencyTable(big).rows[1]).toEqual(["big", "4", "2600", "not run (too big)", "–", "–"]);
  });

  it("breaks eager's overhead down into hops and in-node time", () => {
    expect(overheadTable(r).rows).toEqual([
      ["viralrecon", "5", "10", "20", "30", "12", "8", "15", "20", "2010", "1.04", "–"],
      ["big", "5", "10", "20", "30", "12", "8", "15", "120", "2010", "1.29", "–"],
    ]);
  });

  it("shows the range of a repeated run's samples against its reference schedule", () => {
    const rep = sampleResults();
    const i = rep.runs.findIndex((x) => x.scenario === "concurrency");
    rep.runs[i] = {
      ...rep.runs[i]!,
      samples: [
        { makespanMs: 2860, stealPct: 1, counted: true },
        { makespanMs: 2700, stealPct: 2, counted: true },
        { makespanMs: 2652, stealPct: null, counted: true },
      ],
    };
    expect(concurrencyTable(rep).rows[0]!.slice(4)).toEqual(["1.04", "1.02–1.10"]);
    rep.runs[i] = {
      ...rep.runs[i]!,
      samples: [
        { makespanMs: 3900, stealPct: 30, counted: false },
        { makespanMs: 2700, stealPct: 2, counted: true },
        { makespanMs: 2652, stealPct: 0, counted: true },
      ],
    };
    expect(concurrencyTable(rep).rows[0]!.slice(4)).toEqual(["1.04", "1.02–1.04 (+1 not counted: steal)"]);
  });

  it("compares concurrency-limited runs with the list schedule", () => {
    expect(concurrencyTable(r).rows).toEqual([["viralrecon", "4", "2600", "2700", "1.04", "–"]]);
  });

  it("lists the cost per node of eager runs and message-size runs", () => {
    const rows = costTable(r).rows;
    expect(rows.map((row) => row[0])).toEqual([
      "viralrecon",
      "big",
      "review-all, 1024 B outputs",
      "review-all, 1048576 B outputs",
    ]);
    expect(rows[0]).toEqual([
      "viralrecon",
      "1.00",
      "2.00",
      "2.00",
      "6.00",
      "3.00",
      "900",
      "734",
      "9.5",
      "7.0",
      "6.2",
      "–",
    ]);
    expect(rows[2]!.slice(-4)).toEqual(["–", "–", "–", "–"]);
  });

  it("renders aligned text and Markdown with escaped pipes", () => {
    const t = {
      title: "T",
      header: ["a", "bb"],
      rows: [
        ["x|y", "1"],
        ["long name", "22"],
      ],
    };
    expect(renderText(t).split("\n")).toEqual([
      "T",
      "a          bb",
      "---------  --",
      "x|y         1",
      "long name  22",
    ]);
    expect(renderMarkdown(t).split("\n")).toEqual([
      "**T**",
      "",
      "| a | bb |",
      "|---|---:|",
      "| x\\|y | 1 |",
      "| long name | 22 |",
    ]);
  });
});
