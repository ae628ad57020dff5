/**
 * Invalidation generations: how the cache drops entries without scanning the keyspace.
 *
 * Each tenant has one hash (`<prefix>:{cache:<tenant>}:gen`, keys.ts) of counters, one field per selector that was
 * ever invalidated:
 * - `*`: everything of the tenant;
 * - `wf:<workflow>`: every node of a workflow;
 * - `node:<workflow>:<nodeId>`: one node of a workflow;
 * - `tag:<tag>`: every node carrying the cache tag.
 *
 * Before a lookup, a node reads the fields that apply to it (one HMGET) and the non-zero ones go into its key
 * material (key-material.ts). Invalidating is one HINCRBY of one field: every node that reads that field gets a new
 * key at once, so its old entries become unreachable and expire by their TTL. Nodes the field does not apply to keep
 * their keys. A field absent from the hash reads as 0 and does not enter the key, so nodes nobody invalidated share
 * entries across workflows, nodes and tags; once a field is non-zero its name is in the key, so the bumps of two
 * different selectors can never produce the same material.
 *
 * The hash has no TTL: if it expired, a field could count from 1 again and make entries written under the earlier
 * 1 reachable after a later invalidation. It holds one small field per selector ever invalidated, and for the same
 * reason no field is ever removed or collapsed into another; so the number of fields is bounded instead
 * ({@link MAX_GENERATION_FIELDS}): once the hash is full, an invalidation that would add a field is refused (nothing
 * changes), while `*` (everything of the tenant) and selectors already in the hash stay accepted. Refusing never
 * lowers a field, so the argument above holds.
 */
import { CACHE_TAG_RE, NODE_ID_RE, WORKFLOW_NAME_RE } from "../schema/workflow.js";

/**
 * Most fields a tenant's generations hash holds (ours): 10,000 selectors of at most ~140 bytes, about 1.5 MB per
 * tenant in the worst case, far above what invalidating real workflows, nodes and tags needs.
 */
export const MAX_GENERATION_FIELDS = 10_000;

/** Generation field that applies to every node of the tenant. */
export const ALL_GENERATION_FIELD = "*";

/**
 * What an invalidation drops: everything of the tenant, a workflow, one node of a workflow, or a tag. Names follow
 * the workflow schema: workflow `/^[a-z0-9][a-z0-9-]{0,63}$/`, node id `/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/`, tag
 * `/^[A-Za-z0-9_.:-]{1,64}$/` (shared/schema/workflow.ts).
 */
export type InvalidationSelector = { all: true } | { workflow: string; node?: string | undefined } | { tag: string };

/**
 * Generation values by field (`*`, `wf:…`, `node:…`, `tag:…`), 0 for a field never bumped. Produced by
 * `CacheStore.readGenerations` and consumed by key-material.ts.
 */
export type GenerationVector = Readonly<Record<string, number>>;

/**
 * The generation field an invalidation bumps.
 * @returns `*`, `wf:<workflow>`, `node:<workflow>:<nodeId>` or `tag:<tag>`.
 * @throws RangeError for a name the workflow schema would reject.
 */
export function selectorField(selector: InvalidationSelector): string {
  if ("all" in selector) return ALL_GENERATION_FIELD;
  if ("tag" in selector) return `tag:${checkName("tag", selector.tag, CACHE_TAG_RE)}`;
  const wf = checkName("workflow", selector.workflow, WORKFLOW_NAME_RE);
  return selector.node === undefined ? `wf:${wf}` : `node:${wf}:${checkName("node id", selector.node, NODE_ID_RE)}`;
}

/**
 * The generation fields that apply to one node, in a fixed order: `*`, `wf:<workflow>`, `node:<workflow>:<nodeId>`,
 * then `tag:<tag>` for each distinct tag, sorted.
 * @param tags the node's `cacheTags` (duplicates allowed).
 * @throws RangeError for a workflow name, node id or tag the workflow schema would reject.
 */
export function nodeGenerationFields(workflow: string, nodeId: string, tags: readonly string[] = []): string[] {
  const distinct = [...new Set(tags)].sort();
  return [
    ALL_GENERATION_FIELD,
    selectorField({ workflow }),
    selectorField({ workflow, node: nodeId }),
    ...distinct.map((tag) => selectorField({ tag })),
  ];
}

/**
 * The part of a generation vector that enters a cache key: the `[field, generation]` pairs with a generation > 0,
 * sorted by field.
 * @throws RangeError for a generation that is not an integer >= 0.
 */
export function activeGenerations(vector: GenerationVector): [string, number][] {
  const pairs: [string, number][] = [];
  for (const [field, value] of Object.entries(vector)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`Expected generation of ${field} to be an integer >= 0, got ${value}`);
    if (value > 0) pairs.push([field, value]);
  }
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkName(what: string, value: string, re: RegExp): string {
  if (!re.test(value)) throw new RangeError(`Invalid ${what} "${value}": must match ${re}`);
  return value;
}
