import { dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import type { ExecuteResult } from "./execute-node.js";
import { loadRun } from "./run-cache.js";

/** What a QStash callback (after each attempt) or failure callback (retries exhausted) says about one delivery. */
export interface DeliveryReport {
  runId: string;
  nodeId: string;
  /** HTTP status `/internal/execute` answered (0 when there was no response). */
  status: number;
  /** Its response body, decoded from base64 (may be truncated by QStash). */
  body: string;
  /** `Upstash-Retried` of the attempt and the message's `maxRetries`. */
  retried: number;
  maxRetries: number;
  /** QStash message id of the execute message. */
  messageId: string;
}

/** What the callback did, for logs and tests. */
export type AdvanceOutcome =
  | { kind: "completed"; applied: boolean; dispatched: number; runStatus: string }
  | { kind: "retrying"; applied: boolean }
  | { kind: "failed"; applied: boolean; runStatus: string; skipped: string[]; dispatched: number }
  | { kind: "ignored"; reason: string };

/** Status with which `/internal/execute` marks a failure QStash must not retry (upstash-protocols.md B5). */
export const NON_RETRYABLE_STATUS = 489;

/**
 * Advances the DAG after one attempt of a node (the `/internal/callback` step; design.md "The path of one run"):
 * - 2xx with a result: complete the node once (Lua) and publish the ready nodes its freed slot lets start
 *   (longest remaining path first); on a duplicate callback, publish again what that completion took but is
 *   still `queued` (deduplicated by QStash);
 * - 2xx that says the delivery was skipped (duplicate delivery): nothing;
 * - 489 non-retryable, or a failure with retries exhausted: fail the node, skip its descendants;
 * - any other failure: mark the node `retrying` (QStash retries it).
 * @throws when Redis or QStash fail, so that QStash retries the callback; every step is idempotent.
 */
export async function advance(engine: Engine, report: DeliveryReport): Promise<AdvanceOutcome> {
  const { runId, nodeId } = report;
  const ok = report.status >= 200 && report.status < 300;
  if (ok) {
    const parsed = parseResult(report.body);
    if (!parsed) return { kind: "ignored", reason: "delivery skipped (duplicate or finished node)" };
    const t = await engine.store.completeNode(runId, nodeId, {
      outputRef: parsed.ref,
      inputTokens: parsed.usage.inputTokens,
      outputTokens: parsed.usage.outputTokens,
      cacheReadTokens: parsed.usage.cacheReadTokens,
      cacheWriteTokens: parsed.usage.cacheWriteTokens,
      costMicroUsd: parsed.costMicroUsd,
      route: parsed.route ? routeField(parsed.route) : undefined,
      cache: parsed.cache ?? undefined,
      model: parsed.model,
      excerpt: parsed.excerpt,
      startedAt: parsed.startedAt,
      finishedAt: parsed.finishedAt,
    });
    const dispatched = await dispatchTaken(engine, runId, t.dispatch);
    return { kind: "completed", applied: t.applied, dispatched, runStatus: t.runStatus };
  }
  const error = errorMessage(report);
  if (report.status === NON_RETRYABLE_STATUS || report.retried >= report.maxRetries) {
    return fail(engine, runId, nodeId, error);
  }
  const applied = await engine.store.retryNode(runId, nodeId, error, `${report.messageId}:${report.retried}`);
  return { kind: "retrying", applied };
}

/**
 * Fails a node for good (the `/internal/failure` step, and the last failed attempt seen by the callback). Idempotent.
 * @throws when Redis fails.
 */
export async function fail(engine: Engine, runId: string, nodeId: string, error: string): Promise<AdvanceOutcome> {
  const t = await engine.store.failNode(runId, nodeId, error, engine.now());
  const dispatched = await dispatchTaken(engine, runId, t.dispatch);
  return { kind: "failed", applied: t.applied, runStatus: t.runStatus, skipped: t.skipped, dispatched };
}

/** Publishes the nodes a transition took from the ready set (a freed slot lets the next ones start). */
async function dispatchTaken(engine: Engine, runId: string, nodeIds: readonly string[]): Promise<number> {
  if (nodeIds.length === 0) return 0;
  const run = await loadRun(engine.store, runId);
  return run ? dispatchNodes(engine, run, nodeIds) : 0;
}

/** The stored form of a routing decision: `<provider>|<tier>|<source>|<reason>` (the reason may contain `|`). */
export function routeField(route: ExecuteResult["route"]): string {
  return [route.provider, route.tier ?? "", route.source, route.reason].join("|");
}

function parseResult(body: string): ExecuteResult | null {
  try {
    const value = JSON.parse(body) as Partial<ExecuteResult>;
    return typeof value.ref === "string" && value.usage ? (value as ExecuteResult) : null;
  } catch {
    return null;
  }
}

/**
 * The error to record for a failed attempt: the `detail` of the problem+json `/internal/execute` answered, else
 * the status and the start of the body.
 */
export function errorMessage(report: Pick<DeliveryReport, "status" | "body">): string {
  try {
    const p = JSON.parse(report.body) as { detail?: unknown };
    if (typeof p.detail === "string") return p.detail;
  } catch {
    // not JSON: fall through
  }
  const text = report.body.trim().slice(0, 300);
  return report.status === 0 ? `no response${text ? `: ${text}` : ""}` : `HTTP ${report.status}${text ? `: ${text}` : ""}`;
}
