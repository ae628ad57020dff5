/**
 * The benchmark's tables, as rows of cells, and two renderings: aligned text for the terminal and Markdown for
 * the results' `.md` and docs/performance.md. Pure.
 */

import { countedSamples } from "./repeats.js";
import type { BenchResults, RunResult } from "./results.js";

/** A table: a header row and body rows of equal length (cells are already formatted strings). */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

const f2 = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(2));
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "–" : String(Math.round(x)));
/** A scale in ms per recorded second: three significant digits, whole numbers from 100 up (1667, not 1.67e+3). */
const scale = (x: number) => (x >= 100 ? String(Math.round(x)) : x.toPrecision(3));

/** Finds the run of a workload for one executor/mode/concurrency, or undefined. */
function find(runs: readonly RunResult[], workload: string, pick: (r: RunResult) => boolean): RunResult | undefined {
  return runs.find((r) => r.workload === workload && pick(r));
}

/** A ratio cell: the ratio, or why there is none ("not run", "failed"). */
function ratioCell(r: RunResult | undefined): string {
  if (!r) return "–";
  if (r.outcome === "not-run") return "not run";
  if (r.outcome !== "completed") return r.outcome;
  return f2(r.ratio);
}

/**
 * The main table: per workload its size, scale and critical path, then makespan / critical path for eager (the
 * median measurement, and the range of the counted ones when repeated), levels, LangGraph and sequential, each beside
 * its simulated figure where it has one.
 */
export function makespanTable(results: Pick<BenchResults, "workloads" | "runs">): Table {
  const rows = results.workloads.map((w) => {
    const runs = results.runs.filter((r) => r.scenario === "makespan");
    const eager = find(runs, w.name, (r) => r.executor === "agent-dag" && r.mode === "eager");
    const levels = find(runs, w.name, (r) => r.mode === "levels");
    const peer = find(runs, w.name, (r) => r.executor === "langgraph");
    const seq = find(runs, w.name, (r) => r.mode === "sequential");
    return [
      w.name,
      String(w.nodes),
      String(w.levels),
      scale(w.scaleMsPerSecond),
      ms(w.criticalPathMs),
      ratioCell(eager),
      eager ? sampleRange(eager) : "–",
      `${ratioCell(levels)} (${f2(w.barrierOverCriticalPath)})`,
      `${ratioCell(peer)} (${f2(w.barrierOverCriticalPath)})`,
      seq?.outcome === "not-run"
        ? (seq.reason ?? "not run")
        : `${ratioCell(seq)} (${f2(w.totalWorkMs / w.criticalPathMs)})`,
    ];
  });
  return {
    title: "Makespan / critical path, concurrency unlimited (simulated figure in parentheses)",
    header: [
      "workload",
      "nodes",
      "levels",
      "scale ms/s",
      "CP ms",
      "eager",
      "eager, counted samples",
      "levels",
      "LangGraph",
      "sequential",
    ],
    rows,
  };
}

const OVERHEAD_HEADER = [
  "workload",
  "CP nodes",
  "hop p50",
  "hop p95",
  "hop max",
  "hop mean",
  "in-node p50",
  "in-node p95",
  "(makespan−CP)/CP nodes",
  "measured CP",
  "makespan/measured CP",
  "CPU steal %",
];

/**
 * Where eager's time beyond the critical path goes, per workload (concurrency unlimited): the per-hop overhead of
 * dependency hops (node start − last dependency's finish: p50, p95, max, mean), the engine's time inside a node
 * (measured duration − simulated latency: p50, p95), the demo's figure (makespan − CP) / nodes on the CP, and the
 * critical path of measured node durations (run view) with the makespan's ratio to it.
 */
export function overheadTable(results: Pick<BenchResults, "workloads" | "runs">): Table {
  const rows = results.workloads.map((w) => {
    const r = find(
      results.runs,
      w.name,
      (x) => x.scenario === "makespan" && x.executor === "agent-dag" && x.mode === "eager",
    );
    if (r?.outcome !== "completed")
      return [
        w.name,
        String(w.criticalPathHops),
        r?.reason ?? r?.outcome ?? "–",
        ...Array<string>(OVERHEAD_HEADER.length - 3).fill(""),
      ];
    const h = r.hop?.dependent;
    return [
      w.name,
      String(w.criticalPathHops),
      ms(h?.p50),
      ms(h?.p95),
      ms(h?.max),
      ms(h?.mean),
      ms(r.inNodeOverhead?.p50),
      ms(r.inNodeOverhead?.p95),
      ms(r.cpHopMs),
      ms(r.measuredCriticalPathMs),
      f2(r.ratioMeasuredCp),
      r.cpu ? r.cpu.stealPct.toFixed(1) : "–",
    ];
  });
  return {
    title: "Eager overhead per node, ms (concurrency unlimited)",
    header: OVERHEAD_HEADER,
    rows,
  };
}

/** The spread of a repeated run's counted samples, as makespan / reference schedule. */
export interface SampleSpread {
  min: number;
  max: number;
  /** Samples kept in the results but not counted (taken under CPU steal: repeats.ts). */
  notCounted: number;
}

/**
 * The lowest and highest counted makespan of a repeated run over its reference schedule, and how many samples were
 * not counted; null for a single measurement (or when no counted sample has a makespan).
 */
export function sampleSpread(r: RunResult): SampleSpread | null {
  const samples = r.samples ?? [];
  const kept = countedSamples(r);
  const counted = kept.flatMap((x) =>
    x.makespanMs === null || !(r.expectedMs > 0) ? [] : [x.makespanMs / r.expectedMs],
  );
  if (samples.length < 2 || counted.length === 0) return null;
  return { min: Math.min(...counted), max: Math.max(...counted), notCounted: samples.length - kept.length };
}

/** `min–max` of {@link sampleSpread} (and `(+n not counted: steal)`), or `–` for a single measurement. */
function sampleRange(r: RunResult): string {
  const s = sampleSpread(r);
  if (!s) return "–";
  return `${f2(s.min)}–${f2(s.max)}${s.notCounted > 0 ? ` (+${s.notCounted} not counted: steal)` : ""}`;
}

/** Eager with a concurrency limit against the greedy list schedule of the same DAG and limit. */
export function concurrencyTable(results: Pick<BenchResults, "runs">): Table {
  const rows = results.runs
    .filter((r) => r.scenario === "concurrency")
    .map((r) => [
      r.workload,
      String(r.concurrency),
      ms(r.expectedMs),
      r.outcome === "not-run" ? (r.reason ?? "not run") : ms(r.makespanMs),
      r.outcome === "completed" ? f2(r.overExpected) : r.outcome === "not-run" ? "–" : r.outcome,
      sampleRange(r),
    ]);
  return {
    title: "Concurrency limit: eager makespan against the greedy list schedule (longest remaining path first)",
    header: ["workload", "slots", "list schedule ms", "eager ms", "eager / list", "counted samples / list"],
    rows,
  };
}

/**
 * Cost per node of each eager unlimited run and of the message-size runs: QStash messages and deliveries, Redis
 * commands, requests and bytes, publish bytes, and CPU ms per node of workerd (all processes, and its busiest
 * thread), the stack's Node process and Redis (`–` where not measured: message-size runs, older files).
 */
export function costTable(results: Pick<BenchResults, "runs" | "messageSize">): Table {
  const cpu = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(1));
  const rows = [
    ...results.runs
      .filter((r) => r.executor === "agent-dag" && r.scenario === "makespan" && r.mode === "eager" && r.perNode)
      .map((r) => ({ label: r.workload, p: r.perNode!, c: r.cpuMsPerNode })),
    ...results.messageSize
      .filter((s) => s.perNode)
      .map((s) => ({ label: `${s.workload}, ${s.outputBytes} B outputs`, p: s.perNode!, c: undefined })),
  ].map(({ label, p, c }) => [
    label,
    f2(p.qstashPublished),
    f2(p.qstashMessages),
    f2(p.qstashDeliveries),
    f2(p.redisCommands),
    f2(p.redisRequests),
    ms(p.redisRequestBytes),
    ms(p.publishBytesPerMessage),
    cpu(c?.workerd),
    cpu(c?.workerdThread),
    cpu(c?.node),
    cpu(c?.redis),
  ]);
  return {
    title: "Cost per node (counted by the local stack; CPU ms read from /proc)",
    header: [
      "run",
      "QStash published",
      "QStash msgs (+callbacks)",
      "deliveries",
      "Redis cmds",
      "Redis HTTP reqs",
      "Redis req B",
      "publish B/msg",
      "CPU ms workerd",
      "CPU ms workerd busiest thread",
      "CPU ms stack",
      "CPU ms Redis",
    ],
    rows,
  };
}

/** Aligned plain-text rendering: title, header, a rule, rows; columns padded to their widest cell. */
export function renderText(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [t.title, line(t.header), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}

/** Markdown (GFM) rendering: a bold title line and a pipe table; `|` inside cells is escaped. */
export function renderMarkdown(t: Table): string {
  const cell = (c: string) => c.replace(/\|/g, "\\|");
  const row = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [
    `**${t.title}**`,
    "",
    row(t.header),
    `|${t.header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...t.rows.map(row),
  ].join("\n");
}
