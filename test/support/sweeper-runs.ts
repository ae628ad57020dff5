import { expect } from "vitest";
import type { Env } from "../../functions/env.js";
import { services } from "../../functions/services.js";
import { validateWorkflow } from "../../shared/dag/validate.js";
import type { Engine } from "../../shared/engine/engine.js";
import { startRun } from "../../shared/engine/start-run.js";
import { type SweepReport, sweep } from "../../shared/engine/sweeper.js";
import type { Harness } from "./worker-harness.js";
import { workflow } from "./workflows.js";

/**
 * An engine in this process on the harness's local stack and key prefix (as the worker's scheduled handler builds
 * it), with a 1 s sweeper grace (SWEEPER_GRACE_SECONDS) and a 60 s retention, so a test can start runs and sweep
 * without waiting for the cron.
 */
export function sweeperEngine(h: Harness): Engine {
  const env = {
    UPSTASH_REDIS_REST_URL: h.stack.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: h.stack.redisToken,
    QSTASH_URL: h.stack.qstashUrl,
    QSTASH_TOKEN: h.stack.qstashToken,
    QSTASH_CURRENT_SIGNING_KEY: h.stack.signingKeys.current,
    QSTASH_NEXT_SIGNING_KEY: h.stack.signingKeys.next,
    API_KEYS: "dev:dev-key",
    ENVIRONMENT: "development",
    KEY_PREFIX: h.prefix,
    RUN_RETENTION_SECONDS: "60",
    SWEEPER_GRACE_SECONDS: "1",
  } as Env;
  return services(env).engine;
}

/**
 * Starts a run from this process as POST /v1/runs would, but crashes before publishing: nothing is published.
 * @param baseUrl the worker's origin (QStash's destination once the sweeper re-offers).
 * @param agoMs how long ago the run seems to have started (its clock is shifted back), ms.
 * @returns the run id.
 */
export async function startWithoutPublishing(
  engine: Engine,
  baseUrl: string,
  nodes: unknown[],
  agoMs = 0,
): Promise<string> {
  const v = validateWorkflow(workflow(nodes, { nodesPerDelivery: 1 }));
  if (!v.ok) throw new Error(JSON.stringify(v.problem));
  const dispatcher: Engine["dispatcher"] = Object.assign(Object.create(engine.dispatcher), {
    dispatch: async () => 0,
  });
  const silent: Engine = { ...engine, dispatcher, now: () => Date.now() - agoMs };
  const { runId } = await startRun(silent, {
    tenant: "dev",
    workflow: v.workflow,
    dag: v.dag,
    input: {},
    simulate: { latencyMs: 20 },
    trigger: "api",
    baseUrl,
  });
  return runId;
}

/**
 * Waits past a 1 s grace period (SWEEPER_GRACE_SECONDS=1), then runs one sweep, which must report no error.
 * @returns the sweep's report and this run's repairs as `nodeId:reason`.
 */
export async function sweepAfterGrace(
  engine: Engine,
  runId: string,
): Promise<{ report: SweepReport; repairs: string[] }> {
  await new Promise((r) => setTimeout(r, 1_100));
  const report = await sweep(engine);
  expect(report.errors).toEqual([]);
  return { report, repairs: report.repairs.filter((r) => r.runId === runId).map((r) => `${r.nodeId}:${r.reason}`) };
}
