/**
 * Sub-workflow nodes (`kind: "workflow"`, shared/schema/workflow-node.ts): a node that runs a bundled or registered
 * workflow as a child run and ends as that run ends. It reuses the parked-node transitions of wait nodes
 * (park_node, resolve_parked: shared/state/park-store.ts).
 *
 * - **Start.** A delivery that claimed the node renders its input, resolves the child (`engine.subWorkflows`: the
 *   tenant's registry, then the bundled workflows) and starts it through the same start path as the API
 *   (start-run.ts): the parent's tenant, simulation and origin; run id derived from parent run, node and dispatch
 *   generation (a duplicate delivery starts nothing new; a retry of the parent, a new generation, starts a new child);
 *   trigger `parent:<runId>/<node>`; the frozen child records its parent and depth, and the ancestors whose run budgets
 *   its calls also reserve in. Then the node is parked (`waiting`, its note the child's run id). A child deeper than
 *   {@link MAX_WORKFLOW_DEPTH}, an unknown workflow, or a start the child's own checks refuse fails the node without
 *   retries; a quota refusal (429) or a queue outage (503) is retried.
 * - **Finish.** Every place a run finishes (advance.ts `bookIfFinished`, run-actions.ts `cancelRun`, the sweeper's
 *   last look) calls {@link notifyParent}: a completed child completes the parent node with the output JSON
 *   `{ "<sinkId>": <output> }` (a JSON output as its value, text as a string) and the child's tokens and cost as the
 *   node's usage (so the parent's node cost and run totals include the child's); a failed or cancelled child fails
 *   the node with its status and first error. Deciding is resolve_parked's, so it happens once whoever gets there first.
 * - **Heal.** The sweeper looks at the parent's waiting workflow nodes and decides those whose child has finished
 *   ({@link resolveFinishedChildren}): the notifying request may have died.
 * - **Cancel.** Cancelling a run cancels the child runs of its workflow nodes, and theirs ({@link cancelChildRuns}).
 */

import type { PreparedBlob } from "../blobs/blob-store.js";
import type { CompiledDag } from "../dag/types.js";
import { ProblemError } from "../errors/problem.js";
import { ProviderError } from "../providers/provider.js";
import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";
import { MAX_WORKFLOW_DEPTH } from "../schema/workflow-node.js";
import { parkInfo, parkLease } from "../state/park-store.js";
import type { FrozenRun, RunSnapshot, WorkflowRef } from "../state/run-types.js";
import { jsonOrText } from "../util/json-or-text.js";
import { bookIfFinished, fail, publishTaken } from "./advance.js";
import { liveBlobTtlSeconds } from "./blob-retention.js";
import type { Engine } from "./engine.js";
import { EXCERPT_CHARS, type HeldNode, type NodeReads, SENSITIVE_EXCERPT } from "./execute-node.js";
import { type LoadedRun, loadRun } from "./run-cache.js";
import { runIdFor, startRun } from "./start-run.js";
import { renderSubWorkflowInput } from "./sub-workflow-input.js";
import { readUpstream } from "./upstream-outputs.js";

export { MAX_WORKFLOW_DEPTH };

/**
 * Finds a workflow by name for a tenant (functions/resolve-workflow.ts: its registry first, then the bundled ones).
 * @param version a registered version; absent: the latest.
 * @returns the validated definition, its compiled DAG and registry entry; null when no workflow has that name (or
 *   that version).
 */
export type SubWorkflowResolver = (
  tenant: string,
  name: string,
  version: number | undefined,
) => Promise<{ workflow: WorkflowDefinition; dag: CompiledDag; ref: WorkflowRef } | null>;

/** Reason of the `skipped` outcome of a delivery that parked its workflow node. */
export const CHILD_RUNNING = "waiting for its child run";

/** `source` of the decision that ends a workflow node (resolve_parked; shown in its `signal` event). */
export const CHILD_SOURCE = "child-run";

/** Whether node `nodeId` of the run is a workflow node. */
export function isSubWorkflowNode(run: LoadedRun, nodeId: string): boolean {
  return run.nodes.get(nodeId)?.kind === "workflow";
}

/** The run id of the child that node `nodeId` of run `runId` starts under dispatch generation `generation`. */
function childRunIdFor(tenant: string, runId: string, nodeId: string, generation: number): Promise<string> {
  return runIdFor(tenant, `${runId}\n${nodeId}\n${generation}`, "parent");
}

/**
 * Starts the child of a workflow node this delivery holds and parks the node (see the module header). When the node
 * already has a decision for this try (a delivery took it over), applies that decision under this lease.
 * @param held the node, its attempt and the output refs of the upstream nodes its input reads.
 * @param known output texts by blob ref this delivery already holds: not read again.
 * @returns `skipped` (what its park took is published here).
 * @throws ProviderError `non-retryable` for a child too deep, an unknown workflow, an expired upstream output or run
 *   input, or a start the child's checks refuse (the problem's detail); `retryable` for a quota refusal or a queue
 *   outage; whatever Redis or QStash throw.
 */
export async function startSubWorkflowNode(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode & { refs: Record<string, string> },
  inputs: NodeReads,
  lease: string,
  generation: number | undefined,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<{ kind: "skipped"; reason: string; stillQueued: readonly string[] }> {
  const { frozen } = run;
  const runId = frozen.runId;
  const node = run.nodes.get(held.nodeId) as WorkflowNode;
  const spec = node.workflow;
  if (!spec) throw new ProviderError("non-retryable", `node ${node.id} has no workflow settings`);
  const depth = (frozen.parent?.depth ?? 0) + 1;
  if (depth > MAX_WORKFLOW_DEPTH)
    throw new ProviderError(
      "non-retryable",
      `sub-workflow "${spec.name}" would run at depth ${depth}; at most ${MAX_WORKFLOW_DEPTH} levels of sub-workflows`,
    );
  if (!engine.subWorkflows) throw new ProviderError("non-retryable", "sub-workflow nodes are not available here");
  const input = await renderInput(engine, run, node, held.refs, inputs, known);
  const resolved = await engine.subWorkflows(frozen.tenant, spec.name, spec.version);
  if (!resolved) {
    const which = spec.version === undefined ? "" : ` version ${spec.version}`;
    throw new ProviderError("non-retryable", `no workflow named "${spec.name}"${which}`);
  }
  const gen = generation ?? frozen.createdAt;
  const childId = await childRunIdFor(frozen.tenant, runId, node.id, gen);
  const own = frozen.budget && (frozen.budget.tokens !== undefined || frozen.budget.usd !== undefined);
  const ancestorBudgets = [
    ...(own && frozen.budget ? [{ runId, budget: frozen.budget }] : []),
    ...(frozen.ancestorBudgets ?? []),
  ];
  try {
    await startRun(engine, {
      tenant: frozen.tenant,
      workflow: resolved.workflow,
      dag: resolved.dag,
      workflowRef: resolved.ref,
      input,
      simulate: frozen.simulate,
      idempotencyKey: `${runId}\n${node.id}\n${gen}`,
      keySpace: "parent",
      trigger: `parent:${runId}/${node.id}`,
      baseUrl: frozen.baseUrl,
      parent: { runId, nodeId: node.id, generation: gen, depth },
      ancestorBudgets,
    });
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    const status = err.problem.status;
    const detail = `child run of "${spec.name}" refused: ${err.problem.detail ?? err.problem.title}`;
    throw new ProviderError(status === 429 || status === 503 ? "retryable" : "non-retryable", detail);
  }
  const parked = await engine.store.parks.park(runId, node.id, lease, {
    now: engine.now(),
    deadline: null,
    note: childId,
    generation,
  });
  if (parked.kind === "refused") return { kind: "skipped", reason: parked.reason, stillQueued: [] };
  if (parked.kind === "decided") {
    await settle(engine, run, node, parked, lease, generation, null);
    return { kind: "skipped", reason: `decided by ${parked.source}`, stillQueued: [] };
  }
  await publishTaken(engine, runId, parked.dispatch, parked.generation);
  // a child that finished before the node was parked found nothing to decide: decided now
  await notifyParent(engine, childId);
  return { kind: "skipped", reason: CHILD_RUNNING, stillQueued: [] };
}

/**
 * When run `runId` is a child run that has finished, decides its parent's workflow node from it (see the module
 * header); nothing for a top-level run, a running child, or a parent node no longer waiting for this child.
 * @param frozen the child's frozen run when the caller holds it (saves a read for a top-level run).
 * @returns what resolve_parked said (`decided`, `replayed`, `refused`), or null when there was nothing to decide.
 * @throws BlobTooLargeError when the output exceeds the blob limits; whatever Redis or QStash throw (the sweeper
 *   decides it later).
 */
export async function notifyParent(engine: Engine, runId: string, frozen?: FrozenRun | null): Promise<string | null> {
  if (frozen && !frozen.parent) return null;
  const child = await engine.store.readSnapshot(runId);
  const parentRef = child?.frozen.parent;
  if (!child || !parentRef) return null;
  const status = child.meta.status ?? "running";
  if (status === "running") return null;
  const parent = await loadRun(engine.store, parentRef.runId);
  const node = parent?.nodes.get(parentRef.nodeId);
  if (!parent || !node) return null;
  const ok = status === "completed";
  let blob: PreparedBlob | undefined;
  let text = "";
  if (ok && (await engine.store.parks.status(parentRef.runId, node.id)) === "waiting") {
    text = JSON.stringify(await childOutputs(engine, child));
    blob = await engine.blobs.prepare(text, {
      encrypt: node.sensitive === true,
      ttlSeconds: liveBlobTtlSeconds(engine.config),
    });
  }
  const lease = parkLease(node.id);
  const r = await engine.store.parks.resolve(parentRef.runId, node.id, {
    outcome: ok ? "done" : "failed",
    source: CHILD_SOURCE,
    fingerprint: runId,
    lease,
    now: engine.now(),
    generation: parentRef.generation,
    ref: blob?.ref,
    first: blob ? (p) => blob.queueWrites(p) : undefined,
  });
  if (r.kind === "decided" || (r.kind === "replayed" && r.pending))
    await settle(engine, parent, node, r, lease, r.generation, child, text);
  return r.kind;
}

/**
 * The sweeper's part (shared/engine/sweeper.ts): decides every workflow node of the run still `waiting` whose child
 * run has finished (the request that finished it died before deciding), and fails one whose child run is gone
 * (expired, or never stored).
 * @param meta the run's meta hash as read (`parked:<id>`, `parkNote:<id>`: park-store.ts).
 * @param status the nodes' statuses as read.
 * @returns the nodes this call decided.
 * @throws whatever Redis or QStash throw.
 */
export async function resolveFinishedChildren(
  engine: Engine,
  run: LoadedRun,
  meta: Readonly<Record<string, string>>,
  status: Readonly<Record<string, string>>,
): Promise<string[]> {
  const decided: string[] = [];
  for (const [id, st] of Object.entries(status)) {
    const childId = meta[`parkNote:${id}`];
    if (st !== "waiting" || !childId || !isSubWorkflowNode(run, id)) continue;
    const out = await notifyParent(engine, childId);
    if (out === "decided") decided.push(id);
    else if (out === null && !(await engine.store.readFrozen(childId))) {
      const info = parkInfo(meta[`parked:${id}`] ?? "", "");
      const lease = parkLease(id);
      const r = await engine.store.parks.resolve(run.frozen.runId, id, {
        outcome: "failed",
        source: CHILD_SOURCE,
        fingerprint: childId,
        lease,
        now: engine.now(),
        generation: info.generation,
      });
      if (r.kind === "decided" || (r.kind === "replayed" && r.pending)) {
        await fail(engine, run.frozen.runId, id, `child run ${childId} is gone`, lease, undefined, r.generation);
        decided.push(id);
      }
    }
  }
  return decided;
}

/**
 * Cancels the child runs of run `runId`'s workflow nodes (each a cascade of its own: `cancel` is run-actions.ts
 * `cancelRun`, passed in to keep the modules acyclic). Best effort: a failure is logged; a finished child is left.
 */
export async function cancelChildRuns(
  engine: Engine,
  runId: string,
  cancel: (engine: Engine, runId: string) => Promise<unknown>,
): Promise<void> {
  const run = await loadRun(engine.store, runId);
  const ids = run ? run.frozen.workflow.nodes.filter((n) => n.kind === "workflow").map((n) => n.id) : [];
  await Promise.all(
    ids.map(async (id) => {
      const info = await engine.store.parks.info(runId, id).catch(() => null);
      if (!info?.note) return;
      await cancel(engine, info.note).catch((err: unknown) => {
        console.warn(`run ${runId}: cancelling child run ${info.note} of node ${id} failed (${String(err)})`);
      });
    }),
  );
}

/** The output of a completed child: `{ <sinkId>: <output> }`, a JSON output as its value, a text as a string. */
async function childOutputs(engine: Engine, child: RunSnapshot): Promise<Record<string, unknown>> {
  const run = await loadRun(engine.store, child.frozen.runId, child.frozen);
  const sinks = (run?.dag.sinks ?? []).filter((id) => child.output[id]);
  const texts = await engine.blobs.getMany(sinks.map((id) => child.output[id] as string));
  const jsonNodes = new Set(
    child.frozen.workflow.nodes.filter((n) => n.output !== undefined || n.kind !== "llm").map((n) => n.id),
  );
  return Object.fromEntries(
    sinks.map((id, i) => {
      const text = texts[i] ?? null;
      return [id, text === null || !jsonNodes.has(id) ? text : jsonOrText(text)];
    }),
  );
}

/** The child's first error (its nodes in order), for the parent node's failure. */
function firstError(child: RunSnapshot): string | null {
  for (const n of child.frozen.workflow.nodes) {
    const e = child.error[n.id];
    if (child.status[n.id] === "failed" && e) return `${n.id}: ${e}`;
  }
  return null;
}

/**
 * Runs the transition a decision calls for, under `lease`: complete_node with the child's output blob and its
 * totals as the node's usage, then publishes what it took; or fails the node with the child's status and first
 * error (advance.ts `fail`).
 * @param child the child's snapshot (null: read it).
 * @param text the output text when this call wrote it (else read back from its blob).
 */
async function settle(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  decision: { outcome: string; ref: string; at: number },
  lease: string,
  generation: number | undefined,
  child: RunSnapshot | null,
  text?: string,
): Promise<void> {
  const runId = run.frozen.runId;
  const info = child ? null : await engine.store.parks.info(runId, node.id);
  const snap = child ?? (info?.note ? await engine.store.readSnapshot(info.note) : null);
  const childId = snap?.frozen.runId ?? info?.note ?? "?";
  if (decision.outcome === "failed") {
    const status = snap?.meta.status ?? "gone";
    const why = snap ? firstError(snap) : null;
    const error = `child run ${childId} ${status}${why && !node.sensitive ? `: ${why}` : ""}`;
    // what the child spent before it failed or was cancelled is the node's too, as on completion: booked once as
    // the paid call of the node's attempt (record_paid is idempotent per attempt), so the parent's totals show it
    if (snap) {
      const attempt = Number((await engine.store.readSnapshot(runId))?.attempts[node.id] ?? 1);
      await engine.store.recordPaid(runId, node.id, attempt, childUsage(snap.meta));
    }
    await fail(engine, runId, node.id, error.slice(0, 2000), lease, undefined, generation);
    return;
  }
  const shown = node.sensitive
    ? SENSITIVE_EXCERPT
    : (text || ((await engine.blobs.getMany([decision.ref]))[0] ?? "")).slice(0, EXCERPT_CHARS);
  const completion = {
    outputRef: decision.ref,
    ...childUsage(snap?.meta ?? {}),
    model: "",
    excerpt: shown,
    finishedAt: decision.at,
  };
  const t = await bookIfFinished(
    engine,
    runId,
    await engine.store.completeNode(runId, node.id, completion, { generation }),
  );
  await publishTaken(engine, runId, t.dispatch, generation);
}

/** A child run's totals (its meta: tokens, and cost in integer micro-USD), as the usage of its parent's node. */
function childUsage(m: Readonly<Record<string, string>>): {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicroUsd: number;
} {
  return {
    inputTokens: Number(m.inputTokens ?? 0),
    outputTokens: Number(m.outputTokens ?? 0),
    cacheReadTokens: Number(m.cacheReadTokens ?? 0),
    cacheWriteTokens: Number(m.cacheWriteTokens ?? 0),
    costMicroUsd: Number(m.costMicroUsd ?? 0),
  };
}

/** Renders a workflow node's input from the parent's run input and the upstream outputs its templates read. */
async function renderInput(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  refs: Record<string, string>,
  inputs: NodeReads,
  known: ReadonlyMap<string, string>,
): Promise<unknown> {
  const { input, outputs } = await readUpstream(engine, run, node.id, refs, inputs, known);
  try {
    return renderSubWorkflowInput(node.workflow as NonNullable<WorkflowNode["workflow"]>, { input, outputs });
  } catch (err) {
    throw new ProviderError("non-retryable", `workflow input of node ${node.id}: ${(err as Error).message}`);
  }
}
