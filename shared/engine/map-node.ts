/**
 * Running a map node (`kind: "map"`, shared/schema/node-kinds.ts) in two deliveries, with no provider call of its own:
 * 1. **Expand.** Its first delivery resolves `over` to a JSON array (the run input, or an ancestor's output: a whole
 *    text output is parsed as JSON), checks it against `maxItems` ({@link MAX_MAP_ITEMS} at most) and the run's node
 *    limit, stores the items as one blob and runs expand_map (shared/state/lua/expand-map.ts): the children
 *    `<map>[i]` join the run as ordinary nodes, ready at once, and the map waits for them (`pending`), its slot
 *    freed. The children taken are published like any transition's. An array of 0 elements completes the map at
 *    once with `[]`. Anything else fails the map without retries (execute answers 489), its error naming the node,
 *    the length and the limit.
 * 2. **Join.** Each child runs the map's own agent and prompt, which reads its element (`{{item…}}`) and position
 *    (`{{index}}`) from the items blob ({@link mapChildItem}). When the last child is done, complete_node releases the
 *    map like any node; its next delivery finds the expansion and completes it with the JSON array of its children's
 *    outputs in element order: a structured output (`output.schema`) as its JSON value, any other output (and a
 *    `continue` failure's `[FAILED: …]` text) as a string.
 */
import type { PreparedBlob } from "../blobs/blob-store.js";
import { type MapItem, mapChildId, mapPromptSize, parseMapChildId, parseOver } from "../dag/map-refs.js";
import { promptCharCap } from "../dag/prompt-size.js";
import { resolveReference } from "../dag/single-reference.js";
import type { TemplateContext } from "../dag/template.js";
import { ProviderError } from "../providers/provider.js";
import { MAX_MAP_ITEMS } from "../schema/node-kinds.js";
import { MAX_NODES, type WorkflowNode } from "../schema/workflow.js";
import type { MapExpansion } from "../state/run-store.js";
import { jsonOrText } from "../util/json-or-text.js";
import { liveBlobTtlSeconds } from "./blob-retention.js";
import type { Engine } from "./engine.js";
import {
  type DeliveryControls,
  EXCERPT_CHARS,
  type ExecuteOutcome,
  type HeldNode,
  type NodeReads,
  SENSITIVE_EXCERPT,
} from "./execute-node.js";
import { promptTooLargeDetail } from "./prompt-limit.js";
import type { LoadedRun } from "./run-cache.js";

/** Reason of a `skipped` delivery whose map node expanded into its children (take-node.ts). */
export const MAP_EXPANDED = "map expanded into its children";

/** Model and route provider recorded for a map node's join (no model is called). */
export const MAP_JOIN_MODEL = "map";

/** Parsed items arrays by blob ref (content-addressed, so never stale), most recent last, per isolate. */
const itemsCache = new Map<string, unknown[]>();
/** Most items arrays kept per isolate (the maps whose children this isolate is running, in practice). */
const ITEMS_CACHE_SIZE = 4;
/** Largest items text kept parsed, characters (1 MiB): with {@link ITEMS_CACHE_SIZE}, a few MB of a Worker's 128 MB. */
const ITEMS_CACHE_MAX_CHARS = 1024 * 1024;

/**
 * The items blobs of a run's expanded map nodes, from its meta (`map:<id>` = `"<n>|<itemsRef>|<startedAt>"`:
 * shared/state/lua/expand-map.ts): the sweeper keeps them alive with the run's outputs.
 */
export function mapItemsRefs(meta: Readonly<Record<string, string>>): string[] {
  return Object.entries(meta).flatMap(([field, value]) =>
    field.startsWith("map:") ? [value.split("|")[1] ?? ""].filter((ref) => ref !== "") : [],
  );
}

/** Whether `nodeId` is a map node of the run. */
export function isMapNode(run: LoadedRun, nodeId: string): boolean {
  return run.nodes.get(nodeId)?.kind === "map";
}

/**
 * The node whose cache generations a node's calls use: a map child's are its map's (invalidating the map's entries by
 * node, `DELETE /v1/cache?node=<map>`, reaches every child's; their prompts differ, so their entries do not collide).
 */
export function cacheNodeId(run: LoadedRun, nodeId: string): string {
  const child = parseMapChildId(nodeId);
  return child && isMapNode(run, child.mapId) ? child.mapId : nodeId;
}

/** Deduplication id suffix of an expanded map node's message (dispatcher.ts `NodeDispatch.dedupSuffix`). */
export const MAP_JOIN_DEDUP_SUFFIX = ".join";

/**
 * The map nodes among `nodeIds` that have expanded: their next message is the join's, which needs its own
 * deduplication id (QStash would drop a second publish under the expansion message's id within its deduplication
 * window). Reads Redis only when a map node is among them.
 * @throws UpstashError when Redis fails.
 */
export async function mapJoinIds(engine: Engine, run: LoadedRun, nodeIds: readonly string[]): Promise<Set<string>> {
  const maps = nodeIds.filter((id) => isMapNode(run, id));
  if (maps.length === 0) return new Set();
  const found = await Promise.all(maps.map((id) => engine.store.readMapExpansion(run.frozen.runId, id)));
  return new Set(maps.filter((_, i) => found[i] !== null));
}

/** The largest array a map node may expand into: its `maxItems`, at most {@link MAX_MAP_ITEMS}. */
function mapItemLimit(node: Pick<WorkflowNode, "maxItems">): number {
  return Math.min(node.maxItems ?? MAX_MAP_ITEMS, MAX_MAP_ITEMS);
}

/** A short description of a value that is not an array, for errors. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing (a missing path)";
  if (value === null) return "null";
  if (typeof value === "string")
    return `a string (${JSON.stringify(value.slice(0, 60))}${value.length > 60 ? "…" : ""})`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Runs a map node a delivery holds: expands it on its first delivery, joins its children's outputs once they are
 * done (see the file's comment).
 * @returns `expanded` (the children to publish now; none when another attempt took the map over or the run stopped),
 *   or `ran` with the join's output (or `[]` for an empty array).
 * @throws ProviderError `non-retryable` when `over` is no array, too long, or the run would exceed its node limit,
 *   or a child's output (or the items) expired; UpstashError when Redis fails.
 */
export async function runMapNode(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode & { startedAt: number; refs: Record<string, string> },
  inputs: NodeReads,
  controls: DeliveryControls,
): Promise<ExecuteOutcome> {
  const runId = run.frozen.runId;
  const node = run.nodes.get(held.nodeId) as WorkflowNode;
  const expansion = await engine.store.readMapExpansion(runId, node.id);
  if (expansion) return join(engine, run, node, held, expansion);
  const over = parseOver(node.over ?? "");
  if (!over.ok) throw new ProviderError("non-retryable", `map node "${node.id}": ${over.reason}`);
  const ctx: TemplateContext = { input: inputs.inputText ? JSON.parse(inputs.inputText) : {}, outputs: {} };
  if (over.ref.kind === "input" && inputs.inputText === null)
    throw new ProviderError("non-retryable", "run input has expired");
  if (over.ref.kind === "node") {
    const ref = held.refs[over.ref.id];
    const [text] = ref ? await engine.blobs.getMany([ref]) : [null];
    if (text == null)
      throw new ProviderError("non-retryable", `map node "${node.id}": the output of "${over.ref.id}" is missing`);
    ctx.outputs = { [over.ref.id]: text };
  }
  const items = resolveReference(over.ref, ctx);
  if (!Array.isArray(items))
    throw new ProviderError(
      "non-retryable",
      `map node "${node.id}": "over" ${over.ref.raw} resolved to ${describe(items)}, not a JSON array`,
    );
  const limit = mapItemLimit(node);
  if (items.length > limit)
    throw new ProviderError(
      "non-retryable",
      `map node "${node.id}": "over" ${over.ref.raw} has ${items.length} elements; the limit is ${limit}` +
        ` (maxItems, at most ${MAX_MAP_ITEMS})`,
    );
  if (items.length === 0) return joined(engine, run, node, held, held.startedAt, []);
  const itemsRef = await engine.blobs.put(JSON.stringify(items), {
    encrypt: node.sensitive ?? false,
    ttlSeconds: liveBlobTtlSeconds(engine.config),
  });
  const nodeLimit = engine.config.maxNodes ?? MAX_NODES;
  const r = await engine.store.expandMap(runId, node.id, {
    attempt: held.attempt,
    now: engine.now(),
    generation: controls.generation,
    count: items.length,
    itemsRef,
    nodeLimit,
  });
  if (r.outcome === "refused" && r.reason === "node-limit")
    throw new ProviderError(
      "non-retryable",
      `map node "${node.id}": "over" ${over.ref.raw} has ${items.length} elements, but the run holds ${r.nodeCount} ` +
        `nodes and its node limit is ${nodeLimit} (MAX_WORKFLOW_NODES; a map's children count)`,
    );
  return { kind: "expanded", dispatch: r.outcome === "refused" ? [] : r.dispatch };
}

/**
 * What a delivery of an expanded map node that finds it `pending` (waiting for its children) offers again: the
 * children its expansion took that are still `queued` (the delivery that expanded it may have died before publishing
 * them). Empty for a map that has not expanded.
 * @throws UpstashError when Redis fails.
 */
export async function mapStillQueued(engine: Engine, runId: string, mapId: string): Promise<string[]> {
  const r = await engine.store.expandMap(runId, mapId, {
    attempt: "",
    now: engine.now(),
    count: 0,
    itemsRef: "",
    nodeLimit: 0,
  });
  return r.outcome === "again" ? r.dispatch : [];
}

/** Completes an expanded map: its children's outputs, in element order, as one JSON array. */
async function join(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  held: HeldNode,
  expansion: { count: number; startedAt: number },
): Promise<ExecuteOutcome> {
  const runId = run.frozen.runId;
  const ids = Array.from({ length: expansion.count }, (_, i) => mapChildId(node.id, i));
  const refs = await engine.store.readRefs(runId, ids);
  const missing = ids.filter((id) => !refs[id]);
  if (missing.length > 0)
    throw new ProviderError("non-retryable", `map node "${node.id}": no output for ${missing.slice(0, 5).join(", ")}`);
  const texts = await engine.blobs.getMany(ids.map((id) => refs[id] as string));
  if (texts.some((t) => t == null))
    throw new ProviderError("non-retryable", `map node "${node.id}": a child's output has expired`);
  const structured = node.output !== undefined;
  const values = (texts as string[]).map((t) => (structured ? jsonOrText(t) : t));
  return joined(engine, run, node, held, expansion.startedAt, values);
}

/** The map's output `values` (as a JSON array) as a finished node's result, no call and no usage. */
async function joined(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  held: HeldNode,
  startedAt: number,
  values: unknown[],
): Promise<ExecuteOutcome> {
  const text = JSON.stringify(values);
  const unwritten: PreparedBlob = await engine.blobs.prepare(text, { encrypt: node.sensitive ?? false });
  return {
    kind: "ran",
    unwritten,
    text,
    result: {
      runId: run.frozen.runId,
      nodeId: node.id,
      ref: unwritten.ref,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costMicroUsd: 0,
      model: MAP_JOIN_MODEL,
      route: {
        provider: MAP_JOIN_MODEL,
        tier: null,
        source: MAP_JOIN_MODEL,
        reason: `joined the outputs of ${values.length} children`,
      },
      cache: null,
      paidAttempt: null,
      startedAt,
      finishedAt: engine.now(),
      excerpt: node.sensitive ? SENSITIVE_EXCERPT : text.slice(0, EXCERPT_CHARS),
      attempt: held.attempt,
      simulated: false,
    },
  };
}

/**
 * The map and index of a map child's id (`<map>[i]`), or undefined when `nodeId` is no child of a map of the run.
 */
export function mapChildOf(run: LoadedRun, nodeId: string): { mapId: string; index: number } | undefined {
  const child = parseMapChildId(nodeId);
  // a workflow's own node ids have no `[` (NODE_ID_RE): only a child parses
  return child && isMapNode(run, child.mapId) ? child : undefined;
}

/**
 * The element and index a map child's prompt reads (`{{item…}}`, `{{index}}`), from its map's items blob (parsed
 * once per isolate); undefined when `nodeId` is no map child.
 * @param known the map's expansion as the claim's request read it (execute-node.ts `readAlongside`); read now when
 *   undefined.
 * @throws ProviderError `non-retryable` when the map has not expanded, the index is out of range or the items blob
 *   has expired; UpstashError when Redis fails.
 */
export async function mapChildItem(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  known?: MapExpansion | null,
): Promise<MapItem | undefined> {
  const child = mapChildOf(run, nodeId);
  if (!child) return undefined;
  const expansion = known !== undefined ? known : await engine.store.readMapExpansion(run.frozen.runId, child.mapId);
  if (!expansion || child.index >= expansion.count)
    throw new ProviderError(
      "non-retryable",
      `map child ${nodeId}: its map "${child.mapId}" has no element ${child.index}`,
    );
  let items = itemsCache.get(expansion.itemsRef);
  if (items) itemsCache.delete(expansion.itemsRef);
  else {
    const [text] = await engine.blobs.getMany([expansion.itemsRef]);
    if (text == null)
      throw new ProviderError("non-retryable", `map child ${nodeId}: the items of "${child.mapId}" expired`);
    items = JSON.parse(text) as unknown[];
    if (text.length > ITEMS_CACHE_MAX_CHARS) return { item: items[child.index], index: child.index };
  }
  itemsCache.set(expansion.itemsRef, items);
  while (itemsCache.size > ITEMS_CACHE_SIZE) itemsCache.delete(itemsCache.keys().next().value as string);
  return { item: items[child.index], index: child.index };
}

/**
 * Checks a map child's prompt before it is rendered, as prompt-limit.ts `assertPromptFits` does for any node: the
 * rendered size with its element plus the shared context must stay under the cap.
 * @throws ProviderError `non-retryable` naming the node and the sizes.
 */
export function assertMapPromptFits(
  engine: Engine,
  nodeId: string,
  render: { template: string; ctx: TemplateContext; item: MapItem },
  sharedChars: number,
): void {
  const limit = engine.config.promptLimit;
  const budget = promptCharCap(limit) - sharedChars;
  const size = mapPromptSize(render.template, render.ctx, render.item, budget);
  if (size > budget) throw new ProviderError("non-retryable", promptTooLargeDetail(nodeId, size + sharedChars, limit));
}
