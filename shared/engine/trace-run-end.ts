import { AGENT_DAG } from "../telemetry/attributes.js";
import type { Engine } from "./engine.js";
import { loadRun } from "./run-cache.js";

/** Run statuses that end a run (its root span ends then). */
const ENDED: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);

/**
 * With tracing on, exports the run's root span (`run <workflow>`, from the run's creation to now) when `t` is the
 * transition that ended the run (`applied`, and the run's status after it is terminal): a repeat of that transition
 * is not applied, so the span is exported once per end. Off, or for any other transition: nothing, no Redis read.
 * @throws UpstashError when the run must be read from Redis (not in the isolate's cache) and Redis fails.
 */
export async function traceRunEnd(
  engine: Engine,
  runId: string,
  t: { applied: boolean; runStatus: string },
): Promise<void> {
  const tracing = engine.tracing;
  if (!tracing || !t.applied || !ENDED.has(t.runStatus)) return;
  const run = await loadRun(engine.store, runId);
  if (!run) return;
  tracing.endRun(runId, `run ${run.frozen.workflow.name}`, run.frozen.createdAt, {
    [AGENT_DAG.runId]: runId,
    [AGENT_DAG.workflow]: run.frozen.workflow.name,
    [AGENT_DAG.runStatus]: t.runStatus,
  });
}
