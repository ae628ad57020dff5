import { Hono } from "hono";
import { loadRun } from "../shared/engine/run-cache.js";
import { notFound, ProblemError } from "../shared/errors/problem.js";
import { DEFAULT_AGENT_NAME } from "../shared/schema/workflow.js";
import type { AppEnv } from "./app-env.js";

/**
 * `GET /v1/runs/:id/graph` (mounted under `/v1/runs`, behind its API-key check): the run's DAG as drawn by the
 * dashboard, `{runId, workflow, nodes: [{id, agent, level, dependsOn}], edgeCount}`, nodes in topological order
 * (level by level). A run's DAG never changes after it starts (retry and rerun reuse it), so the answer may be
 * cached privately. A run of another tenant answers 404 like an unknown one.
 */
export const runGraphRoutes = new Hono<AppEnv>();

/** How long a browser may keep a run's graph, seconds (it is immutable; the run itself expires sooner or later). */
const GRAPH_MAX_AGE_SECONDS = 3600;

runGraphRoutes.get("/:id/graph", async (c) => {
  const runId = c.req.param("id");
  const { engine } = c.get("services");
  const frozen = /^run_[0-9a-f]{26}$/.test(runId) ? await engine.store.readFrozen(runId) : null;
  const run = frozen && frozen.tenant === c.get("tenant") ? await loadRun(engine.store, runId, frozen) : null;
  if (!run) {
    throw new ProblemError(
      notFound(`No run ${runId} (runs expire after their retention)`, { instance: `/v1/runs/${runId}/graph` }),
    );
  }
  const { dag } = run;
  const nodes = dag.order.map((id) => ({
    id,
    agent: run.nodes.get(id)?.agent ?? DEFAULT_AGENT_NAME,
    level: dag.levelOf[id] as number,
    dependsOn: dag.dependencies[id] ?? [],
  }));
  return c.json({ runId, workflow: run.frozen.workflow.name, nodes, edgeCount: dag.edgeCount }, 200, {
    "Cache-Control": `private, max-age=${GRAPH_MAX_AGE_SECONDS}`,
  });
});
