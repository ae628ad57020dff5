/**
 * The demo's cost report: one row per node (provider, routing tier, model, reason, tokens, cost), the run's total,
 * a check that the total the worker reports equals the sum of the nodes' costs, and (against a local fake provider)
 * a check that the provider received exactly one request per node. Pure: everything comes from the final run view
 * and the fake's request counts.
 */
import { microUsdToUsd, usdToMicroUsd } from "../shared/budget/units";
import { formatUsd } from "./render";
import type { RunView } from "./run-view";

/** One node of the cost report. Tokens in tokens (0 when the node has no usage), cost in integer micro-USD. */
export interface CostRow {
  node: string;
  status: string;
  /** Provider of the routing decision, or null when the node was not routed (not run, or failed before). */
  provider: string | null;
  /** Routing tier (`fast|balanced|deep`), or null (not routed, or an explicit model outside the tier map). */
  tier: string | null;
  /** Model called, or null. */
  model: string | null;
  /** Why routing chose the tier, e.g. `synthesis over 5 inputs`, or null. */
  reason: string | null;
  /** Why the node failed (e.g. `run budget exceeded: …`), or null. */
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Cost of the node's call, integer micro-USD (1e-6 USD); null when the worker recorded none. */
  costMicroUsd: number | null;
}

/** The cost report of a run. Money in integer micro-USD, so sums are exact. */
export interface CostReport {
  rows: CostRow[];
  /** The run's total as the worker reports it (`totals.costUsd`), micro-USD. */
  totalMicroUsd: number;
  /** The sum of the rows' costs, micro-USD (a row without a cost counts 0). */
  sumMicroUsd: number;
  /** Whether {@link CostReport.totalMicroUsd} equals {@link CostReport.sumMicroUsd}. */
  totalsMatch: boolean;
  /** Token sums over the rows. */
  tokens: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
}

/**
 * How many requests a provider received per model against how many nodes the run view says called that model.
 * `ok` when every model's counts agree and the requests add up to the nodes that called a model: one call per node
 * (a retried or duplicated call would show up here as an extra, billed request). A node the result cache served
 * (`cache` `hit` or `shared`) records the model of the call that produced its output but made no call itself, so it
 * counts in `cached`, not in `nodes`. In a completed run every other node called a model, so the requests must
 * equal the run's node count minus the cached ones.
 */
export interface RequestCheck {
  /** Model id -> requests received and nodes that called it; models in either source, sorted by id. */
  byModel: { model: string; requests: number; nodes: number }[];
  /** Total requests received. */
  requests: number;
  /** Nodes that called a model (the view records their model and the cache did not serve them). */
  nodes: number;
  /** Nodes the result cache served (`hit` or `shared`): no call of their own. */
  cached: number;
  /** Nodes of the run (`totals.nodes`); more than `nodes` when some were served from the cache, failed before
   * calling, or were skipped. */
  runNodes: number;
  ok: boolean;
}

/** USD as reported by the worker (micro-USD / 1e6) back to integer micro-USD; negative or non-finite -> RangeError. */
function toMicro(usd: number): number {
  return usdToMicroUsd(usd, "nearest");
}

/**
 * Builds the cost report from a run view.
 * @param view the final body of `GET /v1/runs/:id`.
 * @throws RangeError when a cost in the view is negative or not finite.
 */
export function buildCostReport(view: RunView): CostReport {
  const rows: CostRow[] = view.levels.flatMap((level) =>
    level.nodes.map((n) => ({
      node: n.id,
      status: n.status,
      provider: n.route?.provider ?? null,
      tier: n.route?.tier ?? null,
      model: n.model,
      reason: n.route?.reason ?? null,
      error: n.error,
      inputTokens: n.usage?.inputTokens ?? 0,
      outputTokens: n.usage?.outputTokens ?? 0,
      cacheReadTokens: n.usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: n.usage?.cacheWriteTokens ?? 0,
      costMicroUsd: n.costUsd === null ? null : toMicro(n.costUsd),
    })),
  );
  const sum = (pick: (r: CostRow) => number) => rows.reduce((acc, r) => acc + pick(r), 0);
  const totalMicroUsd = toMicro(view.totals.costUsd);
  const sumMicroUsd = sum((r) => r.costMicroUsd ?? 0);
  return {
    rows,
    totalMicroUsd,
    sumMicroUsd,
    totalsMatch: totalMicroUsd === sumMicroUsd,
    tokens: {
      inputTokens: sum((r) => r.inputTokens),
      outputTokens: sum((r) => r.outputTokens),
      cacheReadTokens: sum((r) => r.cacheReadTokens),
      cacheWriteTokens: sum((r) => r.cacheWriteTokens),
    },
  };
}

/** The `model` a map node records for its join (shared/engine/map-node.ts `MAP_JOIN_MODEL`): no provider call. */
const MAP_JOIN_MODEL = "map";

/**
 * Compares a provider's request counts per model (e.g. the fake's `requestsByModel()`) with the nodes' models. Nodes
 * that call no model (a map node's join, a wait node: model `map` or empty) are not counted.
 * @param view the final run view.
 * @param requestsByModel model id -> requests the provider received.
 */
export function checkRequests(view: RunView, requestsByModel: Readonly<Record<string, number>>): RequestCheck {
  const nodesByModel = new Map<string, number>();
  let cached = 0;
  for (const level of view.levels) {
    for (const n of level.nodes) {
      if (n.cache === "hit" || n.cache === "shared") cached += 1;
      else if (n.model !== null && n.model !== "" && n.model !== MAP_JOIN_MODEL)
        nodesByModel.set(n.model, (nodesByModel.get(n.model) ?? 0) + 1);
    }
  }
  const models = [...new Set([...Object.keys(requestsByModel), ...nodesByModel.keys()])].sort();
  const byModel = models.map((model) => ({
    model,
    requests: requestsByModel[model] ?? 0,
    nodes: nodesByModel.get(model) ?? 0,
  }));
  const requests = byModel.reduce((acc, m) => acc + m.requests, 0);
  const nodes = [...nodesByModel.values()].reduce((acc, n) => acc + n, 0);
  return {
    byModel,
    requests,
    nodes,
    cached,
    runNodes: view.totals.nodes,
    ok: requests === nodes && byModel.every((m) => m.requests === m.nodes),
  };
}

/** Formats whole micro-dollars as USD with 6 decimals (`"$0.012345"`), `"$0"` for zero. */
function usd6(micro: number): string {
  return formatUsd(microUsdToUsd(micro), 6);
}

/** Pads each cell to its column's width; `right` columns are right-aligned. Columns are separated by 2 spaces. */
function table(header: string[], body: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd();
  return [line(header), ...body.map(line)];
}

/**
 * The report as lines for people: a table (node, provider, tier, model, input / output / cache-read / cache-write
 * tokens, cost in USD to the micro-dollar) with each node's routing reason on a line of its own under its row, a
 * total row, the check line `"  check: total $X = sum of nodes $Y  ✔"` (or `✖ … ≠ …` with the difference), and,
 * when `requests` is given, the provider's requests per model against the nodes that called a model (and how many
 * made no call, of which how many the result cache served). A node without a route shows its status and error
 * instead of a reason; the worker's `; cache hit` suffix of a reason is kept, so the report says which rows cost
 * nothing because of the cache.
 * @param report from {@link buildCostReport}.
 * @param requests from {@link checkRequests}, or null/undefined to leave that line out.
 * @param requestsLabel who received the requests, e.g. `"fake Anthropic requests"`.
 */
export function formatCostReport(
  report: CostReport,
  requests?: RequestCheck | null,
  requestsLabel = "provider requests",
): string[] {
  const header = ["node", "provider", "tier", "model", "input", "output", "cache rd", "cache wr", "cost"];
  const dash = "–";
  const body: string[][] = [];
  const reasonAfter = new Map<number, string>();
  for (const r of report.rows) {
    body.push([
      r.node,
      r.provider ?? dash,
      r.tier ?? dash,
      r.model ?? dash,
      String(r.inputTokens),
      String(r.outputTokens),
      String(r.cacheReadTokens),
      String(r.cacheWriteTokens),
      r.costMicroUsd === null ? dash : usd6(r.costMicroUsd),
    ]);
    const error = r.error && !r.error.startsWith(r.status) ? `${r.status}: ${r.error}` : (r.error ?? r.status);
    const why = r.reason ?? (r.status === "done" ? "" : `(${error})`);
    reasonAfter.set(body.length, why ? `↳ ${why.replace(/\s+/g, " ").trim()}` : "");
  }
  const t = report.tokens;
  body.push([
    "total",
    "",
    "",
    "",
    String(t.inputTokens),
    String(t.outputTokens),
    String(t.cacheReadTokens),
    String(t.cacheWriteTokens),
    usd6(report.totalMicroUsd),
  ]);
  const lines = table(header, body, new Set([4, 5, 6, 7, 8]));
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    const reason = reasonAfter.get(i);
    if (reason) out.push(`      ${reason}`);
  });
  const total = usd6(report.totalMicroUsd);
  const sum = usd6(report.sumMicroUsd);
  out.push(
    report.totalsMatch
      ? `  check: total ${total} = sum of nodes ${sum}  ✔`
      : `  check: total ${total} ≠ sum of nodes ${sum}  ✖ (differs by ${report.totalMicroUsd - report.sumMicroUsd} µUSD)`,
  );
  if (requests) {
    const perModel = requests.byModel.map((m) => `${m.model} ${m.requests}`).join(" · ") || "none";
    const wrong = requests.byModel
      .filter((m) => m.requests !== m.nodes)
      .map((m) => `${m.model}: ${m.requests} requests for ${m.nodes} nodes`);
    const verdict = requests.ok ? "✔" : `✖${wrong.length > 0 ? ` (${wrong.join("; ")})` : ""}`;
    const idle = requests.runNodes - requests.nodes;
    const cached = requests.cached > 0 ? `, ${requests.cached} served from the result cache` : "";
    const others = idle > 0 ? ` (${idle} of ${requests.runNodes} made no call${cached})` : "";
    out.push(
      `  ${requestsLabel}: ${perModel} = ${requests.requests} requests for ${requests.nodes} nodes${others}  ${verdict}`,
    );
  }
  return out;
}
