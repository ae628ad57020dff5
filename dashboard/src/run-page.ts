/**
 * A run's page: header with status and the Cancel / Retry buttons, the simulated-provider banner, run totals and
 * budget use, the DAG (levels left to right, coloured by status, critical path outlined), the todo list by level,
 * a timeline of node starts and ends, and the selected node's details (model, tier and routing reason, tokens, cost,
 * cache outcome, error, output) with Rerun-from-here. Views arrive through the run feed (shared/client/run-feed.ts).
 */

import {
  cacheMarker,
  formatDuration,
  formatPercent,
  formatTokens,
  formatUsd,
  runElapsedMs,
  withoutCacheSuffix,
} from "../../local/render.js";
import type { RunGraph, RunViewBody } from "../../shared/client/run-api.js";
import type { RunClient } from "../../shared/client/run-client.js";
import type { RunFeed } from "../../shared/client/run-feed.js";
import { drawDag } from "./dag-view.js";
import { h, replaceChildren, svg } from "./dom.js";
import { layoutDag } from "./layout.js";
import { budgetShares, nodeIndex, runActions, timelineBars, type ViewNode } from "./run-model.js";
import { statusBadge } from "./runs-page.js";

/** Timings of the page's first full render (read by the browser test), ms since navigation start. */
export interface RunPageTimings {
  graphNodes: number;
  layoutMs: number;
  readyAt: number;
}

declare global {
  interface Window {
    __agentDagTimings?: RunPageTimings;
  }
}

/** Largest number of rows a level of the todo list shows before "show all". */
const LEVEL_ROWS = 60;

function stat(label: string, value: string, extra?: string): HTMLElement {
  return h(
    "div",
    { class: "stat" },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value" }, value),
    extra ? h("div", { class: "stat-extra" }, extra) : null,
  );
}

function meter(share: number | null): HTMLElement | null {
  if (share === null) return null;
  const pct = Math.min(100, Math.round(share * 100));
  return h("div", { class: `meter${share > 0.9 ? " hot" : ""}` }, h("span", { style: `width:${pct}%` }));
}

/**
 * Mounts the page of `runId` into `root`; returns a function that unmounts it (stops the feed).
 * @param toast shows a short message (errors of actions).
 */
export function mountRunPage(
  root: HTMLElement,
  runId: string,
  deps: {
    client: RunClient;
    feed: RunFeed;
    toast: (text: string, kind?: "error" | "ok") => void;
    onUnauthorized: () => void;
  },
): () => void {
  const { client, feed, toast } = deps;
  const head = h("div", { class: "run-head" });
  const banner = h(
    "div",
    { class: "banner", hidden: true },
    "Simulated provider: no model was called; outputs are placeholders.",
  );
  const stats = h("div", { class: "stats" });
  const dagBox = h("div", { class: "dag-box" }, h("p", { class: "muted" }, "Loading the DAG…"));
  const todo = h("div", { class: "todo" });
  const timeline = h("div", { class: "timeline" });
  const detail = h(
    "aside",
    { class: "detail card" },
    h("p", { class: "muted" }, "Select a node in the DAG or the list."),
  );
  const page = h(
    "div",
    { class: "run-page", "data-run": runId },
    head,
    banner,
    stats,
    h(
      "section",
      { class: "card" },
      h(
        "div",
        { class: "card-head" },
        h("h2", {}, "DAG"),
        h(
          "div",
          { class: "legend" },
          ...["pending", "queued", "running", "retrying", "waiting", "done", "failed", "skipped", "cancelled"].map(
            (s) => h("span", { class: `key ${s}` }, s),
          ),
          h("span", { class: "key crit" }, "critical path"),
        ),
        h("div", { class: "zoom" }, ...zoomButtons()),
      ),
      dagBox,
    ),
    h("div", { class: "cols" }, h("section", { class: "card" }, h("h2", {}, "Todo list"), todo), detail),
    h("section", { class: "card" }, h("h2", {}, "Timeline"), timeline),
  );
  replaceChildren(root, page);

  let view: RunViewBody | null = null;
  let graph: RunGraph | null = null;
  let dag: ReturnType<typeof drawDag> | null = null;
  let selected: string | null = null;
  let ready = false;
  let layoutMs = 0;
  const expanded = new Set<number>();

  function zoomButtons(): HTMLElement[] {
    const b = (label: string, scale: number | "fit") =>
      h(
        "button",
        { class: "btn ghost small", type: "button", onclick: () => dag?.zoom(scale, dagBox.clientWidth) },
        label,
      );
    return [b("Fit", "fit"), b("50%", 0.5), b("100%", 1)];
  }

  async function act(label: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      toast(`${label}: done`, "ok");
    } catch (err) {
      const p = (err as { problem?: { title?: string; detail?: string } }).problem;
      toast(`${label} refused: ${p ? `${p.title}: ${p.detail}` : (err as Error).message}`, "error");
    }
    sub.refresh();
  }

  function renderHead(v: RunViewBody): void {
    const actions = runActions(v.status);
    const elapsed = runElapsedMs(v, Date.now());
    replaceChildren(
      head,
      h(
        "div",
        {},
        h("div", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " / ", h("span", { class: "mono" }, v.runId)),
        h("h1", {}, v.workflow, " ", statusBadge(v.status)),
        h(
          "div",
          { class: "muted small" },
          `trigger ${v.trigger} · created ${new Date(v.createdAt).toLocaleString()}`,
          v.try && v.try > 1 ? ` · try ${v.try}${v.rerunFrom ? ` (rerun from ${v.rerunFrom})` : ""}` : "",
          elapsed === null ? "" : ` · ${formatDuration(elapsed)}`,
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            class: "btn danger",
            type: "button",
            disabled: !actions.cancel,
            "data-action": "cancel",
            onclick: () => void act("Cancel", () => client.cancel(runId)),
          },
          "Cancel",
        ),
        h(
          "button",
          {
            class: "btn",
            type: "button",
            disabled: !actions.retry,
            "data-action": "retry",
            onclick: () => void act("Retry", () => client.retry(runId)),
          },
          "Retry",
        ),
      ),
    );
  }

  function renderStats(v: RunViewBody): void {
    const t = v.totals;
    const shares = budgetShares(v);
    const u = v.budgetUsage;
    const budget = u
      ? h(
          "div",
          { class: "stat" },
          h("div", { class: "stat-label" }, "Budget"),
          h(
            "div",
            { class: "stat-value" },
            [
              u.limitUsd !== undefined ? `${formatUsd(u.usedUsd)} / ${formatUsd(u.limitUsd)}` : "",
              u.limitTokens !== undefined ? `${formatTokens(u.usedTokens)} / ${formatTokens(u.limitTokens)} tok` : "",
            ]
              .filter(Boolean)
              .join(" · ") || "no limit",
          ),
          meter(shares.usd ?? shares.tokens),
          h("div", { class: "stat-extra" }, `on budget: ${v.budget?.onBudget ?? "–"}`),
        )
      : stat("Budget", "none");
    const counts = (
      ["done", "running", "waiting", "queued", "retrying", "pending", "failed", "skipped", "cancelled"] as const
    )
      .filter((s) => (t[s] ?? 0) > 0)
      .map((s) => `${t[s]} ${s}`)
      .join(" · ");
    replaceChildren(
      stats,
      stat("Nodes", `${t.done} / ${t.nodes}`, counts),
      stat(
        "Tokens",
        formatTokens(t.inputTokens + t.outputTokens),
        `${formatTokens(t.inputTokens)} in · ${formatTokens(t.outputTokens)} out`,
      ),
      stat("Cost", formatUsd(t.costUsd), `${t.attempts} attempts`),
      stat(
        "Cache",
        v.cache.hitRate === null ? "–" : formatPercent(v.cache.hitRate),
        `${v.cache.hits} hits · ${v.cache.shared} shared · ${v.cache.misses} misses`,
      ),
      stat(
        "Critical path",
        formatDuration(v.criticalPath.durationMs),
        v.makespanOverCriticalPath === null
          ? `${v.criticalPath.nodes.length} nodes`
          : `makespan ${v.makespanOverCriticalPath.toFixed(2)} × CP`,
      ),
      budget,
    );
  }

  const rowCache = new Map<string, { sig: string; el: HTMLElement }>();
  function todoRow(n: ViewNode): HTMLElement {
    const sig = `${n.status}|${n.attempts}|${n.durationMs}|${n.costUsd}|${n.cache}|${n.route?.tier}|${selected === n.id}`;
    const hit = rowCache.get(n.id);
    if (hit && hit.sig === sig) return hit.el;
    const tokens = n.usage ? formatTokens(n.usage.inputTokens + n.usage.outputTokens) : "";
    const el = h(
      "li",
      {
        class: `todo-row ${n.status}${selected === n.id ? " selected" : ""}`,
        "data-node": n.id,
        "data-status": n.status,
        onclick: () => select(n.id),
      },
      h("span", { class: "dot" }),
      h("span", { class: "mono id" }, n.id),
      h("span", { class: "st" }, n.status),
      h("span", { class: "num" }, n.durationMs === null ? "" : formatDuration(n.durationMs)),
      h("span", { class: "num muted" }, tokens ? `${tokens} tok` : ""),
      h("span", { class: "tier" }, n.route?.tier ?? n.model ?? ""),
      h("span", { class: "cachetag" }, cacheMarker(n)),
    );
    rowCache.set(n.id, { sig, el });
    return el;
  }

  function renderTodo(v: RunViewBody): void {
    const blocks = v.levels.map((l) => {
      const all = expanded.has(l.level) || l.nodes.length <= LEVEL_ROWS;
      const shown = all ? l.nodes : l.nodes.slice(0, LEVEL_ROWS);
      const done = l.nodes.filter((n) => n.status === "done").length;
      return h(
        "div",
        { class: "level" },
        h("h3", {}, l.title, h("span", { class: "muted small" }, ` · ${done}/${l.nodes.length} done`)),
        h("ul", {}, ...shown.map(todoRow)),
        all
          ? null
          : h(
              "button",
              {
                class: "btn ghost small",
                type: "button",
                onclick: () => {
                  expanded.add(l.level);
                  renderTodo(v);
                },
              },
              `Show all ${l.nodes.length}`,
            ),
      );
    });
    const c = v.compensation;
    // saga compensation: its state and one row per compensation (status, attempts, error or output excerpt)
    const comp = c
      ? h(
          "div",
          { class: "level" },
          h("h3", {}, `Compensation: ${c.status}`, h("span", { class: "muted small" }, ` · the run ${c.runStatus}`)),
          h(
            "ul",
            {},
            ...c.nodes.map((n) =>
              h(
                "li",
                { class: `row ${n.status}` },
                h("span", { class: "id" }, n.id),
                h("span", { class: "muted small" }, ` ${n.status} ×${n.attempts} ${n.error ?? n.excerpt ?? ""}`),
              ),
            ),
          ),
        )
      : null;
    replaceChildren(todo, ...blocks, ...(comp ? [comp] : []));
  }

  function renderTimeline(v: RunViewBody): void {
    const { bars, spanMs } = timelineBars(v, Date.now());
    if (bars.length === 0) {
      replaceChildren(timeline, h("p", { class: "muted" }, "No node has started yet."));
      return;
    }
    const rowH = bars.length > 150 ? 3 : bars.length > 40 ? 8 : 18;
    const labelW = rowH >= 18 ? 190 : 0;
    const width = 960;
    const plot = width - labelW - 10;
    const x = (ms: number) => labelW + (ms / spanMs) * plot;
    const height = bars.length * (rowH + 2) + 24;
    const chart = svg("svg", {
      class: "gantt",
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      preserveAspectRatio: "none",
    });
    for (let i = 0; i <= 4; i++) {
      const ms = (spanMs * i) / 4;
      chart.append(
        svg("line", { x1: x(ms), x2: x(ms), y1: 0, y2: height - 18, class: "grid" }),
        svg(
          "text",
          { x: x(ms), y: height - 4, class: "tick", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" },
          formatDuration(ms),
        ),
      );
    }
    bars.forEach((b, i) => {
      const y = i * (rowH + 2);
      if (labelW)
        chart.append(
          svg(
            "text",
            { x: labelW - 8, y: y + rowH - 5, class: "glabel", "text-anchor": "end" },
            b.id.length > 26 ? `${b.id.slice(0, 25)}…` : b.id,
          ),
        );
      const r = svg(
        "rect",
        {
          x: x(b.startMs),
          y,
          width: Math.max(1.5, x(b.endMs) - x(b.startMs)),
          height: rowH,
          rx: rowH > 6 ? 3 : 0,
          class: `bar ${b.status}`,
          "data-node": b.id,
        },
        svg("title", {}, `${b.id}: ${formatDuration(b.startMs)} → ${formatDuration(b.endMs)}`),
      );
      r.addEventListener("click", () => select(b.id));
      chart.append(r);
    });
    replaceChildren(timeline, chart);
  }

  function renderDetail(v: RunViewBody): void {
    if (!selected) return;
    const entry = nodeIndex(v).get(selected);
    if (!entry) return;
    const n = entry.node;
    const ended = runActions(v.status).rerun;
    const usage = n.usage;
    const kv = (k: string, val: string | HTMLElement | null | undefined) =>
      val === null || val === undefined || val === ""
        ? null
        : h("div", { class: "kv" }, h("dt", {}, k), h("dd", {}, val));
    const outputBox = h("pre", { class: "output" }, n.excerpt ?? "");
    const isSink = graph ? !graph.nodes.some((g) => g.dependsOn.includes(n.id)) : false;
    replaceChildren(
      detail,
      h("div", { class: "card-head" }, h("h2", { class: "mono" }, n.id), statusBadge(n.status)),
      h(
        "dl",
        {},
        kv("Agent", n.agent),
        kv("Level", String(entry.level)),
        kv("Model", n.model ?? "–"),
        kv("Tier", n.route ? `${n.route.tier ?? "–"} (${n.route.source})` : "–"),
        kv("Routing", n.route ? withoutCacheSuffix(n.route.reason, n.cache) : null),
        kv(
          "Tokens",
          usage
            ? `${formatTokens(usage.inputTokens)} in · ${formatTokens(usage.outputTokens)} out${usage.cacheReadTokens ? ` · cache read ${formatTokens(usage.cacheReadTokens)}` : ""}${usage.cacheWriteTokens ? ` · cache write ${formatTokens(usage.cacheWriteTokens)}` : ""}`
            : null,
        ),
        kv("Cost", n.costUsd === null ? null : formatUsd(n.costUsd, 6)),
        kv("Cache", n.cache ?? "off"),
        kv("Attempts", String(n.attempts)),
        kv("Started", n.startedAt ? new Date(n.startedAt).toLocaleTimeString() : null),
        kv("Duration", n.durationMs === null ? null : formatDuration(n.durationMs)),
        kv("Question", n.wait?.asked === false ? "not asked: its wait.when is false" : n.wait?.question),
        kv("Deadline", n.wait?.deadline ? new Date(n.wait.deadline).toLocaleString() : null),
        kv(
          "Signal",
          n.wait?.signal ? `${n.wait.signal.approved ? "approved" : "rejected"} (${n.wait.signal.source})` : null,
        ),
      ),
      n.error ? h("div", { class: "error" }, h("strong", {}, "Error "), n.error) : null,
      n.excerpt ? h("div", {}, h("h3", {}, "Output"), outputBox) : null,
      h(
        "div",
        { class: "actions" },
        isSink && n.status === "done"
          ? h(
              "button",
              {
                class: "btn ghost small",
                type: "button",
                onclick: async () => {
                  try {
                    const out = await client.output(runId);
                    outputBox.textContent = out.outputs[n.id] ?? n.excerpt ?? "";
                  } catch (err) {
                    toast(`Output: ${(err as Error).message}`, "error");
                  }
                },
              },
              "Full output",
            )
          : null,
        // a waiting approval is answered here: the same POST /v1/runs/:id/nodes/:node/signal as the CLI's `signal`
        ...(n.status === "waiting" && n.wait?.asked !== false
          ? [
              h(
                "button",
                {
                  class: "btn small",
                  type: "button",
                  "data-action": "approve",
                  onclick: () => void act(`Approve ${n.id}`, () => client.signal(runId, n.id, { approved: true })),
                },
                "Approve",
              ),
              h(
                "button",
                {
                  class: "btn danger small",
                  type: "button",
                  "data-action": "reject",
                  onclick: () => void act(`Reject ${n.id}`, () => client.signal(runId, n.id, { approved: false })),
                },
                "Reject",
              ),
            ]
          : []),
        h(
          "button",
          {
            class: "btn small",
            type: "button",
            disabled: !ended,
            "data-action": "rerun",
            title: ended ? "Run this node and everything downstream again" : "The run must end first",
            onclick: () => void act(`Rerun from ${n.id}`, () => client.rerun(runId, n.id)),
          },
          "Rerun from here",
        ),
      ),
    );
  }

  function select(id: string): void {
    selected = id;
    dag?.select(id);
    if (view) {
      renderDetail(view);
      renderTodo(view);
    }
  }

  function render(): void {
    if (!view) return;
    const v = view;
    renderHead(v);
    banner.hidden = !v.simulated;
    renderStats(v);
    renderTodo(v);
    renderTimeline(v);
    renderDetail(v);
    if (dag) dag.update(nodeIndex(v), v.criticalPath.nodes);
    if (!ready && dag) {
      ready = true;
      window.__agentDagTimings = { graphNodes: graph?.nodes.length ?? 0, layoutMs, readyAt: performance.now() };
      page.setAttribute("data-ready", "true");
    }
  }

  void client
    .graph(runId)
    .then((g) => {
      graph = g;
      const l0 = performance.now();
      const layout = layoutDag(g.nodes);
      layoutMs = performance.now() - l0;
      dag = drawDag(layout, new Map(g.nodes.map((n) => [n.id, n.agent])), select);
      replaceChildren(dagBox, dag.element);
      if (layout.width > dagBox.clientWidth) dag.zoom("fit", dagBox.clientWidth);
      if (selected) dag.select(selected);
      render();
    })
    .catch((err: unknown) => {
      if ((err as { status?: number }).status === 401) return deps.onUnauthorized();
      replaceChildren(dagBox, h("p", { class: "error" }, `Could not load the DAG: ${(err as Error).message}`));
    });

  const sub = feed.subscribe(runId, {
    onView(v) {
      view = v;
      render();
    },
    onError(err) {
      const status = (err as { status?: number }).status;
      if (status === 401) return deps.onUnauthorized();
      if (status !== 404) return;
      sub.stop();
      replaceChildren(
        root,
        h(
          "section",
          { class: "card" },
          h("h2", {}, "Run not found"),
          h("p", { class: "muted" }, `No run ${runId} for this API key (runs expire after their retention).`),
          h("a", { href: "#/runs" }, "Back to runs"),
        ),
      );
    },
  });
  return () => sub.stop();
}
