/**
 * Renders a run's progress ({@link RunView}) as a TodoWrite-style todo list grouped by level: a header with the
 * workflow, run id, status, elapsed time and provider, one block per level, one line per node (with a `cache hit` /
 * `cache shared` marker when the result cache served it, plus a dimmed line with the routing reason and
 * prompt-cache tokens once the node has them), a totals footer with tokens and cost, and, once the run looked
 * anything up in the result cache, a cache line with its hits, shared calls, misses, hit rate and savings.
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
  /**
   * Header tag naming the provider when the view is not simulated, e.g. `"[fake Anthropic endpoint]"`. Default:
   * the providers of the nodes' routing decisions (see {@link providerTag}).
   */
  providerLabel?: string | undefined;
}

/** One icon per node status: pending ○, queued ◔, running ◐, retrying ↻, waiting ⏸, done ✔, failed ✖, skipped ⊘,
 * cancelled ⊗. */
export const STATUS_ICONS: Readonly<Record<NodeStatus, string>> = {
  pending: "○",
  queued: "◔",
  running: "◐",
  retrying: "↻",
  waiting: "⏸",
  done: "✔",
  failed: "✖",
  skipped: "⊘",
  cancelled: "⊗",
};

/** The tag shown in the header when the view says `simulated: true`. */
export const SIMULATED_TAG = "[SIMULATED provider]";

/**
 * The header's provider tag: {@link SIMULATED_TAG} when the view says `simulated: true` (that warning always wins);
 * else `label` when given; else the distinct providers of the nodes' routing decisions, e.g. `"[provider: anthropic]"`
 * or `"[providers: anthropic, openai]"`; else `""` (no node routed yet).
 * @param label what the caller knows about the endpoint, e.g. `"[fake Anthropic endpoint]"`.
 */
export function providerTag(view: RunView, label?: string): string {
  if (view.simulated) return SIMULATED_TAG;
  if (label) return label;
  const names = [
    ...new Set(view.levels.flatMap((l) => l.nodes.flatMap((n) => (n.route?.provider ? [n.route.provider] : [])))),
  ];
  if (names.length === 0) return "";
  return `[${names.length === 1 ? "provider" : "providers"}: ${names.join(", ")}]`;
}

type Style = "green" | "red" | "yellow" | "cyan" | "blue" | "magenta" | "gray" | "bold" | "dim" | "warn";

const SGR: Record<Style, string> = {
  green: "32",
  red: "31",
  yellow: "33",
  cyan: "36",
  blue: "34",
  magenta: "35",
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
  waiting: "magenta",
  done: "green",
  failed: "red",
  skipped: "gray",
  completed: "green",
  cancelled: "yellow",
};

/** A run of text with one optional style. */
type Segment = readonly [text: string, style?: Style];

/**
 * Renders the view as lines joined by "\n" (no trailing newline), e.g. (no colour)
 * `  ✔ codebase-analyzer  done     1.01 s   812 tok   $0.0040  balanced  "Simulated analysis of …"` under its
 * `Level 1: 1 agent` heading. Node lines show the duration (measured when done, `now - startedAt` while running),
 * total tokens (input + output, as billed: prompt-cache reads and writes are not included), the cost in USD, the
 * routing tier (or the model, when the route has no tier), the result-cache marker ({@link cacheMarker}; its column
 * only appears once a node has one), and the output excerpt, the error, or the attempt number. A routed node gets a
 * second, dimmed line with the routing reason (without the worker's `; cache hit` suffix, which the marker shows)
 * and its non-zero prompt-cache reads and writes (tokens). The footer is followed by {@link formatCacheLine} once
 * the run looked anything up. A level whose `title` is empty gets one computed from its size. Never throws; missing
 * or invalid timestamps show as no time.
 * @param view the body of `GET /v1/runs/:id`.
 */
export function renderRun(view: RunView, options: RenderOptions): string {
  const lines: Segment[][] = [header(view, options.now, options.providerLabel)];
  const nodes = view.levels.flatMap((l) => l.nodes);
  const idWidth = Math.max(0, ...nodes.map((n) => codePoints(n.id)));
  const tierWidth = Math.max(0, ...nodes.map((n) => codePoints(tierOrModel(n))));
  const cacheWidth = Math.max(0, ...nodes.map((n) => codePoints(cacheMarker(n))));
  for (const level of view.levels) {
    lines.push([[levelTitle(level), "bold"]]);
    for (const node of level.nodes) {
      lines.push(nodeLine(node, { id: idWidth, tier: tierWidth, cache: cacheWidth }, options.now));
      const why = routeLine(node);
      if (why) lines.push(why);
    }
  }
  if (view.compensation) {
    // saga compensation: the run's state, then one line per compensation with its error or output excerpt
    const c = view.compensation;
    lines.push([[`Compensation: ${c.status} (the run ${c.runStatus}${c.reason ? `: ${c.reason}` : ""})`, "bold"]]);
    for (const n of c.nodes) {
      const tail = n.error ?? n.excerpt ?? "";
      lines.push([[`  ${n.id}  ${n.status}  ×${n.attempts}${tail ? `  ${tail.replace(/\s+/g, " ")}` : ""}`]]);
    }
  }
  lines.push(footer(view));
  const cache = formatCacheLine(view.cache);
  if (cache) lines.push([[cache]]);
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
 * Formats an amount of US dollars: `"$0.0123"` (4 decimals by default), `"$0"` for exactly zero, and
 * `"<$0.0001"` for a positive amount that would round to zero.
 * @param usd a non-negative amount, USD.
 * @param digits decimals shown (6 shows whole micro-dollars, the unit costs are kept in).
 */
export function formatUsd(usd: number, digits = 4): string {
  if (usd === 0) return "$0";
  const smallest = 10 ** -digits;
  if (usd > 0 && usd < smallest / 2) return `<$${smallest.toFixed(digits)}`;
  return `$${usd.toFixed(digits)}`;
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

function header(view: RunView, now: number, label: string | undefined): Segment[] {
  const elapsed = runElapsedMs(view, now);
  const segments: Segment[] = [
    [view.workflow, "bold"],
    ["  "],
    [view.runId, "dim"],
    ["  "],
    [view.status, STATUS_STYLE[view.status] ?? "bold"],
  ];
  if (elapsed !== null) segments.push(["  "], [formatDuration(elapsed)]);
  const tag = providerTag(view, label);
  if (tag) segments.push(["  "], [tag, view.simulated ? "warn" : "bold"]);
  return segments;
}

function levelTitle(level: LevelView): string {
  if (level.title) return level.title;
  const n = level.nodes.length;
  return `Level ${level.level}: ${n} ${n === 1 ? "agent" : "agents in parallel"}`;
}

/** The routing tier, else the model (an explicit model outside the tier map), else "". */
function tierOrModel(node: NodeView): string {
  return node.route?.tier ?? node.model ?? "";
}

/**
 * A node's result-cache marker: `"cache hit"` (served from an entry, no provider call) or `"cache shared"` (waited
 * for an identical call in flight and took its result); `""` for a miss (the provider was called, the normal case),
 * for a node without the cache, and for a node that has not finished.
 */
export function cacheMarker(node: Pick<NodeView, "cache">): string {
  if (node.cache === "hit") return "cache hit";
  if (node.cache === "shared") return "cache shared";
  return "";
}

/**
 * Text without the `; cache hit` / `; cache shared` suffix the worker appends to the routing reason of a node the
 * result cache served (shared/engine/cached-call.ts), for lines that show {@link cacheMarker} instead.
 * @param text a routing reason or summary, e.g. `"fast: short output; cache hit"`.
 * @param cache the node's cache outcome; only its own suffix is removed.
 */
export function withoutCacheSuffix(text: string, cache: NodeView["cache"]): string {
  if (cache !== "hit" && cache !== "shared") return text;
  const suffix = `; cache ${cache}`;
  return text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}

/**
 * A hit rate (0..1) as a percentage for people: `"100%"`, `"85.7%"`, `"0%"` (one decimal, trailing zero dropped).
 * @param rate hits (and shared calls) over lookups, 0..1.
 */
export function formatPercent(rate: number): string {
  return `${Number((rate * 100).toFixed(1))}%`;
}

/**
 * Result-cache counters for people, e.g. `"7 hits · 0 shared · 0 misses (100%) · saved 72.4k tok / $0.3666"`:
 * hits, shared calls and misses, the hit rate ((hits + shared) / lookups; `n/a` before any lookup), and the tokens
 * and USD the hits and shared calls saved (what the producing calls cost).
 * @param cache `RunView.cache`, the counters of `GET /v1/cache/stats`, or a difference of two such reads.
 */
export function formatCacheCounts(
  cache: Pick<RunView["cache"], "hits" | "shared" | "misses" | "savedTokens" | "savedUsd">,
): string {
  const lookups = cache.hits + cache.shared + cache.misses;
  const rate = lookups === 0 ? "n/a" : formatPercent((cache.hits + cache.shared) / lookups);
  const counts = [
    `${cache.hits} ${cache.hits === 1 ? "hit" : "hits"}`,
    `${cache.shared} shared`,
    `${cache.misses} ${cache.misses === 1 ? "miss" : "misses"}`,
  ];
  return `${counts.join(" · ")} (${rate}) · saved ${formatTokens(cache.savedTokens)} tok / ${formatUsd(cache.savedUsd)}`;
}

/**
 * The run's result-cache line, e.g. `"cache 7 hits · 0 shared · 0 misses (100%) · saved 72.4k tok / $0.3666"`
 * (see {@link formatCacheCounts}); null when nothing was looked up (cache off, or no node finished yet).
 * @param cache `RunView.cache`.
 */
export function formatCacheLine(
  cache: Pick<RunView["cache"], "hits" | "shared" | "misses" | "savedTokens" | "savedUsd">,
): string | null {
  if (cache.hits + cache.shared + cache.misses === 0) return null;
  return `cache ${formatCacheCounts(cache)}`;
}

function nodeLine(node: NodeView, widths: { id: number; tier: number; cache: number }, now: number): Segment[] {
  const style = STATUS_STYLE[node.status] ?? "bold";
  const icon = STATUS_ICONS[node.status] ?? "?";
  const duration = nodeDurationMs(node, now);
  const tokens = node.usage ? node.usage.inputTokens + node.usage.outputTokens : null;
  const segments: Segment[] = [
    ["  "],
    [icon, style],
    [" "],
    [padEnd(node.id, widths.id)],
    ["  "],
    [padEnd(node.status, 8), style],
    ["  "],
    [(duration === null ? "" : formatDuration(duration)).padStart(8)],
    ["  "],
    [(tokens === null ? "" : `${formatTokens(tokens)} tok`).padStart(10), "dim"],
    ["  "],
    [(node.costUsd === null ? "" : formatUsd(node.costUsd)).padStart(8)],
    ["  "],
  ];
  if (widths.tier > 0) segments.push([padEnd(tierOrModel(node), widths.tier), "cyan"], ["  "]);
  if (widths.cache > 0) segments.push([padEnd(cacheMarker(node), widths.cache), "green"], ["  "]);
  const detail = nodeDetail(node);
  if (detail) segments.push(detail);
  return segments;
}

/** The dimmed second line of a node: routing reason and non-zero prompt-cache tokens; undefined when none. */
function routeLine(node: NodeView): Segment[] | undefined {
  const reason = node.route?.reason ? oneLine(withoutCacheSuffix(node.route.reason, node.cache)) : "";
  const parts = [reason, ...cacheParts(node.usage)].filter((p) => p !== "");
  if (parts.length === 0) return undefined;
  return [["    "], [`↳ ${parts.join(" · ")}`, "dim"]];
}

/**
 * Prompt-cache token counts for people, leaving out zeros: `["cache read 1.2k", "cache write 300"]`, or `[]`.
 * @param usage token counts (Anthropic prompt caching: reads and writes are billed apart from input tokens), or null.
 */
export function cacheParts(usage: { cacheReadTokens: number; cacheWriteTokens: number } | null): string[] {
  if (!usage) return [];
  const parts: string[] = [];
  if (usage.cacheReadTokens > 0) parts.push(`cache read ${formatTokens(usage.cacheReadTokens)}`);
  if (usage.cacheWriteTokens > 0) parts.push(`cache write ${formatTokens(usage.cacheWriteTokens)}`);
  return parts;
}

function nodeDetail(node: NodeView): Segment | undefined {
  const retry = node.attempts > 1 ? `attempt ${node.attempts}` : "";
  if (node.status === "failed" || node.status === "retrying") {
    const text = [retry, node.error ? oneLine(node.error) : ""].filter((s) => s !== "").join(": ");
    return text ? [text, node.status === "failed" ? "red" : "yellow"] : undefined;
  }
  if (node.status === "done" && node.wait?.asked === false) return ["not asked: its wait.when is false", "dim"];
  if (node.status === "done" && node.excerpt) return [`"${oneLine(node.excerpt)}"`, "dim"];
  if (node.status === "waiting" && node.wait?.question) {
    const until = node.wait.deadline ? ` (until ${node.wait.deadline})` : "";
    return [`asks: "${oneLine(node.wait.question)}"${until}`, "magenta"];
  }
  return retry ? [retry, "yellow"] : undefined;
}

function nodeDurationMs(node: NodeView, now: number): number | null {
  const live = node.status === "running" || node.status === "retrying" || node.status === "waiting";
  const start = parseTime(node.startedAt);
  if (live && start !== null) return Math.max(0, now - start); // keeps moving between polls
  return typeof node.durationMs === "number" ? node.durationMs : null;
}

function footer(view: RunView): Segment[] {
  const t = view.totals;
  const counts = (
    ["done", "running", "retrying", "waiting", "queued", "pending", "failed", "skipped", "cancelled"] as const
  )
    .filter((s) => (t[s] ?? 0) > 0)
    .map((s) => `${t[s]} ${s}`);
  const retried = view.levels.reduce(
    (sum, l) => sum + l.nodes.reduce((n, node) => n + Math.max(0, node.attempts - 1), 0),
    0,
  );
  const retries = retried > 0 ? [`${retried} ${retried === 1 ? "retry" : "retries"}`] : [];
  const parts = [`${t.nodes} ${t.nodes === 1 ? "node" : "nodes"}`, ...counts, ...retries];
  const tokens = [
    `tokens ${formatTokens(t.inputTokens)} in / ${formatTokens(t.outputTokens)} out`,
    ...cacheParts(t),
  ].join(" · ");
  const segments: Segment[] = [
    [parts.join(" · "), "dim"],
    ["   "],
    [tokens, "dim"],
    ["   "],
    [formatUsd(t.costUsd), "bold"],
  ];
  const budget = view.budget ? budgetText(view.budget) : "";
  if (budget) segments.push([` of ${budget}`, "dim"]);
  return segments;
}

/** `"budget $0.0500 / 20.0k tok, on budget: downgrade"`; "" when the budget sets no limit. */
function budgetText(b: NonNullable<RunView["budget"]>): string {
  const limits = [
    b.usd === undefined ? "" : formatUsd(b.usd),
    b.tokens === undefined ? "" : `${formatTokens(b.tokens)} tok`,
  ].filter((x) => x !== "");
  return limits.length === 0 ? "" : `budget ${limits.join(" / ")}, on budget: ${b.onBudget}`;
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
