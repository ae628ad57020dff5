import type { RunBudget } from "../budget/budget-spec.js";
import type { CompiledDag } from "../dag/compile.js";
import { dispatchUnavailable, idempotencyConflict, ProblemError } from "../errors/problem.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import type { FrozenRun } from "../state/run-types.js";
import { canonicalJson, sha256Hex } from "../util/hash.js";
import { nodesPerDelivery } from "./chain-policy.js";
import { dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { loadRun, prepareRun, rememberRun } from "./run-cache.js";

/** A validated request to start a run. */
export interface StartRunRequest {
  tenant: string;
  workflow: WorkflowDefinition;
  dag: CompiledDag;
  /** Run input (any JSON value); stored as a blob and read by templates as `{{input.*}}`. */
  input: unknown;
  simulate: { latencyMs?: number | undefined } | null;
  /** Run budget from the trigger; null falls back to the workflow's `budget`. */
  budget?: RunBudget | null | undefined;
  /** `Idempotency-Key` header (or a cron firing's id): the same key returns the same run. */
  idempotencyKey?: string | undefined;
  /** `api` or `cron:<expression>`. */
  trigger: string;
  /** Public origin QStash must call back, no trailing slash. */
  baseUrl: string;
}

/** Result of {@link startRun}: `created` false means an idempotent repeat of an existing run. */
export interface StartRunOutcome {
  runId: string;
  created: boolean;
  status: string;
}

/**
 * Run id: with an idempotency key, derived from it (`run_` + the first 26 hex of SHA-256 of tenant and key), so a
 * repeated trigger lands on the same keys and the start script itself is the idempotency record (no cross-slot
 * lookup); without one, random (`run_` + 26 hex from `crypto.randomUUID`).
 */
export async function runIdFor(tenant: string, idempotencyKey?: string): Promise<string> {
  if (idempotencyKey !== undefined) return `run_${(await sha256Hex(`${tenant}\n${idempotencyKey}`)).slice(0, 26)}`;
  return `run_${crypto.randomUUID().replaceAll("-", "").slice(0, 26)}`;
}

/**
 * On an idempotent repeat of a running run: publishes again the roots that are still `queued` and never attempted
 * (the first request may have died between creating the run and publishing them). Their deduplication ids make
 * this a no-op for roots QStash already has.
 */
async function republishUnstartedRoots(engine: Engine, runId: string): Promise<void> {
  const snapshot = await engine.store.readSnapshot(runId);
  const run = snapshot ? await loadRun(engine.store, runId, snapshot.frozen) : null;
  if (!snapshot || !run) return;
  const roots = run.dag.roots.filter((id) => snapshot.status[id] === "queued" && !snapshot.attempts[id]);
  if (roots.length > 0) await dispatchNodes(engine, run, roots);
}

/**
 * Starts a run: stores the input blob, creates the run state in one Lua script (idempotent on the run id) and
 * publishes the root nodes in one batch. If the queue refuses the roots, the run is deleted again and a 503 problem
 * is thrown, so no half-started run is left behind.
 * @throws ProblemError 409 `idempotency-conflict` when the key was used for a different trigger.
 * @throws ProblemError 503 `dispatch-unavailable` when QStash refused the root messages.
 */
export async function startRun(engine: Engine, req: StartRunRequest): Promise<StartRunOutcome> {
  const runId = await runIdFor(req.tenant, req.idempotencyKey);
  const inputJson = JSON.stringify(req.input ?? {});
  const budget = req.budget ?? req.workflow.budget ?? null;
  const fingerprint = await sha256Hex(
    canonicalJson({
      tenant: req.tenant,
      workflow: req.workflow,
      input: req.input ?? {},
      simulate: req.simulate,
      budget,
    }),
  );
  const inputRef = await engine.blobs.put(inputJson);
  const now = engine.now();
  const frozen: FrozenRun = {
    runId,
    tenant: req.tenant,
    workflow: req.workflow,
    inputRef,
    simulate: req.simulate,
    budget,
    baseUrl: req.baseUrl,
    trigger: req.trigger,
    createdAt: now,
  };
  const started = await engine.store.startRun({
    frozen,
    dag: req.dag,
    fingerprint,
    now,
    retentionSeconds: engine.config.retentionSeconds,
    activeTtlSeconds: engine.config.activeTtlSeconds,
    nodesPerDelivery: nodesPerDelivery(req.workflow),
    // the run's index entries go first in the same request, so a run that exists is always listed and swept
    first: (p) => engine.runs.queueStart(p, req.tenant, runId, now, now + engine.config.sweeper.graceMs),
  });
  if (!started.created) {
    if (started.fingerprint !== fingerprint) {
      throw new ProblemError(
        idempotencyConflict(`Idempotency-Key was already used for a different request (run ${runId})`, {
          errors: [{ pointer: "", detail: "Idempotency-Key header" }],
        }),
      );
    }
    if (started.status === "running") await republishUnstartedRoots(engine, runId);
    return { runId, created: false, status: started.status };
  }
  const loaded = prepareRun(frozen, req.dag);
  try {
    await dispatchNodes(engine, loaded, started.roots);
  } catch (err) {
    await engine.store.deleteRun(runId);
    throw new ProblemError(
      dispatchUnavailable(`QStash did not accept the run's root nodes: ${(err as Error).message}`),
      { cause: err },
    );
  }
  rememberRun(loaded);
  return { runId, created: true, status: "running" };
}
