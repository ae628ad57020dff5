import { parseMapChildId } from "../dag/map-refs.js";

/** Where a map node's child sits: its map node and its element's index (0-based). */
export interface MapChildRef {
  node: string;
  index: number;
}

/**
 * The children of the run's map nodes found among `nodeIds` (the run's status hash: expand_map added them), by map
 * node, in element order; ids of other nodes are ignored.
 * @param mapIds the run's map nodes (`kind: "map"`).
 */
export function mapChildrenByMap(nodeIds: Iterable<string>, mapIds: ReadonlySet<string>): Map<string, string[]> {
  const found = new Map<string, { id: string; index: number }[]>();
  for (const id of nodeIds) {
    const child = parseMapChildId(id);
    if (!child || !mapIds.has(child.mapId)) continue;
    const list = found.get(child.mapId) ?? [];
    list.push({ id, index: child.index });
    found.set(child.mapId, list);
  }
  return new Map([...found].map(([map, list]) => [map, list.sort((a, b) => a.index - b.index).map((c) => c.id)]));
}

/** The map node and index of child `id`, or undefined for any other node. */
export function mapChildRef(id: string, mapIds: ReadonlySet<string>): MapChildRef | undefined {
  const child = parseMapChildId(id);
  return child && mapIds.has(child.mapId) ? { node: child.mapId, index: child.index } : undefined;
}
