import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DOC_BLOCKS, docBlock, docTables, replaceDocBlocks } from "../../../local/bench/doc-tables.js";
import { LATEST_JSON, PERFORMANCE_DOC, writeDocTables } from "../../../local/bench/report.js";
import { benchResultsSchema } from "../../../local/bench/results.js";
import { run, sampleResults } from "./fixtures.js";

const lines = (table: string) => table.split("\n");

describe("the generated tables of docs/performance.md", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-doc-tables-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("docs/performance.md shows exactly the tables of bench/results/latest.json", () => {
    const latest = benchResultsSchema.parse(JSON.parse(readFileSync(LATEST_JSON, "utf8")));
    const doc = readFileSync(PERFORMANCE_DOC, "utf8");
    const tables = docTables(latest);
    // on failure: `npm run bench -- --render bench/results/latest.json` rewrites the page's blocks
    for (const name of DOC_BLOCKS) expect(docBlock(doc, name), `block "${name}"`).toBe(tables[name]);
  });

  it("docs/performance.md embeds the chart of bench/results/latest.json", () => {
    expect(readFileSync(PERFORMANCE_DOC, "utf8")).toContain("](../bench/results/latest.svg)");
  });

  it("bolds eager only where the ratio claim applies (up to 250 nodes) and drops the scale columns", () => {
    const t = lines(docTables(sampleResults()).makespan);
    expect(t[0]).toBe(
      "| workload | nodes | levels | CP nodes | eager (median) | eager, counted samples | levels | LangGraph | sequential |",
    );
    expect(t[2]).toBe(
      "| viralrecon | 203 | 5 | 5 | **1.05** | – | 2.65 (2.59) | 2.63 (2.59) | not run (would take 12 s; budget 10 s) |",
    );
    expect(t[3]).toBe("| big | 300 | 5 | 5 | 1.30 | – | – (1.10) | – (1.10) | – (5.00) |");
  });

  it("writes node counts with thousands separators", () => {
    const r = sampleResults();
    r.workloads[1] = { ...r.workloads[1]!, nodes: 1004 };
    expect(lines(docTables(r).makespan)[3]).toMatch(/^\| big \| 1,004 \| /);
  });

  it("keeps hop p50/p95/max, in-node p50, the per-CP-node figure and steal of the overhead table", () => {
    expect(lines(docTables(sampleResults()).overhead)).toEqual([
      "| workload | hop p50 | hop p95 | hop max | in-node p50 | (makespan − CP) / CP nodes | CPU steal % |",
      "|---|---:|---:|---:|---:|---:|---:|",
      "| viralrecon | 10 | 20 | 30 | 8 | 20 | – |",
      "| big | 10 | 20 | 30 | 8 | 120 | – |",
    ]);
  });

  it("puts each concurrency limit in a column: the samples' range, or the makespan of a single sample", () => {
    const r = sampleResults();
    const limited = (over: Parameters<typeof run>[1], makespan: number, expected: number) =>
      run("viralrecon", { scenario: "concurrency", ...over }, makespan, expected);
    r.runs = [
      ...r.runs.filter((x) => x.scenario !== "concurrency"),
      limited(
        {
          executor: "agent-dag",
          mode: "eager",
          concurrency: 16,
          samples: [
            { makespanMs: 2100, stealPct: 1, counted: true },
            { makespanMs: 2200, stealPct: 30, counted: false },
            { makespanMs: 2060, stealPct: 0, counted: true },
          ],
        },
        2100,
        2000,
      ),
      limited({ executor: "agent-dag", mode: "eager", concurrency: 4 }, 61_400, 60_000),
      run(
        "big",
        {
          executor: "agent-dag",
          mode: "eager",
          scenario: "concurrency",
          concurrency: 4,
          outcome: "not-run",
          reason: "not run (would take 300 s; budget 240 s)",
          makespanMs: null,
          overExpected: null,
        },
        0,
        300_000,
      ),
    ];
    expect(lines(docTables(r).concurrency)).toEqual([
      "| workload | 4 slots: eager / list (samples) | 16 slots: eager / list (samples) |",
      "|---|---:|---:|",
      "| viralrecon | 1.02 (61 s, 1 sample) | 1.05 (1.03–1.05; +1 not counted: steal) |",
      "| big | not run (would take 300 s; budget 240 s) | – |",
    ]);
  });

  it("replaces only what lies between the markers", () => {
    const doc = [
      "# T",
      "",
      "<!-- bench:makespan -->",
      "old",
      "<!-- /bench:makespan -->",
      "text",
      "<!-- bench:overhead -->",
      "old",
      "old",
      "<!-- /bench:overhead -->",
      "<!-- bench:concurrency -->",
      "x",
      "<!-- /bench:concurrency -->",
      "end",
      "",
    ].join("\n");
    const out = replaceDocBlocks(doc, { makespan: "M1\nM2", overhead: "O", concurrency: "C" });
    expect(out).toBe(
      [
        "# T",
        "",
        "<!-- bench:makespan -->",
        "M1",
        "M2",
        "<!-- /bench:makespan -->",
        "text",
        "<!-- bench:overhead -->",
        "O",
        "<!-- /bench:overhead -->",
        "<!-- bench:concurrency -->",
        "C",
        "<!-- /bench:concurrency -->",
        "end",
        "",
      ].join("\n"),
    );
    expect(docBlock(out, "makespan")).toBe("M1\nM2");
  });

  it("refuses a page whose markers are missing, doubled or empty, and leaves the file as it was", () => {
    const tables = { makespan: "M", overhead: "O", concurrency: "C" };
    const block = (name: string, body = "x") => `<!-- bench:${name} -->\n${body}\n<!-- /bench:${name} -->`;
    expect(() => replaceDocBlocks([block("makespan"), block("overhead")].join("\n"), tables)).toThrow(
      /block "concurrency" needs the markers/,
    );
    expect(() =>
      replaceDocBlocks(
        [block("makespan"), block("makespan"), block("overhead"), block("concurrency")].join("\n"),
        tables,
      ),
    ).toThrow(/"makespan" is marked more than once/);
    expect(() =>
      replaceDocBlocks(
        ["<!-- bench:makespan -->\n<!-- /bench:makespan -->", block("overhead"), block("concurrency")].join("\n"),
        tables,
      ),
    ).toThrow(/"makespan" must hold at least one line/);
    const interleaved = [
      "<!-- bench:makespan -->",
      "a",
      "<!-- bench:overhead -->",
      "b",
      "<!-- /bench:makespan -->",
      "c",
      "<!-- /bench:overhead -->",
      block("concurrency"),
    ].join("\n");
    expect(() => replaceDocBlocks(interleaved, tables)).toThrow(/"makespan" and "overhead" overlap/);
    const file = join(dir, "no-markers.md");
    writeFileSync(file, "no markers\n");
    expect(() => writeDocTables(sampleResults(), file)).toThrow(/needs the markers/);
    expect(readFileSync(file, "utf8")).toBe("no markers\n");
  });

  it("writes the tables into a Markdown file", () => {
    const file = join(dir, "ok.md");
    writeFileSync(
      file,
      [
        "a",
        "<!-- bench:makespan -->",
        "x",
        "<!-- /bench:makespan -->",
        "<!-- bench:overhead -->",
        "x",
        "<!-- /bench:overhead -->",
        "<!-- bench:concurrency -->",
        "x",
        "<!-- /bench:concurrency -->",
        "",
      ].join("\n"),
    );
    writeDocTables(sampleResults(), file);
    const text = readFileSync(file, "utf8");
    expect(docBlock(text, "overhead")).toBe(docTables(sampleResults()).overhead);
    expect(text.startsWith("a\n<!-- bench:makespan -->\n| workload |")).toBe(true);
  });
});
