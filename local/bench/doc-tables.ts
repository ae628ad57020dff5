/**
 * The generated tables of docs/performance.md, rendered from a results file so they cannot drift from `latest.json`.
 *
 * docs/performance.md marks each generated table with a pair of HTML comments, `<!-- bench:<name> -->` and
 * `<!-- /bench:<name> -->`; everything between them is replaced. The prose around the tables stays hand-written.
 * A plain full `npm run bench` and `npm run bench -- --render bench/results/latest.json` rewrite the blocks;
 * test/unit/bench/doc-tables.test.ts fails when docs/performance.md and `bench/results/latest.json` disagree.
 */
import { MAX_NODES_FOR_RATIO } from "./claims.js";
import type { BenchResults, RunResult } from "./results.js";
import { makespanTable, overheadTable, renderMarkdown, sampleSpread, type Table } from "./table.js";

/** The generated blocks of docs/performance.md, by marker name. */
export const DOC_BLOCKS = ["makespan", "overhead", "concurrency"] as const;

/** A generated block's marker name. */
export type DocBlock = (typeof DOC_BLOCKS)[number];

/** A Markdown pipe table without the bold title line that {@link renderMarkdown} puts first. */
function pipeTable(t: Table): string {
  return renderMarkdown(t).split("\n").slice(2).join("\n");
}

/** Picks columns (by index) out of a table, under a new header. */
function columns(t: Table, header: string[], pick: readonly number[]): Table {
  return { title: t.title, header, rows: t.rows.map((row) => pick.map((i) => row[i] ?? "")) };
}

/**
 * The makespan table: per workload its size, the number of nodes on its critical path, and makespan / CP of eager
 * (bold where the goal holds it to the bound: up to {@link MAX_NODES_FOR_RATIO} nodes), levels, LangGraph and
 * sequential, as in {@link makespanTable} without the scale columns.
 */
function makespanBlock(results: Pick<BenchResults, "workloads" | "runs">): Table {
  const t = makespanTable(results);
  const bound = new Map(results.workloads.map((w) => [w.name, w.nodes <= MAX_NODES_FOR_RATIO]));
  const hops = new Map(results.workloads.map((w) => [w.name, w.criticalPathHops]));
  // makespanTable: workload, nodes, levels, scale, CP ms, eager, counted samples, levels, LangGraph, sequential
  return {
    title: t.title,
    header: [
      "workload",
      "nodes",
      "levels",
      "CP nodes",
      "eager (median)",
      "eager, counted samples",
      "levels",
      "LangGraph",
      "sequential",
    ],
    rows: t.rows.map((r) => {
      const name = r[0]!;
      const eager = r[5]!;
      return [
        name,
        Number(r[1]).toLocaleString("en-US"),
        r[2]!,
        String(hops.get(name) ?? "–"),
        bound.get(name) && /^\d/.test(eager) ? `**${eager}**` : eager,
        r[6]!,
        r[7]!,
        r[8]!,
        r[9]!,
      ];
    }),
  };
}

/** The overhead table: {@link overheadTable} without hop mean, in-node p95 and the measured critical path. */
function overheadBlock(results: Pick<BenchResults, "workloads" | "runs">): Table {
  return columns(
    overheadTable(results),
    ["workload", "hop p50", "hop p95", "hop max", "in-node p50", "(makespan − CP) / CP nodes", "CPU steal %"],
    [0, 2, 3, 4, 6, 8, 11],
  );
}

/**
 * The concurrency table: one row per workload, one column per concurrency limit, each cell eager / list
 * schedule with the counted samples' range in parentheses, or the makespan in s for a run measured once.
 */
function concurrencyBlock(results: Pick<BenchResults, "runs">): Table {
  const runs = results.runs.filter((r) => r.scenario === "concurrency");
  const slots = [...new Set(runs.map((r) => r.concurrency))].sort((a, b) => a - b);
  const workloads = [...new Set(runs.map((r) => r.workload))];
  const cell = (r: RunResult | undefined): string => {
    if (!r) return "–";
    if (r.outcome === "not-run") return r.reason ?? "not run";
    if (r.outcome !== "completed" || r.overExpected === null || r.makespanMs === null) return r.outcome;
    const ratio = r.overExpected.toFixed(2);
    const spread = sampleSpread(r);
    if (!spread) return `${ratio} (${Math.round(r.makespanMs / 1000)} s, 1 sample)`;
    const range = `${spread.min.toFixed(2)}–${spread.max.toFixed(2)}`;
    return `${ratio} (${range}${spread.notCounted > 0 ? `; +${spread.notCounted} not counted: steal` : ""})`;
  };
  return {
    title: "Concurrency limit: eager makespan / list schedule, per limit",
    header: ["workload", ...slots.map((p) => `${p} slots: eager / list (samples)`)],
    rows: workloads.map((w) => [
      w,
      ...slots.map((p) => cell(runs.find((r) => r.workload === w && r.concurrency === p))),
    ]),
  };
}

/**
 * The generated blocks rendered from a results file, as Markdown pipe tables (no title line, no trailing newline).
 * Pure.
 */
export function docTables(results: Pick<BenchResults, "workloads" | "runs">): Record<DocBlock, string> {
  return {
    makespan: pipeTable(makespanBlock(results)),
    overhead: pipeTable(overheadBlock(results)),
    concurrency: pipeTable(concurrencyBlock(results)),
  };
}

/**
 * The text between a block's markers in `doc` (without the newlines next to the markers).
 * @throws Error as {@link replaceDocBlocks}.
 */
export function docBlock(doc: string, name: DocBlock): string {
  return doc.slice(...blockRange(doc, name));
}

/**
 * `doc` with each block's content replaced by `tables[name]`. Pure.
 * @throws Error naming the block when a marker is missing or doubled (markers must sit on lines of their own,
 *   LF line endings), or the block is empty, out of order or overlaps another (nothing is replaced then).
 */
export function replaceDocBlocks(doc: string, tables: Record<DocBlock, string>): string {
  const ranges = DOC_BLOCKS.map((name) => ({ name, range: blockRange(doc, name) }));
  const ordered = [...ranges].sort((a, b) => a.range[0] - b.range[0]);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.range[0] < ordered[i - 1]!.range[1])
      throw new Error(`generated tables: blocks "${ordered[i - 1]!.name}" and "${ordered[i]!.name}" overlap`);
  }
  let out = doc;
  // replace from the end so the earlier ranges stay valid
  for (const { name, range } of ranges.sort((a, b) => b.range[0] - a.range[0])) {
    out = `${out.slice(0, range[0])}${tables[name]}${out.slice(range[1])}`;
  }
  return out;
}

/** Start and end offsets of a block's content: after the opening marker's line, before the closing marker's line. */
function blockRange(doc: string, name: DocBlock): [number, number] {
  const open = `<!-- bench:${name} -->\n`;
  const close = `\n<!-- /bench:${name} -->`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (start < 0 || end < 0)
    throw new Error(
      `generated tables: block "${name}" needs the markers "<!-- bench:${name} -->" and "<!-- /bench:${name} -->", each on its own line`,
    );
  if (doc.indexOf(open, start + 1) >= 0 || doc.indexOf(close, end + 1) >= 0)
    throw new Error(`generated tables: block "${name}" is marked more than once`);
  if (end < start + open.length)
    throw new Error(`generated tables: block "${name}" must hold at least one line between its markers, in order`);
  return [start + open.length, end];
}
