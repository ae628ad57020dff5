/**
 * The graph of a workflow definition that failed its schema, as far as it can be read: so that one answer lists
 * the schema problems and the graph problems (duplicate ids, unknown or self dependencies, cycles) together.
 */
import type { DagIssue } from "./dag-error.js";
import { analyzeGraph } from "./graph.js";
import type { DagNodeInput } from "./types.js";

/**
 * Graph problems of an untrusted node list, with positions in the raw list.
 *
 * A node is read when it is an object with a string `id`; its `dependsOn` entries are read when they are strings
 * (an absent or non-array `dependsOn` reads as none). Other nodes are left out; then unknown dependencies are not
 * reported, since they may name a node whose id could not be read.
 *
 * @param rawNodes - the raw `nodes` value; anything but an array gives no issues.
 * @returns issues as `analyzeGraph` reports them, `index` and `dependencyIndex` (and `firstIndex`) mapped back to
 *   positions in `rawNodes` and its nodes' raw `dependsOn` arrays.
 */
export function rawGraphIssues(rawNodes: unknown): DagIssue[] {
  if (!Array.isArray(rawNodes)) return [];
  const nodes: DagNodeInput[] = [];
  const rawIndex: number[] = [];
  const rawDepIndex: number[][] = [];
  let everyIdRead = true;
  rawNodes.forEach((raw: unknown, i) => {
    const id = raw !== null && typeof raw === "object" && Object.hasOwn(raw, "id") ? (raw as { id: unknown }).id : null;
    if (typeof id !== "string") {
      everyIdRead = false;
      return;
    }
    const deps = (raw as { dependsOn?: unknown }).dependsOn;
    const dependsOn: string[] = [];
    const positions: number[] = [];
    if (Array.isArray(deps)) {
      deps.forEach((d: unknown, j) => {
        if (typeof d !== "string") return;
        dependsOn.push(d);
        positions.push(j);
      });
    }
    nodes.push({ id, dependsOn });
    rawIndex.push(i);
    rawDepIndex.push(positions);
  });

  const out: DagIssue[] = [];
  for (const issue of analyzeGraph(nodes).issues) {
    if (issue.code === "unknown-dependency" && !everyIdRead) continue;
    const mapped: DagIssue = { ...issue, index: rawIndex[issue.index]! };
    if (issue.dependencyIndex !== undefined) {
      mapped.dependencyIndex = rawDepIndex[issue.index]![issue.dependencyIndex]!;
    }
    if (issue.firstIndex !== undefined) {
      mapped.firstIndex = rawIndex[issue.firstIndex]!;
      mapped.message = `duplicate node id "${issue.node}" (also used by node ${mapped.firstIndex})`;
    }
    out.push(mapped);
  }
  return out;
}
