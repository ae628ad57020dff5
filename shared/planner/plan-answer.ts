/**
 * What the planner model answers (structured output): either the name of a registered or bundled workflow whose
 * description fits the task, or a DAG over the candidate agents. The JSON Schema is sent with the call
 * (shared/providers/structured-output.ts checks the answer against it, retrying once on a mismatch).
 */
import type { OutputJsonSchema } from "../schema/output-schema.js";

/** Most nodes a planned DAG may have (ours: a plan is read by a person before it runs). */
export const MAX_PLAN_NODES = 16;

/** Longest prompt the planner may write for one node, characters (ours; workflow prompts allow 200,000). */
export const MAX_PLAN_PROMPT_CHARS = 8000;

/** One planned node: its id, the agent that runs it, its prompt template and the ids it waits for. */
export interface PlanAnswerNode {
  id: string;
  agent: string;
  prompt: string;
  dependsOn: string[];
}

/**
 * A planner answer: `workflow` names a candidate workflow to run as is (then `nodes` is ignored and may be empty);
 * otherwise `nodes` is the DAG. `reason` says why, for the preview.
 */
export interface PlanAnswer {
  workflow?: string | undefined;
  reason: string;
  nodes: PlanAnswerNode[];
}

/** JSON Schema (output-schema.ts subset) of {@link PlanAnswer}, sent to the model and checked on its answer. */
export const PLAN_ANSWER_SCHEMA: OutputJsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["reason", "nodes"],
  properties: {
    workflow: {
      type: "string",
      maxLength: 64,
      description: "name of a listed workflow that fits the task as is; omit it to plan nodes",
    },
    reason: { type: "string", minLength: 1, maxLength: 2000, description: "why this workflow or these nodes" },
    nodes: {
      type: "array",
      maxItems: MAX_PLAN_NODES,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "agent", "prompt", "dependsOn"],
        properties: {
          id: { type: "string", minLength: 1, maxLength: 128 },
          agent: { type: "string", minLength: 1, maxLength: 64, description: "one of the listed agents" },
          prompt: { type: "string", minLength: 1, maxLength: MAX_PLAN_PROMPT_CHARS },
          dependsOn: { type: "array", maxItems: MAX_PLAN_NODES, items: { type: "string", maxLength: 128 } },
        },
      },
    },
  },
};
