/**
 * A sub-workflow node's input (shared/schema/workflow-node.ts): what its templates read, and their rendering into the
 * child run's input JSON. Pure.
 */

import {
  parseTemplate,
  renderTemplate,
  type TemplateContext,
  type TemplateRefs,
  templateRefs,
} from "../dag/template.js";
import { type SubWorkflowSpec, subWorkflowTemplates } from "../schema/workflow-node.js";
import { jsonOrText } from "../util/json-or-text.js";

/** What a sub-workflow node's input templates read, merged (each input path and node id once, first seen first). */
export function subWorkflowReads(spec: SubWorkflowSpec): TemplateRefs {
  const merged: TemplateRefs = { inputs: [], nodes: [], fields: [], whole: [], invalid: [] };
  for (const t of subWorkflowTemplates(spec)) {
    const r = templateRefs(t.template);
    for (const k of ["inputs", "nodes", "fields", "whole"] as const)
      for (const v of r[k]) if (!merged[k].includes(v)) merged[k].push(v);
    merged.invalid.push(...r.invalid);
  }
  return merged;
}

/**
 * Renders one input template: a template that is exactly one `{{…}}` expression whose text is JSON gives that JSON
 * value (an upstream structured output, an object of the run input); anything else gives the rendered string.
 * @throws TemplateError for an expression that cannot render (validated before the run, so not expected).
 */
function renderValue(template: string, ctx: TemplateContext): unknown {
  const text = renderTemplate(template, ctx);
  const parts = parseTemplate(template.trim());
  if (parts.length !== 1 || parts[0]?.kind === "text") return text;
  return jsonOrText(text);
}

/**
 * The child run's input: one template rendered ({@link renderValue}), or an object of the rendered templates by key.
 * @param ctx the parent run's input and the upstream outputs the templates read.
 * @throws TemplateError (see {@link renderValue}).
 */
export function renderSubWorkflowInput(spec: SubWorkflowSpec, ctx: TemplateContext): unknown {
  if (typeof spec.input === "string") return renderValue(spec.input, ctx);
  return Object.fromEntries(Object.entries(spec.input).map(([k, t]) => [k, renderValue(t, ctx)]));
}
