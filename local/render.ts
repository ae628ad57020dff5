/**
 * Renders a run's progress ({@link RunView}) as a TodoWrite-style todo list grouped by level: a header with the
 * workflow, run id, status and elapsed time, one block per level, one line per node, and a totals footer.
 *
 * Pure: the same view, options and `now` always give the same text. Widths count Unicode code points, which matches
 * terminals for the ASCII ids and the single-width icons used here (wide CJK or emoji in excerpts may overrun).
 */
import { isFinal, type LevelView, type NodeStatus, type NodeView, type RunView } from "./run-view";

/** Options of {@link renderRun}. */
export interface RenderOptions {
  /** Emit ANSI SGR colour codes. Without colour the text holds no escape sequence at all. */
  color: boolean;
  /** Maximum visible characters per line (e.g. `process.stdout.columns`); longer lines end in "…". 0 = no limit. */
  width: number;
  /** Current time, ms since the epoch: elapsed times of running nodes and of an unfinished run are `now - startedAt`. */
  now: number;
}

/** One icon per node status: pending ○, queued ◔, running ◐, retrying ↻, done ✔, failed ✖, skipped ⊘. */
export const STATUS_ICONS: Readonly<Record<NodeStatus, string>> = {
  pending: "○",
  queued: "◔",
  running: "◐",
  retrying: "↻",
  done: "✔",
  failed: "✖",
  skipped: "⊘",
};

/** The tag shown in the header when the view says `simulated: true`. */
export const SIMULATED_TAG = "[SIMULATED provider]";

type Style = "green" | "red" | "yellow" | "cyan" | "blue" | "gray" | "bold" | "dim" | "warn";

const SGR: Record<Style, string> = {
  green: "32",
  red: "31",
  yellow: "33",
  cyan: "36",
  blue: "34",
  gray: "90",
  bold: "1",
  dim: "2",
  warn: "1;30;43", // bold black on yellow: impossible to miss
};

const STATUS_STYLE: Record<string, Style> = {
  pending: "gray",
  queued: "blue",
  running: "cyan",
  retrying: "yellow",
  done: "green",
  failed: "red",
  skipped: "gray",
  completed: "green",
  cancelled: "yellow",
};

/** A run of text with one optional style. */
type Segment = readonly [text: string, style?: Style];

/**
 * Renders the view as lines joined by "\n" (no trailing newline).
 *
 * Example (no colour):
 * ```
 * review-all  run_abc  running  3.20 s  [SIMULATED provider]
 * Level 1: 1 agent
 *   ✔ codebase-analyzer  done     1.01 s   812 tok  "Simulated analysis of …"
 * ```
 * Node lines show the duration (measured when done, `now - startedAt` while running), total tokens (input +
 * output), and the output excerpt, the error, or the attempt number. A level whose `title` is empty gets one
 * computed from its size. Never throws; missing or invalid timestamps show as no time.
 * @param view the body of `GET /v1/runs/:id`.
 */
export function renderRun(view: RunView, options: RenderOptions): string {
  const lines: Segment[][] = [header(view, options.now)];
  const idWidth = Math.max(0, ...view.levels.flatMap((l) => l.nodes.map((n) => codePoints(n.id))));
  for (const level of view.levels) {
    lines.push([[levelTitle(level), "bold"]]);
    for (const node of level.nodes) lines.push(nodeLine(node, idWidth, options.now));
  }
  lines.push(footer(view));
  return lines.map((segments) => paint(fit(segments, options.width), options.color).trimEnd()).join("\n");
}

/**
 * Formats a duration for people: `"0.40 s"`, `"12.3 s"`, `"2 m 05 s"`, `"1 h 02 m"`.
 * @param ms a duration in milliseconds (negative values count as 0).
 */
export function formatDuration(ms: number): string {
  const t = Math.max(0, ms);
  if (t < 10_000) return `${(t / 1000).toFixed(2)} s`;
  if (t < 60_000) return `${(t / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(t / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} m ${String(totalSeconds % 60).padStart(2, "0")} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, "0")} m`;
}

/**
 * Formats a token count compactly: `"812"`, `"12.3k"`, `"4.50M"`.
 * @param tokens a non-negative count of tokens.
 */
export function formatTokens(tokens: number): string {
  if (tokens < 1000) return String(tokens);
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k`;
  return `${(tokens / 1_000_000).toFixed(2)}M`;
}

/**
 * The elapsed time of a run, ms: the server's `makespanMs` once the run is final; while it runs, `now - startedAt`
 * (so the clock keeps moving between polls), falling back to `makespanMs`; null when neither is known.
 * @param now current time, ms since the epoch.
 */
export function runElapsedMs(view: RunView, now: number): number | null {
  const known = typeof view.makespanMs === "number" && Number.isFinite(view.makespanMs) ? view.makespanMs : null;
  if (isFinal(view.status) && known !== null) return known;
  const start = parseTime(view.startedAt) ?? parseTime(view.createdAt);
  if (start !== null) return Math.max(0, (parseTime(view.finishedAt) ?? now) - start);
  return known;
}

function header(view: RunView, now: number): Segment[] {
  const elapsed = runElapsedMs(view, now);
  const segments: Segment[] = [
    [view.workflow, "bold"],
    ["  "],
    [view.runId, "dim"],
    ["  "],
    [view.status, STATUS_STYLE[view.status] ?? "bold"],
  ];
  if (elapsed !== null) segments.push(["  "], [formatDuration(elapsed)]);
  if (view.simulated) segments.push(["  "], [SIMULATED_TAG, "warn"]);
  return segments;
}

function levelTitle(level: LevelView): string {
  if (level.title) return level.title;
  const n = level.nodes.length;
  return `Level ${level.level}: ${n} ${n === 1 ? "agent" : "agents in parallel"}`;
}

function nodeLine(node: NodeView, idWidth: number, now: number): Segment[] {
  const style = STATUS_STYLE[node.status] ?? "bold";
  const icon = STATUS_ICONS[node.status] ?? "?";
  const duration = nodeDurationMs(node, now);
  const tokens = node.usage ? node.usage.inputTokens + node.usage.outputTokens : null;
  const segments: Segment[] = [
    ["  "],
    [icon, style],
    [" "],
    [padEnd(node.id, idWidth)],
    ["  "],
    [padEnd(node.status, 8), style],
    ["  "],
    [(duration === null ? "" : formatDuration(duration)).padStart(8)],
    ["  "],
    [(tokens === null ? "" : `${formatTokens(tokens)} tok`).padStart(10), "dim"],
    ["  "],
  ];
  const detail = nodeDetail(node);
  if (detail) segments.push(detail);
  return segments;
}

function nodeDetail(node: NodeView): Segment | undefined {
  const retry = node.attempts > 1 ? `attempt ${node.attempts}` : "";
  if (node.status === "failed" || node.status === "retrying") {
    const text = [retry, node.error ? oneLine(node.error) : ""].filter((s) => s !== "").join(": ");
    return text ? [text, node.status === "failed" ? "red" : "yellow"] : undefined;
  }
  if (node.status === "done" && node.excerpt) return [`"${oneLine(node.excerpt)}"`, "dim"];
  return retry ? [retry, "yellow"] : undefined;
}

function nodeDurationMs(node: NodeView, now: number): number | null {
  const live = node.status === "running" || node.status === "retrying";
  const start = parseTime(node.startedAt);
  if (live && start !== null) return Math.max(0, now - start); // keeps moving between polls
  return typeof node.durationMs === "number" ? node.durationMs : null;
}

function footer(view: RunView): Segment[] {
  const t = view.totals;
  const counts = (["done", "running", "retrying", "queued", "pending", "failed", "skipped"] as const)
    .filter((s) => (t[s] ?? 0) > 0)
    .map((s) => `${t[s]} ${s}`);
  const retried = view.levels.reduce((sum, l) => sum + l.nodes.reduce((n, node) => n + Math.max(0, node.attempts - 1), 0), 0);
  const retries = retried > 0 ? [`${retried} ${retried === 1 ? "retry" : "retries"}`] : [];
  const parts = [`${t.nodes} ${t.nodes === 1 ? "node" : "nodes"}`, ...counts, ...retries];
  return [
    [parts.join(" · "), "dim"],
    ["   "],
    [`tokens ${formatTokens(t.inputTokens)} in / ${formatTokens(t.outputTokens)} out`, "dim"],
  ];
}

function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function codePoints(s: string): number {
  return [...s].length;
}

function padEnd(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - codePoints(s)));
}

/** Cuts segments to `width` visible characters, ending in "…" when anything was cut. */
function fit(segments: Segment[], width: number): Segment[] {
  if (width <= 0) return segments;
  const total = segments.reduce((sum, [text]) => sum + codePoints(text), 0);
  if (total <= width) return segments;
  const out: Segment[] = [];
  let room = width - 1; // keep one column for the ellipsis
  for (const [text, style] of segments) {
    if (room <= 0) break;
    const chars = [...text];
    out.push([chars.slice(0, room).join(""), style]);
    room -= Math.min(room, chars.length);
  }
  const last = out[out.length - 1];
  out.push(["…", last?.[1]]);
  return out;
}

function paint(segments: Segment[], color: boolean): string {
  return segments
    .map(([text, style]) => (color && style && text.trim() !== "" ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text))
    .join("");
}
