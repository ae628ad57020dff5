/**
 * Map nodes in the DAG (`kind: "map"`, shared/schema/node-kinds.ts): the ids of their children, the `over`
 * reference, the `{{item…}}`/`{{index}}` expressions of their prompts, how a child's prompt renders, and the
 * validation of all of it. A map node expands at run time (shared/engine/map-node.ts) into one child per element of
 * the array `over` resolves to: child `i` of map `M` is the node `M[i]` (`[` never occurs in a node id:
 * NODE_ID_RE), an `llm` node built from the map node's own agent, prompt and settings.
 */

import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";
import { renderedSize } from "./prompt-size.js";
import { referenceProblem, type SingleRef, withReference } from "./single-reference.js";
import {
  lookup,
  parsePath,
  parseTemplate,
  renderTemplate,
  stringify,
  type TemplateContext,
  type TemplateRefs,
} from "./template.js";
import type { CompiledDag } from "./types.js";

/** The id of child `index` (0-based) of map node `mapId`: `M[3]`. */
export function mapChildId(mapId: string, index: number): string {
  return `${mapId}[${index}]`;
}

const CHILD_ID_RE = /^(.+)\[(\d{1,9})\]$/;

/** The map node and index a child id names (`M[3]` → `{ mapId: "M", index: 3 }`), or null for any other id. */
export function parseMapChildId(id: string): { mapId: string; index: number } | null {
  const m = CHILD_ID_RE.exec(id);
  return m ? { mapId: m[1] as string, index: Number(m[2]) } : null;
}

/**
 * The workflow node child `index` of map node `map` runs: the map's own fields (agent, prompt, output schema, model,
 * retries, timeout, cache, failure policy, sensitivity, simulation…) as an `llm` node, without `over`, `maxItems` and
 * `compensate` (a map's compensation is the map's own).
 */
export function mapChildNode(map: WorkflowNode, index: number): WorkflowNode {
  const { over: _over, maxItems: _maxItems, compensate: _compensate, ...rest } = map;
  return { ...rest, id: mapChildId(map.id, index), kind: "llm" };
}

/**
 * A node map that also answers for the children of its map nodes: `get("M[3]")` derives the child from `M` with
 * `derive`; iteration, `size` and `keys()` cover the stored entries only (the workflow's own nodes).
 */
export class WithMapChildren<V> extends Map<string, V> {
  /**
   * @param entries the stored entries.
   * @param derive the value of child `index` of map `mapId`, or undefined when `mapId` is no map node.
   */
  constructor(
    entries: Iterable<readonly [string, V]>,
    private readonly derive: (mapId: string, index: number) => V | undefined,
  ) {
    super(entries);
  }

  /** Children derived so far: a delivery looks its node up many times, and the map's nodes never change. */
  private readonly derived = new Map<string, V>();

  /** The stored value, else the derived child's (derived once). */
  override get(id: string): V | undefined {
    const own = super.get(id) ?? this.derived.get(id);
    if (own !== undefined) return own;
    const child = parseMapChildId(id);
    const value = child ? this.derive(child.mapId, child.index) : undefined;
    if (value !== undefined) this.derived.set(id, value);
    return value;
  }

  /** Whether {@link get} finds a value. */
  override has(id: string): boolean {
    return this.get(id) !== undefined;
  }
}

/** What a map node's `over` reads: the run input or an upstream node's output, with an optional path. */
export type OverRef = SingleRef;

/** A map node's `over` parsed: exactly one `{{input…}}` or `{{nodes.<id>.output…}}` expression, or why not. */
export function parseOver(over: string): { ok: true; ref: OverRef } | { ok: false; reason: string } {
  const parts = parseTemplate(over.trim());
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.kind === "invalid") return { ok: false, reason: only.reason };
  if (only?.kind === "input" || only?.kind === "node") return { ok: true, ref: only };
  return {
    ok: false,
    reason: `"over" must be exactly one reference, {{input.<path>}} or {{nodes.<id>.output…}} (got ${JSON.stringify(over.slice(0, 80))})`,
  };
}

/**
 * What a map node itself reads: its prompt's references (its children's, so that sensitivity and the claim see them)
 * and its `over` reference, merged (not as a `whole` read: `over` is never rendered, so it is no shared context);
 * `promptRefs` unchanged for a map whose `over` does not parse.
 */
export function mapNodeReads(node: WorkflowNode, promptRefs: TemplateRefs): TemplateRefs {
  const over = node.over === undefined ? undefined : parseOver(node.over);
  return over?.ok ? withReference(promptRefs, over.ref) : promptRefs;
}

/** One `{{item…}}` or `{{index}}` expression: its text, and the item path (`[]` for the whole item) or `index`. */
type ItemExpression =
  | { raw: string; at: number; path: string[] | "index" }
  | { raw: string; at: number; invalid: string };

const EXPRESSION_RE = /\{\{([^{}]*)\}\}/g;

/** Parsed templates of the map prompts this isolate rendered last (every child of a map renders the same one). */
const parsedItemTemplates = new Map<string, readonly ItemExpression[]>();
const PARSED_TEMPLATES_MAX = 64;

/** The `{{item}}`, `{{item.<path>}}`, `{{item[<n>]…}}` and `{{index}}` expressions of a template, in order. */
function itemExpressions(template: string): readonly ItemExpression[] {
  const known = parsedItemTemplates.get(template);
  if (known) return known;
  const found = parseItemExpressions(template);
  if (parsedItemTemplates.size >= PARSED_TEMPLATES_MAX)
    parsedItemTemplates.delete(parsedItemTemplates.keys().next().value as string);
  parsedItemTemplates.set(template, found);
  return found;
}

function parseItemExpressions(template: string): ItemExpression[] {
  const found: ItemExpression[] = [];
  for (const m of template.matchAll(EXPRESSION_RE)) {
    const expr = (m[1] as string).trim();
    if (expr === "index") found.push({ raw: m[0], at: m.index, path: "index" });
    else if (expr === "item") found.push({ raw: m[0], at: m.index, path: [] });
    else if (expr.startsWith("item.") || expr.startsWith("item[")) {
      const path = parsePath(expr.slice(4));
      if (path) found.push({ raw: m[0], at: m.index, path });
      else
        found.push({
          raw: m[0],
          at: m.index,
          invalid: `invalid item reference ${m[0]}: expected {{item}}, {{item.<field>}} or {{item[<n>]}}`,
        });
    }
  }
  return found;
}

/** What a child's prompt reads besides the template context: its element and its index. */
export interface MapItem {
  item: unknown;
  index: number;
}

/**
 * Renders a map child's prompt: `{{item…}}` and `{{index}}` from `item`, the rest as any template (template.ts
 * `renderTemplate`); a value inserted is never parsed again.
 * @throws TemplateError as renderTemplate.
 */
export function renderMapPrompt(template: string, ctx: TemplateContext, item: MapItem): string {
  let out = "";
  let last = 0;
  for (const e of itemExpressions(template)) {
    out += renderTemplate(template.slice(last, e.at), ctx);
    out += "invalid" in e ? e.raw : e.path === "index" ? String(item.index) : stringify(lookup(item.item, e.path));
    last = e.at + e.raw.length;
  }
  return out + renderTemplate(template.slice(last), ctx);
}

/**
 * Characters {@link renderMapPrompt} would return, without building the string (prompt-size.ts `renderedSize` for the
 * template pieces, plus each inserted value's length).
 * @param cap stop once the sum passes this many characters.
 */
export function mapPromptSize(
  template: string,
  ctx: TemplateContext,
  item: MapItem,
  cap = Number.POSITIVE_INFINITY,
): number {
  let size = 0;
  let last = 0;
  for (const e of itemExpressions(template)) {
    size += renderedSize(template.slice(last, e.at), ctx, cap - size);
    size += ("invalid" in e ? e.raw : e.path === "index" ? String(item.index) : stringify(lookup(item.item, e.path)))
      .length;
    if (size > cap) return size;
    last = e.at + e.raw.length;
  }
  return size + renderedSize(template.slice(last), ctx, cap - size);
}

/** One problem with a map node or an `{{item}}` reference: the node's index, the field, and what is wrong. */
export interface MapIssue {
  index: number;
  node: string;
  field: "over" | "prompt" | "compensate/prompt";
  detail: string;
}

/**
 * Checks the map nodes of a workflow and the `{{item}}`/`{{index}}` references of every prompt:
 * - a map's `over` is exactly one reference to the run input or an ancestor node (`dag` absent: ancestry is not
 *   checked), a field path only on a node whose output is JSON (`isJson`: an output schema, a map, …);
 * - `{{item…}}` and `{{index}}` appear only in map nodes' prompts (never in another node's, nor in a compensation
 *   step's), and parse.
 * @param indexOf node id → its position in `workflow.nodes`.
 */
export function mapIssues(
  workflow: Pick<WorkflowDefinition, "nodes">,
  indexOf: ReadonlyMap<string, number>,
  dag: CompiledDag | undefined,
  isJson: (id: string) => boolean,
): MapIssue[] {
  const issues: MapIssue[] = [];
  for (const [index, node] of workflow.nodes.entries()) {
    const add = (field: MapIssue["field"], detail: string) => issues.push({ index, node: node.id, field, detail });
    for (const e of itemExpressions(node.prompt)) {
      if (node.kind !== "map")
        add("prompt", `prompt of node "${node.id}" reads ${e.raw}, which only a map node's prompt may read`);
      else if ("invalid" in e) add("prompt", `prompt of node "${node.id}": ${e.invalid}`);
    }
    for (const e of node.compensate ? itemExpressions(node.compensate.prompt) : [])
      add(
        "compensate/prompt",
        `compensation prompt of node "${node.id}" reads ${e.raw}, which only a map node's prompt may read`,
      );
    if (node.kind !== "map" || node.over === undefined) continue;
    const over = parseOver(node.over);
    if (!over.ok) {
      add("over", `"over" of map node "${node.id}": ${over.reason}`);
      continue;
    }
    const problem = referenceProblem(over.ref, node.id, indexOf, dag, isJson);
    if (problem) add("over", `"over" of map node "${node.id}" ${problem}`);
  }
  return issues;
}
