/**
 * The run page's DAG drawing: an SVG built once from a {@link DagLayout} (levels left to right, edges, a box per
 * node or a grid of cells per bundle), then updated in place on every run view: a node's status is a class on its
 * element (colours in app.css), the critical path is outlined. Clicking a node selects it.
 */
import { formatDuration } from "../../local/render.js";
import { svg } from "./dom.js";
import type { DagLayout, LayoutItem } from "./layout.js";
import { criticalEdgeKeys, type ViewNode } from "./run-model.js";

/** A drawn DAG: its element and how to update it. */
export interface DagView {
  element: SVGSVGElement;
  /** Applies node statuses and the critical path of a new view; touches only what changed. */
  update(nodes: ReadonlyMap<string, { node: ViewNode }>, criticalPath: readonly string[]): void;
  /** Marks `id` selected (null: none). */
  select(id: string | null): void;
  /** Scales the drawing: 1 = 1 px per layout px; `"fit"` fits the container's width. */
  zoom(scale: number | "fit", containerWidth: number): void;
}

function edgePath(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  return `M${first?.x.toFixed(1)},${first?.y.toFixed(1)}${rest.map((p) => `L${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("")}`;
}

function shortId(id: string, max = 24): string {
  return id.length > max ? `${id.slice(0, max - 1)}…` : id;
}

/**
 * Draws `layout`; `onSelect` gets the id of a clicked node.
 * @param agents node id -> agent name, shown under a single node's id.
 */
export function drawDag(
  layout: DagLayout,
  agents: ReadonlyMap<string, string>,
  onSelect: (id: string) => void,
): DagView {
  const root = svg("svg", {
    class: "dag",
    viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`,
    width: Math.ceil(layout.width),
    height: Math.ceil(layout.height),
    role: "img",
    "aria-label": "The run's DAG",
  });
  const defs = svg(
    "defs",
    {},
    svg(
      "marker",
      {
        id: "arrow",
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 8,
        markerHeight: 8,
        markerUnits: "userSpaceOnUse",
        orient: "auto",
      },
      svg("path", { d: "M0,0L10,5L0,10z", class: "arrowhead" }),
    ),
  );
  const edgeLayer = svg("g", { class: "edges" });
  const nodeLayer = svg("g", { class: "nodes" });
  root.append(defs, edgeLayer, nodeLayer);
  const edgeEls = new Map<string, SVGPathElement>();
  for (const e of layout.edges) {
    const el = svg("path", { d: edgePath(e.points), class: "edge", "marker-end": "url(#arrow)" });
    edgeEls.set(`${e.from}→${e.to}`, el);
    edgeLayer.append(el);
  }
  const nodeEls = new Map<string, SVGElement>();
  const subEls = new Map<string, SVGTextElement>();
  /** A single node's second line: its agent when it differs from the id, its status, and its duration once known. */
  const agentLine = (id: string, status: string, durationMs: number | null) => {
    const agent = agents.get(id);
    const parts = [
      agent && agent !== id ? shortId(agent, 16) : "",
      status,
      durationMs === null ? "" : formatDuration(durationMs),
    ];
    return parts.filter((p) => p !== "").join(" · ");
  };
  for (const item of layout.items) nodeLayer.append(item.bundle ? bundleEl(item) : singleEl(item));

  function singleEl(item: LayoutItem): SVGGElement {
    const id = item.key;
    const g = svg(
      "g",
      { class: "node pending", "data-node": id, transform: `translate(${item.x},${item.y})`, tabindex: 0 },
      svg("title", {}, id),
      svg("rect", { width: item.w, height: item.h, rx: 6 }),
      svg("circle", { cx: 14, cy: item.h / 2, r: 5, class: "dot" }),
      svg("text", { x: 26, y: 17, class: "label" }, shortId(id)),
    );
    const sub = svg("text", { x: 26, y: 33, class: "sub" }, agentLine(id, "pending", null));
    g.append(sub);
    subEls.set(id, sub);
    g.addEventListener("click", () => onSelect(id));
    g.addEventListener("keydown", (ev) => {
      if ((ev as KeyboardEvent).key === "Enter") onSelect(id);
    });
    nodeEls.set(id, g);
    return g;
  }

  function bundleEl(item: LayoutItem): SVGGElement {
    const g = svg(
      "g",
      { class: "bundle", transform: `translate(${item.x},${item.y})` },
      svg("rect", { width: item.w, height: item.h, rx: 8, class: "frame" }),
      svg("text", { x: 8, y: 17, class: "label" }, `${shortId(item.members[0] ?? "", 18)} … ×${item.members.length}`),
    );
    const cells = layout.nodes;
    for (const id of item.members) {
      const b = cells.get(id);
      if (!b) continue;
      const cell = svg(
        "rect",
        { class: "cell pending", x: b.x - item.x, y: b.y - item.y, width: b.w, height: b.h, rx: 2, "data-node": id },
        svg("title", {}, id),
      );
      cell.addEventListener("click", () => onSelect(id));
      nodeEls.set(id, cell);
      g.append(cell);
    }
    return g;
  }

  const shown = new Map<string, string>();
  let critNodes = new Set<string>();
  let critEdges = new Set<string>();
  let selected: string | null = null;

  return {
    element: root,
    update(nodes, criticalPath) {
      for (const [id, { node }] of nodes) {
        const sub = subEls.get(id);
        if (sub) {
          const text = agentLine(id, node.status, node.durationMs);
          if (sub.textContent !== text) sub.textContent = text;
        }
        if (shown.get(id) === node.status) continue;
        const el = nodeEls.get(id);
        if (!el) continue;
        el.classList.remove(shown.get(id) ?? "pending");
        el.classList.add(node.status);
        shown.set(id, node.status);
      }
      const nextNodes = new Set(criticalPath);
      for (const id of critNodes) if (!nextNodes.has(id)) nodeEls.get(id)?.classList.remove("crit");
      for (const id of nextNodes) nodeEls.get(id)?.classList.add("crit");
      critNodes = nextNodes;
      const nextEdges = criticalEdgeKeys(criticalPath, layout.itemOf);
      for (const k of critEdges) if (!nextEdges.has(k)) edgeEls.get(k)?.classList.remove("crit");
      for (const k of nextEdges) edgeEls.get(k)?.classList.add("crit");
      critEdges = nextEdges;
    },
    select(id) {
      if (selected) nodeEls.get(selected)?.classList.remove("selected");
      selected = id;
      if (id) nodeEls.get(id)?.classList.add("selected");
    },
    zoom(scale, containerWidth) {
      const s = scale === "fit" ? Math.min(1, Math.max(0.05, (containerWidth - 4) / Math.max(1, layout.width))) : scale;
      root.setAttribute("width", String(Math.ceil(layout.width * s)));
      root.setAttribute("height", String(Math.ceil(layout.height * s)));
    },
  };
}
