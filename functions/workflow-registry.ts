import type { CompiledDag } from "../shared/dag/types.js";
import { validateWorkflow } from "../shared/dag/validate.js";
import type { WorkflowDefinition } from "../shared/schema/workflow.js";
import flowiseAsk from "../workflows/flowise-ask.json";
import hello from "../workflows/hello.json";
import reviewAll from "../workflows/review-all.json";
import reviewChanges from "../workflows/review-changes.json";
import { withBundledAgents } from "./agent-registry.js";

/** Workflow definitions bundled with the worker (from `workflows/*.json`), startable by name. */
export const BUNDLED_WORKFLOWS: readonly unknown[] = [hello, reviewAll, flowiseAsk, reviewChanges];

const compiled = new Map<string, { workflow: WorkflowDefinition; dag: CompiledDag }>();

/**
 * A bundled workflow by name, validated and compiled once per isolate.
 * @returns undefined when no bundled workflow has that name.
 * @throws Error when a bundled definition is invalid (a packaging bug; tests keep it from shipping).
 */
export function bundledWorkflow(name: string): { workflow: WorkflowDefinition; dag: CompiledDag } | undefined {
  if (compiled.size === 0) {
    for (const raw of BUNDLED_WORKFLOWS) {
      const v = validateWorkflow(withBundledAgents(raw));
      if (!v.ok) throw new Error(`bundled workflow is invalid: ${JSON.stringify(v.problem)}`);
      compiled.set(v.workflow.name, { workflow: v.workflow, dag: v.dag });
    }
  }
  return compiled.get(name);
}
