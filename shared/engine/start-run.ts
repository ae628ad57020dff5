import type { RunBudget } from "../budget/budget-spec.js";
import type { CompiledDag } from "../dag/compile.js";
import { dispatchUnavailable, idempotencyConflict, ProblemError } from "../errors/problem.js";
import { admitStart } from "../quota/quota-gate.js";
import type { QuotaTicket } from "../quota/quota-store.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import type { FrozenRun, ParentRef, WorkflowRef } from "../state/run-types.js";
import { canonicalJson, sha256Hex } from "../util/hash.js";
import { nodesPerDelivery } from "./chain-policy.js";
import { dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { assertPromptsFit } from "./prompt-limit.js";
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
  /** Whose keys `idempotencyKey` belongs to (see {@link IdempotencyKeySpace}); default `api`. */
  keySpace?: IdempotencyKeySpace | undefined;
  /** `api`, `cron:<expression>` or `hook:<hook id>`. */
  trigger: string;
  /** The registry entry a run started by name executes (recorded in FrozenRun.workflowRef). */
  workflowRef?: WorkflowRef | undefined;
  /** Public origin QStash must call back, no trailing slash. */
  baseUrl: string;
  /** A child run of a sub-workflow node: its parent (FrozenRun.parent; sub-workflow-node.ts). */
  parent?: ParentRef | undefined;
  /** A child run's ancestors with run budgets (FrozenRun.ancestorBudgets). */
  ancestorBudgets?: FrozenRun["ancestorBudgets"];
}

/** Result of {@link startRun}: `created` false means an idempotent repeat of an existing run. */
export interface StartRunOutcome {
  runId: string;
  created: boolean;
  status: string;
}

/**
 * Who chose an idempotency key: `api`, a caller's `Idempotency-Key` header; `scheduled`, the worker itself for a
 * cron firing (functions/scheduled.ts); `hook`, a webhook provider's delivery id (functions/hooks.ts); `parent`, a
 * sub-workflow node starting its child run (sub-workflow-node.ts). They never
 * map to the same run, so an API caller cannot take the run id of a future cron firing or delivery by sending its key.
 */
export type IdempotencyKeySpace = "api" | "scheduled" | "hook" | "parent";

/**
 * Run id: with an idempotency key, derived from it, so a repeated trigger lands on the same keys and the start
 * script itself is the idempotency record (no cross-slot lookup); without one, random (`run_` + 26 hex from
 * `crypto.randomUUID`). `api`: `run_` + the first 26 hex of SHA-256 of `<tenant>\n<key>`; `scheduled`: of
 * `\0scheduled\0<tenant>\n<key>`, `hook`: of `\0hook\0<tenant>\n<key>` (`parent` likewise), which no header can produce (header values
 * hold no NUL, RFC 9110 §5.5).
 */
export async function runIdFor(
  tenant: string,
  idempotencyKey?: string,
  keySpace: IdempotencyKeySpace = "api",
): Promise<string> {
  if (idempotencyKey !== undefined) {
    const space = keySpace === "api" ? "" : `\0${keySpace}\0`;
    return `run_${(await sha256Hex(`${space}${tenant}\n${idempotencyKey}`)).slice(0, 26)}`;
  }
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
 * @throws ProblemError 422 `prompt-too-large` when the run input alone makes a prompt exceed the cap
 *   (prompt-limit.ts), before anything is stored.
 * @throws ProblemError 403 `provider-disabled` (a node would call the `simulated` provider while it is off),
 *   403 `quota-model-not-allowed`, 429 `quota-runs-per-minute`, `quota-concurrent-runs` or
 *   `quota-nodes-per-day` (with `Retry-After`) when the tenant's quota (shared/quota/) refuses the start: nothing is
 *   written. A start that then creates no run (a repeat, a conflict, a failure) gives back what its quota counted.
 * @throws ProblemError 409 `idempotency-conflict` when the key was used for a different trigger.
 * @throws ProblemError 503 `dispatch-unavailable` when QStash refused the root messages.
 */
export async function startRun(engine: Engine, req: StartRunRequest): Promise<StartRunOutcome> {
  assertPromptsFit(req.workflow, req.input ?? {}, engine.config.promptLimit);
  const runId = await runIdFor(req.tenant, req.idempotencyKey, req.keySpace);
  const ticket = await admitStart(engine.quotas, {
    tenant: req.tenant,
    runId,
    workflow: req.workflow,
    tierMap: engine.routing.tierMap,
    defaultProvider: engine.routing.defaultProvider,
    now: engine.now(),
    simulatedOn: engine.providers.has("simulated"),
  });
  if (!ticket) return createRun(engine, req, runId);
  const release = (t: QuotaTicket) => engine.quotas?.store.release(t).catch(() => undefined);
  let outcome: StartRunOutcome;
  try {
    outcome = await createRun(engine, req, runId);
  } catch (err) {
    await release(ticket);
    throw err;
  }
  if (!outcome.created) await release(ticket);
  return outcome;
}

/** {@link startRun} once the quotas admitted it: the same steps and errors, but the quota ones. */
async function createRun(engine: Engine, req: StartRunRequest, runId: string): Promise<StartRunOutcome> {
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
    ...(req.workflowRef ? { workflowRef: req.workflowRef } : {}),
    ...(req.parent ? { parent: req.parent } : {}),
    ...(req.ancestorBudgets?.length ? { ancestorBudgets: req.ancestorBudgets } : {}),
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
