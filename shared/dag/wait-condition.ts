/**
 * Conditional wait nodes (`wait.when`, shared/schema/node-kinds.ts `waitConditionSchema`): what the condition
 * reads, its validation, and its value at run time (shared/engine/wait-node.ts asks only when it holds).
 *
 * Two forms, each built on exactly one reference (`{{input.<path>}}` or `{{nodes.<id>.output…}}` of an ancestor):
 * - `"{{nodes.check.output.risky}}"`: asks when the reference resolves to `true`;
 * - `{ "any": "{{nodes.review.output}}", "field": "securityIssue" }`: asks when the `field` of any element of the
 *   array is `true`.
 * The condition is false only when every value it reads is `false` (an empty array included): then the node
 * completes without asking. A value that is missing, not a boolean or not an array asks: an approval is never
 * skipped because its condition could not be read.
 */
import type { WaitCondition } from "../schema/node-kinds.js";
import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";
import { referenceProblem, resolveReference, type SingleRef, withReference } from "./single-reference.js";
import { lookup, parsePath, parseTemplate, type TemplateContext, type TemplateRefs } from "./template.js";
import type { CompiledDag } from "./types.js";

/** The `source` recorded (run meta `resolved:<id>`) for a wait node completed unasked because its `wait.when` is
 * false (shared/engine/wait-node.ts); the run view shows it as `asked: false`. */
export const CONDITION_SOURCE = "condition";

/** A `wait.when` parsed: its one reference, and for the `any` form the field path read in each element. */
export interface ParsedCondition {
  ref: SingleRef;
  /** `any` form: the path inside each element (`["risk", "high"]`); absent for the single-reference form. */
  field?: string[];
}

/** The reference text of a condition: the string itself, or its `any`. */
function referenceOf(when: WaitCondition): string {
  return typeof when === "string" ? when : when.any;
}

/**
 * Parses a `wait.when`: exactly one `{{input…}}` or `{{nodes.<id>.output…}}` expression (surrounding spaces
 * allowed), and for the `any` form a field path.
 * @returns the parsed condition, or why it is not one.
 */
export function parseWaitCondition(
  when: WaitCondition,
): { ok: true; condition: ParsedCondition } | { ok: false; reason: string } {
  const raw = referenceOf(when);
  const parts = parseTemplate(raw.trim());
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.kind === "invalid") return { ok: false, reason: only.reason };
  if (only?.kind !== "input" && only?.kind !== "node")
    return {
      ok: false,
      reason: `must be exactly one reference, {{input.<path>}} or {{nodes.<id>.output…}} (got ${JSON.stringify(raw.slice(0, 80))})`,
    };
  if (typeof when === "string") return { ok: true, condition: { ref: only } };
  const field = parsePath(`.${when.field}`);
  if (!field) return { ok: false, reason: `field ${JSON.stringify(when.field)} is not a path` };
  return { ok: true, condition: { ref: only, field } };
}

/**
 * What a wait node reads: its prompt's references and its condition's, merged (the condition as a field read when it
 * has a path; never a `whole` read, as it is not rendered); `promptRefs` unchanged without a parsable condition.
 */
export function waitNodeReads(node: WorkflowNode, promptRefs: TemplateRefs): TemplateRefs {
  const parsed = node.wait?.when === undefined ? undefined : parseWaitCondition(node.wait.when);
  return parsed?.ok ? withReference(promptRefs, parsed.condition.ref) : promptRefs;
}

/** One problem with a wait node's condition: the node's index and id, the field (`wait/when` or `wait/when/any`). */
export interface WaitConditionIssue {
  index: number;
  node: string;
  field: "wait/when" | "wait/when/any";
  detail: string;
}

/**
 * Checks every wait node's `wait.when`: one reference that parses, to the run input or to an existing ancestor
 * (`dag` absent: ancestry is not checked), a field path only on a node whose output is JSON (`isJson`).
 * @param indexOf node id → its position in `workflow.nodes`.
 */
export function waitConditionIssues(
  workflow: Pick<WorkflowDefinition, "nodes">,
  indexOf: ReadonlyMap<string, number>,
  dag: CompiledDag | undefined,
  isJson: (id: string) => boolean,
): WaitConditionIssue[] {
  const issues: WaitConditionIssue[] = [];
  for (const [index, node] of workflow.nodes.entries()) {
    const when = node.wait?.when;
    if (when === undefined) continue;
    const field = typeof when === "string" ? "wait/when" : "wait/when/any";
    const add = (detail: string) =>
      issues.push({ index, node: node.id, field, detail: `"wait.when" of node "${node.id}" ${detail}` });
    const parsed = parseWaitCondition(when);
    if (!parsed.ok) {
      add(parsed.reason);
      continue;
    }
    const problem = referenceProblem(parsed.condition.ref, node.id, indexOf, dag, isJson);
    if (problem) add(problem);
  }
  return issues;
}

/** What a condition came to: whether the node asks, and why (for logs and the run's records). */
export interface ConditionValue {
  ask: boolean;
  reason: string;
}

/**
 * Evaluates a parsed condition against the run input and the upstream outputs (see the module header).
 * @param ctx the run input and the upstream outputs the wait node reads (node id → text).
 */
export function evaluateWaitCondition(condition: ParsedCondition, ctx: TemplateContext): ConditionValue {
  const value = resolveReference(condition.ref, ctx);
  const raw = condition.ref.raw;
  if (!condition.field) {
    if (value === true) return { ask: true, reason: `${raw} is true` };
    if (value === false) return { ask: false, reason: `${raw} is false` };
    return { ask: true, reason: `${raw} is not a boolean` };
  }
  if (!Array.isArray(value)) return { ask: true, reason: `${raw} is not an array` };
  const name = condition.field.join(".");
  const values = value.map((element) => lookup(element, condition.field as string[]));
  const at = values.indexOf(true);
  if (at >= 0) return { ask: true, reason: `element ${at} of ${raw} has ${name} true` };
  const unread = values.findIndex((v) => v !== false);
  if (unread >= 0) return { ask: true, reason: `element ${unread} of ${raw} has no boolean ${name}` };
  return { ask: false, reason: `no element of ${raw} has ${name} true (${values.length} elements)` };
}
