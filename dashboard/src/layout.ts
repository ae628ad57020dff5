/**
 * The dashboard's DAG layout: an adapter over dagre (@dagrejs/dagre, Sugiyama-style layered layout) that draws a
 * run's levels left to right. Pure: no DOM, so it runs (and is tested) in Node as well as in the browser.
 *
 * Two things keep a 1,000-node DAG fast and readable:
 * - Bundling: nodes that share their level, their dependencies and their dependents are interchangeable for the
 *   layout (the 1,000 `bwa` tasks of the bwa workload all read the same two roots and feed the same two sinks).
 *   A group of at least {@link BUNDLE_MIN} such nodes becomes one dagre node, drawn as a grid of small cells; dagre
 *   then lays out 5 nodes instead of 1,004 and 4 edges instead of 4,000.
 * - Levels as ranks: dagre gets every edge reversed, with its `longest-path` ranker and `rankdir: "RL"`. Its rank
 *   of a node is then the node's longest path from a root, which is exactly the run's level (shared/dag/types.ts),
 *   so column k holds level k, as in the todo list.
 */
import dagre from "@dagrejs/dagre";

/** One node of a run's DAG, as `GET /v1/runs/:id/graph` gives it. */
export interface GraphNode {
  id: string;
  /** 1-based level: 1 + the largest level of its dependencies. */
  level: number;
  dependsOn: readonly string[];
}

/** A point, px. */
export interface Point {
  x: number;
  y: number;
}

/** A box of the drawing: top-left corner and size, px. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A drawn item: a single node (`members` holds its id) or a bundle (its members as grid cells). */
export interface LayoutItem extends Box {
  key: string;
  level: number;
  members: string[];
  bundle: boolean;
}

/** An edge between two items, from the dependency to the dependent; `points` is its polyline, px. */
export interface LayoutEdge {
  from: string;
  to: string;
  points: Point[];
}

/** The whole drawing: its size, items and edges (px), and where every node is (a single box or a cell). */
export interface DagLayout {
  width: number;
  height: number;
  items: LayoutItem[];
  edges: LayoutEdge[];
  /** node id -> its box (for a bundle member, its cell). */
  nodes: Map<string, Box>;
  /** node id -> key of the item drawing it. */
  itemOf: Map<string, string>;
}

/** Smallest group of interchangeable nodes drawn as one bundle; smaller groups are drawn node by node. */
export const BUNDLE_MIN = 12;
/** Size of a single node's box, px. */
export const NODE_SIZE = { w: 224, h: 42 } as const;
/** A bundle's cell size and gap, and the height of its title strip, px. */
export const CELL = { size: 14, gap: 3, title: 26, pad: 8 } as const;

/**
 * The key of a node's interchangeability class: level, sorted dependencies, sorted dependents.
 * @param dependents the node's dependents (any order).
 */
export function bundleKey(node: GraphNode, dependents: readonly string[]): string {
  return `${node.level}|${[...new Set(node.dependsOn)].sort().join(",")}|${[...dependents].sort().join(",")}`;
}

/**
 * Columns of a bundle's grid for `n` cells: about twice as tall as wide (levels run left to right, so a tall
 * bundle keeps the drawing narrow), at least 1.
 */
export function bundleColumns(n: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(n / 2)));
}

/**
 * Lays out a run's DAG (see the module header). Item and edge order are deterministic for the same input.
 * @param nodes every node of the run, dependencies naming nodes of the list.
 * @throws Error when a dependency names a node that is not in the list.
 */
export function layoutDag(nodes: readonly GraphNode[]): DagLayout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const d of new Set(n.dependsOn)) {
      const list = dependents.get(d);
      if (!list) throw new Error(`node "${n.id}" depends on unknown node "${d}"`);
      list.push(n.id);
    }
  }
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    const key = bundleKey(n, dependents.get(n.id) ?? []);
    const group = groups.get(key);
    if (group) group.push(n.id);
    else groups.set(key, [n.id]);
  }
  const itemOf = new Map<string, string>();
  const items: LayoutItem[] = [];
  for (const members of groups.values()) {
    const first = byId.get(members[0] as string) as GraphNode;
    if (members.length >= BUNDLE_MIN) {
      const key = `bundle:${first.id}`;
      const cols = bundleColumns(members.length);
      const rows = Math.ceil(members.length / cols);
      const w = Math.max(NODE_SIZE.w, 2 * CELL.pad + cols * (CELL.size + CELL.gap) - CELL.gap);
      const h = CELL.title + CELL.pad + rows * (CELL.size + CELL.gap) - CELL.gap;
      items.push({ key, level: first.level, members, bundle: true, x: 0, y: 0, w, h });
      for (const id of members) itemOf.set(id, key);
    } else {
      for (const id of members) {
        items.push({ key: id, level: first.level, members: [id], bundle: false, x: 0, y: 0, ...NODE_SIZE });
        itemOf.set(id, id);
      }
    }
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "RL", ranker: "longest-path", nodesep: 14, ranksep: 72, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const item of items) g.setNode(item.key, { width: item.w, height: item.h });
  const edgeKeys = new Set<string>();
  const edgeList: { from: string; to: string }[] = [];
  for (const n of nodes) {
    const to = itemOf.get(n.id) as string;
    for (const d of n.dependsOn) {
      const from = itemOf.get(d) as string;
      const k = `${from}\u0000${to}`;
      if (edgeKeys.has(k)) continue;
      edgeKeys.add(k);
      edgeList.push({ from, to });
      g.setEdge(to, from); // reversed: see the module header
    }
  }
  dagre.layout(g);
  for (const item of items) {
    const p = g.node(item.key) as { x: number; y: number };
    item.x = p.x - item.w / 2;
    item.y = p.y - item.h / 2;
  }
  const edges = edgeList.map(({ from, to }) => {
    const label = g.edge(to, from) as { points?: Point[] } | undefined;
    return { from, to, points: [...(label?.points ?? [])].reverse() };
  });
  const nodeBoxes = new Map<string, Box>();
  for (const item of items) {
    if (!item.bundle) {
      nodeBoxes.set(item.key, { x: item.x, y: item.y, w: item.w, h: item.h });
      continue;
    }
    const cols = bundleColumns(item.members.length);
    item.members.forEach((id, i) => {
      nodeBoxes.set(id, {
        x: item.x + CELL.pad + (i % cols) * (CELL.size + CELL.gap),
        y: item.y + CELL.title + Math.floor(i / cols) * (CELL.size + CELL.gap),
        w: CELL.size,
        h: CELL.size,
      });
    });
  }
  const graph = g.graph() as { width?: number; height?: number };
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    items,
    edges,
    nodes: nodeBoxes,
    itemOf,
  };
}
