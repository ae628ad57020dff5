/**
 * Full validation of a workflow definition at the trust boundary: schema (zod), then graph rules, agent
 * references and prompt templates. Every problem is collected into one RFC 9457 problem (422
 * `invalid-workflow`) whose `errors` name the field (JSON Pointer) and the node.
 *
 * Phases: when the schema fails, its problems are reported with the graph problems the raw node list shows where
 * it can be read (raw-graph.ts), so that fixing one field does not reveal a second round of errors. When the
 * schema passes, graph, agent and template problems are reported together. Template ancestry is only checked when
 * the graph itself is valid; references to nodes that do not exist are always reported.
 *
 * Field errors (`pointer`, `node`):
 * - schema: wrong types, bad names/ids, out-of-range values, unknown keys, 0 or more than `maxNodes` nodes
 *   (`/nodes`);
 * - graph: duplicate id (`/nodes/<i>/id`), unknown or self dependency, cycle (`/nodes/<i>/dependsOn/<j>`, for a
 *   cycle that of its first node; detail `a -> b -> a`, each depending on the next); listed beside schema
 *   problems too, except at a pointer a schema problem already names;
 * - agent: `node.agent` (default `DEFAULT_AGENT_NAME`) not among `agents` (`/nodes/<i>/agent`);
 * - template: malformed, or reading a missing node, itself, a non-ancestor or a field of a node without `output.schema`
 *   (`/nodes/<i>/prompt`); a compensation step's too, and its agent and `run.` fields (`/nodes/<i>/compensate/…`);
 * - http: request templates (not the prompt), secrets, URL ({@link HttpValidation}; `/nodes/<i>/http/…`);
 * - workflow: input templates (not the prompt; `/nodes/<i>/workflow/input[/<key>]`); whether the named workflow
 *   exists and names no cycle is checked against the registry afterwards (sub-workflow-refs.ts);
 * - map: `over` not exactly one reference to the run input or an ancestor (`/nodes/<i>/over`), and `{{item…}}` or
 *   `{{index}}` outside a map node's prompt, or malformed (`/nodes/<i>/prompt`, `/nodes/<i>/compensate/prompt`:
 *   map-refs.ts); a field read also works on a map node (its output is a JSON array);
 * - wait: `wait.when` not exactly one reference to the run input or an ancestor, or a field read of a text output
 *   (`/nodes/<i>/wait/when`, `/nodes/<i>/wait/when/any`: wait-condition.ts).
 */

import { pointer } from "../errors/json-pointer.js";
import type { ProblemDetails, ProblemFieldError } from "../errors/problem.js";
import { invalidWorkflow } from "../errors/problem.js";
import { zodIssuesToFieldErrors } from "../errors/zod-issues.js";
import { httpSpecIssues, httpTemplates } from "../http/http-templates.js";
import type { HttpNodePolicy } from "../http/ssrf-guard.js";
import {
  DEFAULT_AGENT_NAME,
  MAX_NODES,
  type WorkflowDefinition,
  type WorkflowNode,
  workflowDefinitionSchema,
} from "../schema/workflow.js";
import { subWorkflowTemplates } from "../schema/workflow-node.js";
import { isAncestor } from "./ancestors.js";
import { compensationIssues } from "./compensation.js";
import type { DagIssue } from "./dag-error.js";
import { analyzeGraph } from "./graph.js";
import { mapIssues } from "./map-refs.js";
import { rawGraphIssues } from "./raw-graph.js";
import { templateRefs } from "./template.js";
import type { CompiledDag } from "./types.js";
import { waitConditionIssues } from "./wait-condition.js";
import { compileWorkflowDag } from "./workflow-dag.js";

/** Most field errors listed in one problem; the `detail` still gives the total. Bounds the response size. */
export const MAX_REPORTED_ERRORS = 100;

/**
 * The deployment's http node rules, {@link validateWorkflow}'s `opts.http`: the SSRF policy a literal URL (or a
 * templated URL's literal origin) must pass (shared/http/ssrf-guard.ts), and the secret names header values may read
 * (`HTTP_NODE_SECRETS`). An http node's url, header values and body strings are checked as templates instead of its
 * prompt, where a field read of an http node works (its response is JSON); a secret outside a header value is refused
 * too. Without `opts.http` (bundled workflows at load) the URL and secret names are not checked: every URL is checked
 * again when it renders.
 */
export interface HttpValidation {
  policy: HttpNodePolicy;
  secrets: readonly string[];
}

/** Outcome of {@link validateWorkflow}: the parsed definition and its compiled DAG, or a problem to answer with. */
export type WorkflowValidation =
  | { ok: true; workflow: WorkflowDefinition; dag: CompiledDag }
  | { ok: false; problem: ProblemDetails };

/**
 * Validates an untrusted workflow definition. Never throws on bad input. Field errors (`pointer`, `node`) are those
 * listed in the file comment (schema, graph, agent, template, http, map).
 * @param raw - the parsed JSON value claimed to be a workflow definition.
 * @param basePointer - pointer of that value inside the request body, e.g. `"/workflow"`; default `""`.
 * @param opts.maxNodes - the deployment's node limit (`MAX_WORKFLOW_NODES`), default {@link MAX_NODES} (1,000).
 * @returns `{ ok: true, workflow, dag }` (DAG weights `simulate.latencyMs`, else 1) or `{ ok: false, problem }` (422).
 */
export function validateWorkflow(
  raw: unknown,
  basePointer = "",
  opts: { maxNodes?: number; http?: HttpValidation | undefined } = {},
): WorkflowValidation {
  const maxNodes = opts.maxNodes ?? MAX_NODES;
  const rawNodes =
    raw !== null && typeof raw === "object" && Object.hasOwn(raw, "nodes")
      ? (raw as { nodes: unknown }).nodes
      : undefined;
  if (Array.isArray(rawNodes) && rawNodes.length > maxNodes) {
    // checked before the schema, so an oversized definition is not parsed node by node
    return {
      ok: false,
      problem: toProblem([
        {
          pointer: pointer(["nodes"], basePointer),
          detail: `a workflow has at most ${maxNodes} nodes (got ${rawNodes.length})`,
        },
      ]),
    };
  }
  const at = (i: number, ...rest: PropertyKey[]): string => pointer(["nodes", i, ...rest], basePointer);
  const parsed = workflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    const schemaErrors = zodIssuesToFieldErrors(parsed.error, basePointer, (path) => rawNodeId(raw, path));
    const named = schemaErrors.map((e) => e.pointer);
    const graphErrors = graphFieldErrors(rawGraphIssues(rawNodes), at).filter(
      (e) => !named.some((p) => e.pointer === p || e.pointer.startsWith(`${p}/`)),
    );
    return { ok: false, problem: toProblem([...schemaErrors, ...graphErrors]) };
  }

  const workflow = parsed.data;
  const errors: ProblemFieldError[] = [];

  const graph = analyzeGraph(workflow.nodes);
  errors.push(...graphFieldErrors(graph.issues, at));

  const agentNames = Object.keys(workflow.agents);
  workflow.nodes.forEach((node, i) => {
    if (!Object.hasOwn(workflow.agents, node.agent)) {
      errors.push({
        pointer: at(i, "agent"),
        node: node.id,
        detail:
          node.agent === DEFAULT_AGENT_NAME
            ? `node "${node.id}" uses the default agent "${DEFAULT_AGENT_NAME}", which is not defined (defined: ${listNames(agentNames)})`
            : `node "${node.id}" uses unknown agent "${node.agent}" (defined: ${listNames(agentNames)})`,
      });
    }
  });

  const dag = graph.issues.length === 0 ? compileWorkflowDag(workflow) : undefined;

  // an output read by field must be JSON: a node with an output schema, an http node (its response), or a map node
  // (the array of its children's outputs: map-refs.ts)
  const isJson = (index: number | undefined): boolean =>
    index !== undefined &&
    (workflow.nodes[index]?.output !== undefined ||
      workflow.nodes[index]?.kind === "http" ||
      workflow.nodes[index]?.kind === "map" ||
      // a wait node's output is its signal as JSON: {approved, payload, signalledAt} (shared/engine/wait-node.ts)
      workflow.nodes[index]?.kind === "wait" ||
      // a workflow node's output is its child's sink outputs as JSON (shared/engine/sub-workflow-node.ts)
      workflow.nodes[index]?.kind === "workflow");
  const templateErrors = (node: WorkflowNode, i: number, template: string, path: (string | number)[]): void => {
    const where = `${path.join(".")} of node "${node.id}"`;
    const refs = templateRefs(template);
    for (const bad of refs.invalid) {
      errors.push({ pointer: at(i, ...path), node: node.id, detail: `${where}: ${bad.reason}` });
    }
    for (const ref of refs.nodes) {
      let detail: string | undefined;
      if (!graph.indexOf.has(ref)) {
        detail = `${where} reads {{nodes.${ref}.output}} but there is no node "${ref}"`;
      } else if (ref === node.id) {
        detail = `${where} reads its own output`;
      } else if (dag && !isAncestor(dag, ref, node.id)) {
        detail = `${where} reads {{nodes.${ref}.output}} but "${ref}" is not an ancestor of "${node.id}" (add it to dependsOn)`;
      }
      if (detail !== undefined) errors.push({ pointer: at(i, ...path), node: node.id, detail });
    }
    for (const ref of refs.fields) {
      const index = graph.indexOf.get(ref);
      if (index === undefined || isJson(index)) continue;
      errors.push({
        pointer: at(i, ...path),
        node: node.id,
        detail: `${where} reads a field of {{nodes.${ref}.output}} but "${ref}" has no output schema (its output is text)`,
      });
    }
  };
  workflow.nodes.forEach((node, i) => {
    // an http node's prompt is a description, never rendered: its request's templates are checked instead
    // a workflow node's prompt is a description too: its input's templates are checked instead
    if (node.kind === "workflow" && node.workflow) {
      for (const t of subWorkflowTemplates(node.workflow)) templateErrors(node, i, t.template, t.path);
      return;
    }
    if (node.kind !== "http" || !node.http) {
      templateErrors(node, i, node.prompt, ["prompt"]);
      return;
    }
    for (const t of httpTemplates(node.http)) templateErrors(node, i, t.template, t.path);
    for (const issue of httpSpecIssues(node.http, opts.http?.policy, opts.http?.secrets))
      errors.push({ pointer: at(i, ...issue.path), node: node.id, detail: `node "${node.id}": ${issue.detail}` });
  });

  const hasSchema = (id: string): boolean => isJson(graph.indexOf.get(id));
  workflow.nodes.forEach((node, i) => {
    for (const issue of compensationIssues(node, workflow.agents, graph.indexOf, dag, hasSchema))
      errors.push({ pointer: at(i, "compensate", issue.field), node: node.id, detail: issue.detail });
  });
  for (const issue of mapIssues(workflow, graph.indexOf, dag, hasSchema))
    errors.push({ pointer: at(issue.index, ...issue.field.split("/")), node: issue.node, detail: issue.detail });
  for (const issue of waitConditionIssues(workflow, graph.indexOf, dag, hasSchema))
    errors.push({ pointer: at(issue.index, ...issue.field.split("/")), node: issue.node, detail: issue.detail });

  if (errors.length > 0 || !dag) return { ok: false, problem: toProblem(errors) };
  return { ok: true, workflow, dag };
}

/** Graph issues as field errors: a duplicate id points at the later node's `id`, the rest at a `dependsOn` entry. */
function graphFieldErrors(issues: readonly DagIssue[], at: (i: number, ...rest: PropertyKey[]) => string) {
  return issues.map(
    (issue): ProblemFieldError => ({
      pointer:
        issue.code === "duplicate-id"
          ? at(issue.index, "id")
          : at(issue.index, "dependsOn", issue.dependencyIndex ?? 0),
      node: issue.node,
      detail: issue.message,
    }),
  );
}

/** The id of the raw node an issue path points into (`["nodes", i, …]`), if it has a string id. */
function rawNodeId(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== "nodes" || typeof path[1] !== "number") return undefined;
  if (raw === null || typeof raw !== "object" || !Object.hasOwn(raw, "nodes")) return undefined;
  const nodes = (raw as { nodes: unknown }).nodes;
  if (!Array.isArray(nodes)) return undefined;
  const node: unknown = nodes[path[1]];
  if (node === null || typeof node !== "object" || !Object.hasOwn(node, "id")) return undefined;
  const id = (node as { id: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

function listNames(names: readonly string[]): string {
  if (names.length === 0) return "none";
  const shown = names
    .slice(0, 10)
    .map((n) => `"${n}"`)
    .join(", ");
  return names.length > 10 ? `${shown}, …` : shown;
}

function toProblem(errors: ProblemFieldError[]): ProblemDetails {
  const first = errors[0]?.detail ?? "invalid workflow definition";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
  return invalidWorkflow(`Invalid workflow definition: ${first}${more}`, {
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
  });
}
