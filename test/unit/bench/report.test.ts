import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkClaims } from "../../../local/bench/claims.js";
import { chartGroups, rerenderReport, resultsMarkdown, writeReport } from "../../../local/bench/report.js";
import { sampleResults } from "./fixtures.js";

describe("report", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-report-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("charts each workload's completed ratios and leaves the rest empty", () => {
    expect(chartGroups(sampleResults())[0]).toEqual({
      label: "viralrecon",
      barrier: 2.59,
      values: { eager: 1.05, levels: 2.65, langgraph: 2.625, sequential: null },
    });
  });

  it("writes json, svg and md, and latest.* only when asked", () => {
    const r = sampleResults();
    r.claims = checkClaims(r);
    const quick = writeReport(r, dir, "2026-11-20-220000-quick", false);
    expect(quick.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      "2026-11-20-220000-quick.json",
      "2026-11-20-220000-quick.md",
      "2026-11-20-220000-quick.svg",
    ]);
    writeReport(r, dir, "2026-11-20-230000", true);
    expect(readdirSync(dir)).toContain("latest.svg");
    expect(JSON.parse(readFileSync(join(dir, "latest.json"), "utf8"))).toEqual(r);
  });

  it("refuses to write results that do not match the schema", () => {
    const bad = { ...sampleResults(), date: 5 } as unknown as ReturnType<typeof sampleResults>;
    expect(() => writeReport(bad, dir, "bad", false)).toThrow();
    expect(readdirSync(dir).some((f) => f.startsWith("bad."))).toBe(false);
  });

  it("re-renders a results file with freshly checked claims and unchanged figures", () => {
    const r = sampleResults({ claims: [{ id: "stale", claim: "old wording", holds: true, detail: "" }] });
    writeReport(r, dir, "rerender", false);
    rerenderReport(join(dir, "rerender.json"));
    const again = JSON.parse(readFileSync(join(dir, "rerender.json"), "utf8")) as typeof r;
    expect(again.claims.map((c) => c.id)).toContain("eager-near-critical-path");
    expect(again.claims.map((c) => c.id)).not.toContain("stale");
    expect(again.runs).toEqual(r.runs);
    expect(readFileSync(join(dir, "rerender.md"), "utf8")).toContain("| viralrecon | 203 |");
  });

  it("puts the machine, the command, the tables and each claim's verdict in the Markdown", () => {
    const r = sampleResults();
    r.claims = checkClaims(r);
    const md = resultsMarkdown(r);
    expect(md).toContain("`npm run bench -- --quick` on 2 × Test CPU, 8 GiB");
    expect(md).toContain("| viralrecon | 203 |");
    expect(md).toContain("- not measured: on viralrecon and airrflow");
    expect(md).toContain("50 completed, 0 failed");
  });
});
