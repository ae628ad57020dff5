/**
 * The `workflow` block of a sub-workflow node (`kind: "workflow"`, node-kinds.ts): the node starts a bundled or
 * registered workflow as a child run of its own run (shared/engine/sub-workflow-node.ts) and ends as that child run
 * ends. `name` (and `version`, for a registered workflow) picks the child; `input` is the child run's input, built
 * from templates like a prompt: one template (`"{{nodes.a.output}}"`; its rendered text is the input, parsed as JSON
 * when it is JSON) or an object of templates (`{ "topic": "{{input.topic}}" }`; each value rendered to a string, or to
 * the JSON value it reads when the template is exactly one `{{…}}` that renders JSON).
 */
import { z } from "zod";

/**
 * Deepest nesting of sub-workflow runs: a top-level run is depth 0, its children depth 1, …; a child that would be
 * deeper fails its node without retries (ours: Temporal and Step Functions allow deeper nesting, but four levels keep
 * a cancel cascade and the budget chain short; cycles are refused at validation where the names are static).
 */
export const MAX_WORKFLOW_DEPTH = 4;

/** Most keys of an object `input` (ours; a child run's input is an ordinary run input, capped like a trigger's). */
export const MAX_SUB_WORKFLOW_INPUT_KEYS = 64;

/** Longest input template, in characters (the prompt cap: shared/schema/workflow.ts `MAX_PROMPT_CHARS`). */
export const MAX_SUB_WORKFLOW_TEMPLATE_CHARS = 200_000;

const template = z.string().max(MAX_SUB_WORKFLOW_TEMPLATE_CHARS);

/**
 * A sub-workflow node's settings: `name` (a workflow name: the tenant's registry first, then the bundled workflows),
 * `version` (a registered version, integer ≥ 1; absent: the latest when the node starts) and `input` (default `{}`:
 * one template, or an object of up to {@link MAX_SUB_WORKFLOW_INPUT_KEYS} templates).
 */
export const subWorkflowSpecSchema = z.strictObject({
  // workflow.ts WORKFLOW_NAME_RE (not imported: workflow.ts imports this file)
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: "name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
  version: z.number().int().min(1).optional(),
  input: z
    .union([
      template,
      z
        .record(z.string().min(1).max(128), template)
        .refine((o) => Object.keys(o).length <= MAX_SUB_WORKFLOW_INPUT_KEYS, {
          message: `input has at most ${MAX_SUB_WORKFLOW_INPUT_KEYS} keys`,
        }),
    ])
    .default({}),
});

/** A parsed {@link subWorkflowSpecSchema}. */
export type SubWorkflowSpec = z.output<typeof subWorkflowSpecSchema>;

/** The templates of a sub-workflow node's input, each with its path inside the node (for validation and reads). */
export function subWorkflowTemplates(spec: SubWorkflowSpec): { path: (string | number)[]; template: string }[] {
  if (typeof spec.input === "string") return [{ path: ["workflow", "input"], template: spec.input }];
  return Object.entries(spec.input).map(([k, t]) => ({ path: ["workflow", "input", k], template: t }));
}

/** The description a sub-workflow node without a `prompt` gets: `workflow <name>[@<version>]` (never rendered). */
export function subWorkflowDescription(spec: Pick<SubWorkflowSpec, "name" | "version">): string {
  return `workflow ${spec.name}${spec.version === undefined ? "" : `@${spec.version}`}`;
}
