/**
 * The benchmark's outputs: `bench/results/<stamp>.json` (validated against the results schema), `<stamp>.svg`
 * (the chart) and `<stamp>.md` (the tables and claims in Markdown); a full run also refreshes `latest.json`,
 * `latest.svg` and `latest.md`, and the generated tables of docs/performance.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { PROJECT_ROOT } from "../project-root.js";
import { DEFAULT_OUT_DIR } from "./args.js";
import { checkClaims } from "./claims.js";
import { docTables, replaceDocBlocks } from "./doc-tables.js";
import { describeCpuPerNode } from "./process-cpu.js";
import { type BenchResults, benchResultsSchema } from "./results.js";
import { type ChartGroup, renderChart } from "./svg-chart.js";
import { concurrencyTable, costTable, makespanTable, overheadTable, renderMarkdown } from "./table.js";

/** The chart's groups: per workload, makespan / critical path of eager, levels, LangGraph and sequential. */
export function chartGroups(results: Pick<BenchResults, "workloads" | "runs">): ChartGroup[] {
  return results.workloads.map((w) => {
    const ratio = (pick: (r: BenchResults["runs"][number]) => boolean) => {
      const r = results.runs.find((x) => x.scenario === "makespan" && x.workload === w.name && pick(x));
      return r && r.outcome === "completed" ? r.ratio : null;
    };
    return {
      label: w.name,
      barrier: w.barrierOverCriticalPath,
      values: {
        eager: ratio((r) => r.executor === "agent-dag" && r.mode === "eager"),
        levels: ratio((r) => r.mode === "levels"),
        langgraph: ratio((r) => r.executor === "langgraph"),
        sequential: ratio((r) => r.mode === "sequential"),
      },
    };
  });
}

/** The results as Markdown: the four tables, the load test and the claims. */
export function resultsMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.date} with \`${results.command}\` on ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, ${m.os}, Node ${m.node} (load average ${m.loadAverageStart.join(" / ")} at start${m.cpu ? `; over the whole benchmark the CPUs were busy ${m.cpu.busyPct}% of the time and the hypervisor took ${m.cpu.stealPct}% for other guests (steal)` : ""}).`,
    "",
    renderMarkdown(makespanTable(results)),
    "",
    renderMarkdown(overheadTable(results)),
    "",
    renderMarkdown(concurrencyTable(results)),
    "",
    renderMarkdown(costTable(results)),
    "",
  ];
  const load = results.load;
  if (load) {
    lines.push(
      `**Load:** ${load.runs} review-all runs started at once (${load.latencyMsPerNode} ms per call): ${load.completed} completed, ${load.failed} failed, ${load.unfinished} unfinished; ${load.nodesDone}/${load.nodesExpected} nodes done in ${(load.wallMs / 1000).toFixed(1)} s = ${load.nodeCompletionsPerSecond.toFixed(1)} node completions/s; per-hop overhead p50 ${Math.round(load.hop.dependent.p50 ?? 0)} ms, p95 ${Math.round(load.hop.dependent.p95 ?? 0)} ms${load.cpuMsPerNode ? `; ${describeCpuPerNode(load.cpuMsPerNode)}` : ""}.`,
      "",
    );
  }
  lines.push("**Done means**", "");
  for (const c of results.claims)
    lines.push(`- ${c.holds === null ? "not measured" : c.holds ? "holds" : "does not hold"}: ${c.claim}. ${c.detail}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Validates and writes the results.
 * @param stamp file stem, e.g. `2026-11-20-224501` (quick runs add `-quick`).
 * @param latest also write `latest.{json,svg,md}`.
 * @returns the paths written.
 * @throws ZodError when the results do not match the schema (a bug: nothing is written then), or the write error.
 */
export function writeReport(results: BenchResults, outDir: string, stamp: string, latest: boolean): string[] {
  const valid = benchResultsSchema.parse(results);
  mkdirSync(outDir, { recursive: true });
  const m = valid.machine;
  const svg = renderChart(chartGroups(valid), {
    title: "agent-dag: makespan / critical path per workload",
    subtitle: `${valid.date.slice(0, 10)} · ${m.cpus} CPUs · ${m.os} · Node ${m.node} · local stack over loopback${valid.quick ? " · --quick" : ""}`,
  });
  const files: Record<string, string> = {
    json: `${JSON.stringify(valid, null, 2)}\n`,
    svg,
    md: resultsMarkdown(valid),
  };
  const written: string[] = [];
  for (const [ext, text] of Object.entries(files)) {
    for (const stem of latest ? [stamp, "latest"] : [stamp]) {
      const path = join(outDir, `${stem}.${ext}`);
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return written;
}

/**
 * Re-renders an existing results file: validates it, re-checks its claims against its own figures (so a change
 * of wording or of the report's layout needs no new measurement), and rewrites `<stem>.json`, `.md` and `.svg`
 * beside it; for the project's own `bench/results/latest.json` also the generated tables of docs/performance.md
 * ({@link writeDocTables}). Measured figures are never changed.
 * @param file a `bench/results/<stem>.json`.
 * @returns the paths written.
 * @throws the read error, SyntaxError for bad JSON, ZodError when the file does not match the schema, or the
 *   error of {@link writeDocTables}.
 */
export function rerenderReport(file: string): string[] {
  const results = benchResultsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  results.claims = checkClaims(results);
  const written = writeReport(results, dirname(file), basename(file).replace(/\.json$/, ""), false);
  if (resolve(file) === LATEST_JSON) written.push(writeDocTables(results));
  return written;
}

/** The results file that docs/performance.md quotes: `latest.json` in the project's own results folder. */
export const LATEST_JSON = join(DEFAULT_OUT_DIR, "latest.json");

/** The page whose generated tables quote {@link LATEST_JSON}: the project's docs/performance.md. */
export const PERFORMANCE_DOC = join(PROJECT_ROOT, "docs", "performance.md");

/**
 * Rewrites the generated tables of a Markdown page (local/bench/doc-tables.ts) from `results`.
 * @param docPath default {@link PERFORMANCE_DOC}.
 * @returns the path written.
 * @throws the read or write error, or the Error of `replaceDocBlocks` naming a block whose markers are missing
 *   or doubled, or that is empty, out of order or overlapping (the page is left unchanged then).
 */
export function writeDocTables(results: BenchResults, docPath = PERFORMANCE_DOC): string {
  const text = replaceDocBlocks(readFileSync(docPath, "utf8"), docTables(results));
  writeFileSync(docPath, text);
  return docPath;
}
