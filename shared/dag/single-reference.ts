/**
 * A field that is exactly one template reference, not rendered text: a map's `over` and a wait node's `wait.when`.
 * Parsing, what the node reads through it, and the graph check are the same for both; each kind keeps its own
 * messages and evaluation.
 */

import { jsonOrText } from "../util/json-or-text.js";
import { isAncestor } from "./ancestors.js";
import type { CompiledDag } from "./compile.js";
import { lookup, lookupField, type TemplateContext, type TemplatePart, type TemplateRefs } from "./template.js";

/** One reference: the run input or an upstream node's output, with an optional path. */
export type SingleRef = Extract<TemplatePart, { kind: "input" } | { kind: "node" }>;

/**
 * What a node reads once its single reference is added to its prompt's reads: an input path, or the node (as a field
 * read when the reference has a path; never a `whole` read, since the reference is not rendered).
 */
export function withReference(reads: TemplateRefs, ref: SingleRef): TemplateRefs {
  const add = (list: string[], v: string): string[] => (list.includes(v) ? list : [...list, v]);
  if (ref.kind === "input") return { ...reads, inputs: add(reads.inputs, ref.path.join(".")) };
  return {
    ...reads,
    nodes: add(reads.nodes, ref.id),
    fields: ref.path ? add(reads.fields, ref.id) : reads.fields,
  };
}

/**
 * What is wrong with node `nodeId`'s reference in the graph, as the end of a sentence that starts with the field
 * (`reads … but there is no node "x"`), or null: an unknown node, the node itself, a non-ancestor (`dag` absent:
 * ancestry is not checked), or a field path into a node whose output is text (`isJson` false).
 */
export function referenceProblem(
  ref: SingleRef,
  nodeId: string,
  indexOf: ReadonlyMap<string, number>,
  dag: CompiledDag | undefined,
  isJson: (id: string) => boolean,
): string | null {
  if (ref.kind !== "node") return null;
  if (!indexOf.has(ref.id)) return `reads ${ref.raw} but there is no node "${ref.id}"`;
  if (ref.id === nodeId) return "reads its own output";
  if (dag && !isAncestor(dag, ref.id, nodeId))
    return `reads ${ref.raw} but "${ref.id}" is not an ancestor of "${nodeId}" (add it to dependsOn)`;
  if (ref.path && !isJson(ref.id))
    return `reads a field of {{nodes.${ref.id}.output}} but "${ref.id}" has no output schema (its output is text)`;
  return null;
}

/**
 * The value a reference resolves to: the input path's value, a node's field, or a node's whole output parsed as JSON
 * (a plain-text output that is not JSON resolves to the text itself).
 * @param ctx the run input and the upstream outputs (node id → text).
 */
export function resolveReference(ref: SingleRef, ctx: TemplateContext): unknown {
  if (ref.kind === "input") return lookup(ctx.input, ref.path);
  if (ref.path) return lookupField(ctx, ref.id, ref.path, new Map());
  const text = ctx.outputs[ref.id];
  return text === undefined ? undefined : jsonOrText(text);
}
