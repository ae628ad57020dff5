/**
 * Effective settings of one node: node value, else workflow default / agent value, else the contract default.
 */
import { parseDurationMs } from "./duration.js";
import type { FailurePolicy, WorkflowDefinition, WorkflowNode } from "./workflow.js";

/**
 * Resolved per-node settings.
 * - `retries`: QStash `Upstash-Retries` value (0..10).
 * - `timeoutMs`: request timeout in ms (1..7,200,000).
 * - `maxOutputTokens`: output limit in tokens, or `undefined` when neither node nor agent sets one.
 */
export type NodeSettings = { retries: number; timeoutMs: number; maxOutputTokens: number | undefined };

/**
 * Resolves a node's effective settings: `node.retries ?? workflow.defaults.retries`,
 * `node.timeout ?? workflow.defaults.timeout` (in ms), `node.maxOutputTokens ?? agent.maxOutputTokens`.
 *
 * @throws RangeError if a timeout is not a valid duration (cannot happen for schema-parsed definitions).
 */
export function resolveNodeSettings(workflow: WorkflowDefinition, node: WorkflowNode): NodeSettings {
  const agent = Object.hasOwn(workflow.agents, node.agent) ? workflow.agents[node.agent] : undefined;
  return {
    retries: node.retries ?? workflow.defaults.retries,
    timeoutMs: parseDurationMs(node.timeout ?? workflow.defaults.timeout),
    maxOutputTokens: node.maxOutputTokens ?? agent?.maxOutputTokens,
  };
}

/**
 * A node's failure policy: `node.onFailure ?? workflow.onFailure ?? "skip-dependents"` (see FAILURE_POLICIES in
 * workflow.ts).
 */
export function resolveFailurePolicy(workflow: WorkflowDefinition, node: WorkflowNode | undefined): FailurePolicy {
  return node?.onFailure ?? workflow.onFailure ?? "skip-dependents";
}
