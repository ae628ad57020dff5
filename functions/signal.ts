import { Hono } from "hono";
import { z } from "zod";
import { loadRun } from "../shared/engine/run-cache.js";
import { type DecisionOutcome, signalWaitNode, timeOutWaitNode } from "../shared/engine/wait-node.js";
import { idempotencyConflict, notFound, ProblemError, problem, problemResponse } from "../shared/errors/problem.js";
import { waitSignalSchema } from "../shared/schema/node-kinds.js";
import { NODE_ID_RE } from "../shared/schema/workflow.js";
import type { AppEnv } from "./app-env.js";
import { jsonBodyLimit } from "./json-body.js";
import { refuseUnsafeDeployment } from "./middleware/deployment-guard.js";
import { actionBody, idempotencyKeyOf, ownedRun } from "./run-actions.js";

/**
 * Largest body of a signal, bytes: 64 KiB (ours). The payload becomes the wait node's output, which every dependent
 * prompt may read; a larger document belongs in the run input or an upstream node.
 */
export const MAX_SIGNAL_BODY_BYTES = 64 * 1024;

/**
 * `POST /v1/runs/:id/nodes/:node/signal` (mounted under `/v1/runs`, behind its API-key check): the signal a wait
 * node waits for, `{approved?, payload?}` (shared/schema/node-kinds.ts `waitSignalSchema`; shared/engine/wait-node.ts
 * applies it). Approved, the node is `done` with `{approved, payload, signalledAt}` as its output and its dependents
 * start; `approved: false` fails it. The same signal again (or the same `Idempotency-Key`) answers the same outcome
 * and changes nothing. Problems, each changing nothing: a bad body 422 naming the field, over
 * {@link MAX_SIGNAL_BODY_BYTES} 413, another tenant's or an unknown run 404, an unknown node 404 naming it, a node
 * that is not a wait node waiting for a signal 409 `node-not-waiting` naming it and its status, the key reused for
 * another signal 409 `idempotency-conflict`.
 */
export const signalRoutes = new Hono<AppEnv>();

const limit = jsonBodyLimit(MAX_SIGNAL_BODY_BYTES);

signalRoutes.post("/:id/nodes/:node/signal", refuseUnsafeDeployment(), limit, async (c) => {
  const runId = c.req.param("id");
  const nodeId = c.req.param("node");
  const instance = `/v1/runs/${runId}/nodes/${nodeId}/signal`;
  const key = idempotencyKeyOf(c.req.header("idempotency-key"));
  const signal = await actionBody(await c.req.text(), waitSignalSchema);
  await ownedRun(c, runId);
  const { engine } = c.get("services");
  const run = await loadRun(engine.store, runId);
  if (!run) throw new ProblemError(notFound(`No run ${runId}`, { instance }));
  const out = NODE_ID_RE.test(nodeId)
    ? await signalWaitNode(engine, run, nodeId, signal, key)
    : ({ kind: "unknown-node" } as const);
  if (out.kind === "decided" || out.kind === "replayed") {
    return c.json({
      runId,
      nodeId,
      approved: out.outcome === "done",
      status: out.outcome,
      source: out.source,
      signalledAt: out.at,
      replayed: out.kind === "replayed",
      links: { self: `/v1/runs/${runId}` },
    });
  }
  throw new ProblemError(refusal(runId, nodeId, out, instance));
});

/** The problem a signal that changed nothing answers. */
function refusal(
  runId: string,
  nodeId: string,
  out: Exclude<DecisionOutcome, { kind: "decided" | "replayed" }>,
  instance: string,
) {
  const named = (detail: string) => ({ instance, errors: [{ pointer: "", node: nodeId, detail }] });
  if (out.kind === "unknown-node")
    return notFound(`Run ${runId} has no node "${nodeId}"`, named("no such node in the run's workflow"));
  if (out.kind === "not-wait-node")
    return problem(
      "node-not-waiting",
      `Node "${nodeId}" of run ${runId} is ${article(out.nodeKind)} ${out.nodeKind} node; only wait nodes take signals`,
      named(`kind ${out.nodeKind}`),
    );
  if (out.reason === "missing") return notFound(`No run ${runId}`, { instance });
  if (out.reason === "idempotency-conflict")
    return idempotencyConflict(
      `Idempotency-Key was already used for another signal to node "${nodeId}"`,
      named("Idempotency-Key header"),
    );
  const status = out.nodeStatus || "unknown";
  return problem(
    "node-not-waiting",
    `Node "${nodeId}" of run ${runId} is ${status}, not waiting for a signal`,
    named(`status ${status}`),
  );
}

/** "a" or "an" before a node kind. */
function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/** The body of a wait node's timeout message (shared/engine/wait-node.ts publishes it). */
const waitTimeoutMessageSchema = z.strictObject({
  runId: z.string().regex(/^run_[0-9a-f]{26}$/),
  nodeId: z.string().regex(NODE_ID_RE),
  generation: z.number().int().nonnegative(),
});

/**
 * `/internal/wait-timeout` (mounted under `/internal`, signature-checked there): a wait node's timeout message. Its
 * token's single use is recorded first (a replayed copy: 409 `replayed-delivery`); then the node's timeout applies
 * (shared/engine/wait-node.ts `timeOutWaitNode`) unless it is no longer waiting in that try. Every outcome that
 * changes nothing answers 200 (QStash must not retry it); Redis or QStash failing answers 5xx, so QStash retries.
 */
export const waitTimeoutRoutes = new Hono<AppEnv>();

waitTimeoutRoutes.post("/", async (c) => {
  let raw: unknown;
  try {
    raw = JSON.parse(c.get("rawBody"));
  } catch {
    raw = undefined;
  }
  const msg = waitTimeoutMessageSchema.safeParse(raw);
  if (!msg.success)
    return problemResponse(problem("non-retryable", "wait-timeout message must be {runId, nodeId, generation}"), {
      "Upstash-NonRetryable-Error": "true",
    });
  const { runId, nodeId, generation } = msg.data;
  const { engine, deliveryTokens } = c.get("services");
  const token = c.get("deliveryToken");
  if (!(await deliveryTokens.claim(deliveryTokens.bind(token, runId))))
    return problemResponse(problem("replayed-delivery", `Upstash-Signature token ${token.jti} was already used`));
  const run = await loadRun(engine.store, runId);
  if (!run) return c.json({ runId, nodeId, applied: false, reason: "run-missing" });
  const out = await timeOutWaitNode(engine, run, nodeId, generation);
  if (out.kind === "decided") return c.json({ runId, nodeId, applied: true, outcome: out.outcome });
  return c.json({ runId, nodeId, applied: false, reason: out.kind === "refused" ? out.reason : out.kind });
});
