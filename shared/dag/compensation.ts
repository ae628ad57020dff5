/**
 * Saga compensation in the DAG: a node with a `compensate` step (shared/schema/compensate.ts) has a synthetic
 * compensation node `<id>~compensate` (`~` never occurs in a node id). It runs only when its run fails or is
 * cancelled after the node finished, through the same take/dispatch path as any node, after the compensations of
 * the compensable nodes below it (reverse topological order): shared/state/lua/compensate.ts.
 */
import type { CompensateStep } from "../schema/compensate.js";
import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";
import { isAncestor } from "./ancestors.js";
import { renderedSize } from "./prompt-size.js";
import { renderTemplate, type TemplateContext, templateRefs } from "./template.js";
import type { CompiledDag } from "./types.js";

/** Suffix of a compensation node's id. */
export const COMPENSATION_SUFFIX = "~compensate";

/** The id of node `id`'s compensation node. */
export function compensationId(id: string): string {
  return `${id}${COMPENSATION_SUFFIX}`;
}

/** Whether `id` names a compensation node. */
export function isCompensationId(id: string): boolean {
  return id.endsWith(COMPENSATION_SUFFIX);
}

/** The node a compensation node compensates (`a~compensate` → `a`); `id` itself when it is no compensation. */
export function compensatedNodeId(id: string): string {
  return isCompensationId(id) ? id.slice(0, -COMPENSATION_SUFFIX.length) : id;
}

/**
 * The synthetic workflow node that runs node `node`'s compensation: `step.prompt`, the step's agent, retries,
 * timeout and output limit else the node's, the step's routing (the node's model only when the agent is the
 * node's), never the result cache, the node's `sensitive`, failure policy `skip-dependents` (a compensation fails
 * alone: fail_node ignores the policy, and no fail-fast stops the others).
 */
export function compensationNode(node: WorkflowNode, step: CompensateStep): WorkflowNode {
  return {
    id: compensationId(node.id),
    kind: "llm",
    agent: step.agent ?? node.agent,
    prompt: step.prompt,
    dependsOn: [node.id],
    retries: step.retries ?? node.retries,
    timeout: step.timeout ?? node.timeout,
    maxOutputTokens: step.maxOutputTokens ?? node.maxOutputTokens,
    model: step.model ?? (step.agent === undefined ? node.model : undefined),
    complexity: step.complexity,
    cache: false,
    sensitive: node.sensitive,
    onFailure: "skip-dependents",
    simulate: step.simulate,
  };
}

/** Every compensation node of a workflow, in node order. */
export function compensationNodes(workflow: Pick<WorkflowDefinition, "nodes">): WorkflowNode[] {
  return workflow.nodes.flatMap((n) => (n.compensate ? [compensationNode(n, n.compensate)] : []));
}

/**
 * The run meta fields start_run stores for compensation (shared/state/lua/compensate.ts): `compensable`, the
 * compensable node ids in topological order (comma-separated), and per such node `comp:<id>`, its nearest
 * compensable descendants (reached through nodes without a step). Empty when no node has a step.
 */
export function compensationMeta(
  workflow: Pick<WorkflowDefinition, "nodes">,
  dag: CompiledDag,
): Record<string, string> {
  const compensable = new Set(workflow.nodes.filter((n) => n.compensate).map((n) => n.id));
  if (compensable.size === 0) return {};
  // below(id): the nearest compensable nodes strictly below id, computed from the sinks up
  const below = new Map<string, Set<string>>();
  for (let i = dag.order.length - 1; i >= 0; i--) {
    const id = dag.order[i] as string;
    const set = new Set<string>();
    for (const d of dag.dependents[id] ?? []) {
      if (compensable.has(d)) set.add(d);
      else for (const e of below.get(d) ?? []) set.add(e);
    }
    below.set(id, set);
  }
  const ids = dag.order.filter((id) => compensable.has(id));
  const meta: Record<string, string> = { compensable: ids.join(",") };
  for (const id of ids) meta[`comp:${id}`] = [...(below.get(id) ?? [])].join(",");
  return meta;
}

/** What `{{run.status}}` and `{{run.error}}` read in a compensation prompt. */
export interface CompensationRunContext {
  /** How the run ended before compensating: `failed` or `cancelled`. */
  status: string;
  /** Why: the first failed node's error (`<node>: <error>`), or `cancelled`. */
  error: string;
}

const RUN_REF_RE = /\{\{\s*run\.([A-Za-z0-9_$-]*)\s*\}\}/g;

/** The run fields a compensation prompt may read. */
export const COMPENSATION_RUN_FIELDS = ["status", "error"] as const;

/**
 * Renders a compensation prompt: `{{run.status}}` and `{{run.error}}` from `run`, the rest as any template
 * (template.ts `renderTemplate`; a value inserted is never parsed again).
 * @throws TemplateError as renderTemplate.
 */
export function renderCompensationPrompt(template: string, ctx: TemplateContext, run: CompensationRunContext): string {
  let out = "";
  let last = 0;
  for (const m of template.matchAll(RUN_REF_RE)) {
    out += renderTemplate(template.slice(last, m.index), ctx);
    out += m[1] === "status" ? run.status : m[1] === "error" ? run.error : m[0];
    last = m.index + m[0].length;
  }
  return out + renderTemplate(template.slice(last), ctx);
}

/**
 * Characters {@link renderCompensationPrompt} would return, computed without building the string (prompt-size.ts
 * `renderedSize` for the template pieces, plus the run fields' lengths).
 * @param cap stop once the sum passes this many characters (the result is then some number above it).
 */
export function compensationPromptSize(
  template: string,
  ctx: TemplateContext,
  run: CompensationRunContext,
  cap = Number.POSITIVE_INFINITY,
): number {
  let size = 0;
  let last = 0;
  for (const m of template.matchAll(RUN_REF_RE)) {
    size += renderedSize(template.slice(last, m.index), ctx, cap - size);
    size += (m[1] === "status" ? run.status : m[1] === "error" ? run.error : m[0]).length;
    if (size > cap) return size;
    last = m.index + m[0].length;
  }
  return size + renderedSize(template.slice(last), ctx, cap - size);
}

/** One problem in a compensation step: its field (`prompt` or `agent`) and what is wrong. */
export interface CompensationIssue {
  field: "prompt" | "agent";
  detail: string;
}

/**
 * Checks node `node`'s compensation step: its agent exists, and its prompt's expressions parse, read only the node
 * itself or its ancestors (`dag` absent: ancestry is not checked), read a field (`{{nodes.<id>.output.<path>}}`) only of
 * a node with an output schema (`hasSchema`), and read no run field other than {@link COMPENSATION_RUN_FIELDS}.
 */
export function compensationIssues(
  node: WorkflowNode,
  agents: Readonly<Record<string, unknown>>,
  nodeIds: { has(id: string): boolean },
  dag: CompiledDag | undefined,
  hasSchema: (id: string) => boolean,
): CompensationIssue[] {
  const step = node.compensate;
  if (!step) return [];
  const issues: CompensationIssue[] = [];
  const what = `compensation prompt of node "${node.id}"`;
  if (step.agent !== undefined && !Object.hasOwn(agents, step.agent))
    issues.push({ field: "agent", detail: `compensation of node "${node.id}" uses unknown agent "${step.agent}"` });
  for (const m of step.prompt.matchAll(RUN_REF_RE)) {
    if (!(COMPENSATION_RUN_FIELDS as readonly string[]).includes(m[1] as string))
      issues.push({ field: "prompt", detail: `${what} reads ${m[0]}; only {{run.status}} and {{run.error}} exist` });
  }
  const refs = templateRefs(step.prompt);
  for (const bad of refs.invalid) issues.push({ field: "prompt", detail: `${what}: ${bad.reason}` });
  for (const ref of refs.nodes) {
    if (!nodeIds.has(ref))
      issues.push({ field: "prompt", detail: `${what} reads {{nodes.${ref}.output}} but there is no node "${ref}"` });
    else if (ref !== node.id && dag && !isAncestor(dag, ref, node.id))
      issues.push({
        field: "prompt",
        detail: `${what} reads {{nodes.${ref}.output}} but "${ref}" is neither the node nor one of its ancestors`,
      });
  }
  for (const ref of refs.fields) {
    if (nodeIds.has(ref) && !hasSchema(ref))
      issues.push({
        field: "prompt",
        detail: `${what} reads a field of {{nodes.${ref}.output}} but "${ref}" has no output schema (its output is text)`,
      });
  }
  return issues;
}
