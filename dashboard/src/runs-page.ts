/**
 * The runs list: the tenant's runs newest first (`GET /v1/runs`), filtered by status, workflow, trigger and
 * creation time, a page at a time ("Load more" follows `nextCursor`), refreshed every few seconds.
 */

import { formatDuration, formatTokens, formatUsd } from "../../local/render.js";
import type { RunListFilters, RunSummaryBody } from "../../shared/client/run-api.js";
import type { RunClient } from "../../shared/client/run-client.js";
import { h, replaceChildren } from "./dom.js";
import { runHref } from "./run-model.js";

/** How often the list reloads its first page, ms. */
const REFRESH_MS = 5000;
/** Run statuses offered as filters. */
const STATUSES = ["running", "completed", "failed", "cancelled"] as const;

/** A status badge: the status text on its colour. */
export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge ${status}`, "data-status": status }, status);
}

function when(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toLocaleString();
}

function row(run: RunSummaryBody): HTMLTableRowElement {
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  const took = end - Date.parse(run.createdAt);
  const t = run.totals;
  return h(
    "tr",
    { "data-run": run.runId },
    h("td", {}, h("a", { href: runHref(run.runId), class: "mono" }, run.runId)),
    h("td", {}, run.workflow),
    h("td", {}, statusBadge(run.status)),
    h("td", { class: "muted" }, run.trigger),
    h("td", { class: "muted" }, when(run.createdAt)),
    h("td", { class: "num" }, Number.isNaN(took) ? "" : formatDuration(took)),
    h(
      "td",
      { class: "num" },
      `${t.done}/${t.nodes}`,
      t.failed > 0 ? h("span", { class: "red" }, ` · ${t.failed} failed`) : "",
    ),
    h("td", { class: "num" }, formatTokens(t.inputTokens + t.outputTokens)),
    h("td", { class: "num" }, formatUsd(t.costUsd)),
  );
}

/**
 * Mounts the runs list into `root`; returns a function that unmounts it (stops the refresh).
 * @param onUnauthorized called when the worker refuses the key (401).
 */
export function mountRunsPage(root: HTMLElement, client: RunClient, onUnauthorized: () => void): () => void {
  const filters: RunListFilters = { status: [], limit: 25 };
  const tbody = h("tbody");
  const more = h("button", { class: "btn ghost", type: "button", hidden: true }, "Load more");
  const note = h("p", { class: "muted small" });
  let cursor: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const statusBoxes = STATUSES.map((s) =>
    h("label", { class: "chip" }, h("input", { type: "checkbox", value: s, name: "status" }), statusBadge(s)),
  );
  const workflow = h("input", { type: "text", name: "workflow", placeholder: "workflow", size: 14 });
  const trigger = h("input", { type: "text", name: "trigger", placeholder: "api or cron:…", size: 14 });
  const since = h("input", { type: "datetime-local", name: "since", "aria-label": "since" });
  const until = h("input", { type: "datetime-local", name: "until", "aria-label": "until" });
  const form = h(
    "form",
    { class: "filters" },
    h("div", { class: "chips" }, ...statusBoxes),
    workflow,
    trigger,
    h("label", { class: "muted small" }, "since ", since),
    h("label", { class: "muted small" }, "until ", until),
    h("button", { class: "btn", type: "submit" }, "Apply"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    filters.status = statusBoxes
      .map((l) => l.querySelector("input") as HTMLInputElement)
      .filter((i) => i.checked)
      .map((i) => i.value);
    filters.workflow = workflow.value.trim() || undefined;
    filters.trigger = trigger.value.trim() || undefined;
    filters.since = since.value ? new Date(since.value).toISOString() : undefined;
    filters.until = until.value ? new Date(until.value).toISOString() : undefined;
    void load(false);
  });
  more.addEventListener("click", () => void load(true));

  async function load(append: boolean): Promise<void> {
    clearTimeout(timer);
    try {
      const page = await client.list({ ...filters, cursor: append ? (cursor ?? undefined) : undefined });
      if (stopped) return;
      if (!append) replaceChildren(tbody);
      for (const run of page.runs) tbody.append(row(run));
      if (!append) cursor = page.nextCursor;
      else cursor = page.nextCursor;
      more.hidden = cursor === null;
      note.textContent = tbody.children.length === 0 ? "No runs match these filters." : "";
    } catch (err) {
      if ((err as { status?: number }).status === 401) return onUnauthorized();
      note.textContent = `Could not load runs: ${(err as Error).message}`;
    }
    if (!stopped && !append) timer = setTimeout(() => void load(false), REFRESH_MS);
  }

  replaceChildren(
    root,
    h(
      "section",
      { class: "card" },
      h("div", { class: "card-head" }, h("h2", {}, "Runs"), form),
      h(
        "table",
        { class: "runs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Run", "Workflow", "Status", "Trigger", "Created", "Duration", "Nodes", "Tokens", "Cost"].map((c) =>
              h("th", {}, c),
            ),
          ),
        ),
        tbody,
      ),
      note,
      more,
    ),
  );
  void load(false);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
