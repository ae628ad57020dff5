import type { Attributes } from "@opentelemetry/api";
import { AGENT_DAG, GEN_AI } from "../telemetry/attributes.js";
import type { RunTracer } from "../telemetry/run-tracer.js";
import type { ExecuteOutcome, HeldNode } from "./execute-node.js";
import type { LoadedRun } from "./run-cache.js";

/**
 * Runs one node attempt as a span (`node <id>`, shared/telemetry/run-tracer.ts `nodeAttempt`): the node's id, kind,
 * level, attempt, the delivery's lease and the node's effective sensitivity when it starts; its outcome, model,
 * route (tier, reason), cache outcome, tokens (`gen_ai.usage.*`, as billed: what the run view shows for the
 * attempt) and cost in USD when it ends. Never a prompt or an output, nor an error's message (only its type).
 * @throws whatever `fn` throws (the span ends with status error first).
 */
export function traceNodeAttempt(
  tracer: RunTracer,
  run: LoadedRun,
  held: HeldNode,
  lease: string | undefined,
  fn: () => Promise<ExecuteOutcome>,
): Promise<ExecuteOutcome> {
  const runId = run.frozen.runId;
  const node = run.nodes.get(held.nodeId);
  const sensitive = node?.sensitive === true;
  const start: Attributes = {
    [AGENT_DAG.runId]: runId,
    [AGENT_DAG.workflow]: run.frozen.workflow.name,
    [AGENT_DAG.nodeId]: held.nodeId,
    [AGENT_DAG.nodeKind]: node?.kind ?? "llm",
    [AGENT_DAG.nodeLevel]: run.dag.levelOf[held.nodeId] ?? 0,
    [AGENT_DAG.attempt]: held.attempt,
    [AGENT_DAG.sensitive]: sensitive,
    ...(lease ? { [AGENT_DAG.lease]: lease } : {}),
  };
  return tracer.nodeAttempt(runId, `node ${held.nodeId}`, start, fn, {
    describe: outcomeAttributes,
    produced: (out) => out.kind === "ran",
  });
}

/** The attributes of an attempt's outcome (see {@link traceNodeAttempt}). */
function outcomeAttributes(out: ExecuteOutcome): Attributes {
  if (out.kind !== "ran") return { [AGENT_DAG.outcome]: out.kind };
  const r = out.result;
  return {
    [AGENT_DAG.outcome]: "ran",
    [GEN_AI.responseModel]: r.model,
    [GEN_AI.inputTokens]: r.usage.inputTokens,
    [GEN_AI.outputTokens]: r.usage.outputTokens,
    [AGENT_DAG.cacheReadTokens]: r.usage.cacheReadTokens,
    [AGENT_DAG.cacheWriteTokens]: r.usage.cacheWriteTokens,
    [AGENT_DAG.costUsd]: r.costMicroUsd / 1e6,
    [AGENT_DAG.routeSource]: r.route.source,
    [AGENT_DAG.tier]: r.route.tier ?? "none",
    [AGENT_DAG.reason]: r.route.reason,
    [AGENT_DAG.cacheOutcome]: r.cache?.outcome ?? "off",
    ...(r.cache ? { [AGENT_DAG.cacheSavedUsd]: r.cache.savedMicroUsd / 1e6 } : {}),
    [AGENT_DAG.simulated]: r.simulated,
  };
}
