import type { WorkflowDefinition } from "../schema/workflow.js";
import { compileDag } from "./compile.js";
import type { CompiledDag } from "./types.js";

/**
 * Compiles a workflow's DAG with the weights every part of the engine uses: a node's `simulate.latencyMs` when set
 * (ms), else the compiler's default of 1. Weights drive the critical-path estimate and the dispatch priority
 * (longest remaining path), so validation and later deliveries must agree on them.
 * @throws DagError for an invalid graph (cannot happen for a validated workflow).
 */
export function compileWorkflowDag(workflow: Pick<WorkflowDefinition, "nodes">): CompiledDag {
  return compileDag(workflow.nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn, weightMs: n.simulate?.latencyMs })));
}
