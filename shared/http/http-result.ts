/**
 * Recording an http node's outcome, as QStash reports it to `/internal/http/*` (functions/http-callbacks.ts):
 * a 2xx response becomes the node's output, a call whose retries ran out fails the node with its status.
 */
import { base64ToBytes } from "../crypto/base64.js";
import { type AdvanceOutcome, fail, publishTaken, recordCompletion } from "../engine/advance.js";
import { liveBlobTtlSeconds } from "../engine/blob-retention.js";
import type { Engine } from "../engine/engine.js";
import { EXCERPT_CHARS, type ExecuteResult, SENSITIVE_EXCERPT } from "../engine/execute-node.js";
import { loadRun } from "../engine/run-cache.js";
import { outputChecker } from "../providers/structured-output.js";
import type { HttpCallSite } from "./http-call.js";
import { MAX_HTTP_OUTPUT_BYTES } from "./http-limits.js";

/** One callback QStash sent about an http node's call (docs/upstash-protocols.md B8), with the site of its path. */
export interface HttpCallReport extends HttpCallSite {
  /** `result`: the success callback (after each attempt that got a response); `failure`: retries exhausted. */
  outcome: "result" | "failure";
  /** The endpoint's status (0: no response: timeout or connection error). */
  status: number;
  /** The endpoint's response headers (name → values), as QStash reports them. */
  header: Readonly<Record<string, readonly string[]>>;
  /** The response body, standard base64 (QStash may have cut it). */
  body: string;
  retried: number;
  maxRetries: number;
  /** The destination QStash called (the rendered URL). */
  url: string;
}

/** The route the run view shows for an http node's output: no model, no tokens. */
const HTTP_ROUTE = { provider: "http", tier: null, reason: "http node", source: "http" } as const;

/**
 * Records what the report says:
 * - `result` with a 2xx: the response body (UTF-8) becomes the node's output, stored by reference like any output
 *   (encrypted for a sensitive node), 0 tokens and no cost, then the nodes its completion took are published. It
 *   fails the node instead, for good, when the response is larger than {@link MAX_HTTP_OUTPUT_BYTES} (by its
 *   `Content-Length` or the bytes received; the message names the size) or when the node has `output.schema` and
 *   the body is not JSON matching it;
 * - `result` with another status: nothing (QStash retries the call; its failure callback reports the last one);
 * - `failure`: the node fails for good with the endpoint's status (or "no response"), its descendants skipped.
 * Completion and failure apply only to the try (`generation`) and, for a failure, the lease that published the call,
 * and once: a repeat publishes again what the node's transition took that is still `queued`.
 * @throws when Redis or QStash fail (the route answers 5xx and QStash retries the callback).
 */
export async function recordHttpResult(engine: Engine, report: HttpCallReport): Promise<AdvanceOutcome> {
  const { runId, nodeId, generation, lease } = report;
  const run = await loadRun(engine.store, runId);
  const node = run?.nodes.get(nodeId);
  if (!run || node?.kind !== "http") return { kind: "ignored", reason: "no such http node" };
  const host = hostOf(report.url);
  if (report.outcome === "failure") {
    const why =
      report.status === 0
        ? `no response from ${host} (timeout or connection error)`
        : `${host} answered HTTP ${report.status}`;
    return fail(engine, runId, nodeId, `${why} after ${report.retried + 1} attempts`, lease, undefined, generation);
  }
  if (report.status < 200 || report.status >= 300) return { kind: "ignored", reason: `HTTP ${report.status}` };
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(report.body);
  } catch {
    return fail(engine, runId, nodeId, `the response of ${host} could not be read`, lease, undefined, generation);
  }
  const declared = Number(headerValue(report.header, "content-length") ?? "0") || 0;
  const size = Math.max(declared, bytes.length);
  if (size > MAX_HTTP_OUTPUT_BYTES)
    return fail(
      engine,
      runId,
      nodeId,
      `the response of ${host} is ${size} bytes, more than the ${MAX_HTTP_OUTPUT_BYTES} an http node keeps`,
      lease,
      undefined,
      generation,
    );
  const text = new TextDecoder().decode(bytes);
  const schema = node.output?.schema;
  if (schema) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail(engine, runId, nodeId, `the response of ${host} is not JSON`, lease, undefined, generation);
    }
    const mismatch = outputChecker(schema)(value);
    if (mismatch)
      return fail(
        engine,
        runId,
        nodeId,
        `the response of ${host} does not match the output schema at ${mismatch.pointer || "/"}: ${mismatch.message}`,
        lease,
        undefined,
        generation,
      );
  }
  const blob = await engine.blobs.prepare(text, {
    encrypt: node.sensitive ?? false,
    ttlSeconds: liveBlobTtlSeconds(engine.config),
  });
  const result: ExecuteResult = {
    runId,
    nodeId,
    ref: blob.ref,
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costMicroUsd: 0,
    model: "http",
    route: { ...HTTP_ROUTE, reason: `HTTP ${report.status} from ${host}` },
    cache: null,
    paidAttempt: null,
    startedAt: report.startedAt,
    finishedAt: engine.now(),
    excerpt: node.sensitive ? SENSITIVE_EXCERPT : text.slice(0, EXCERPT_CHARS),
    attempt: report.attempt,
    simulated: false,
  };
  const t = await recordCompletion(engine, result, blob, undefined, generation);
  const dispatched = await publishTaken(engine, runId, t.dispatch, generation);
  return { kind: "completed", applied: t.applied, dispatched, runStatus: t.runStatus };
}

/** The host of a URL (never its path or query, which may carry data); `the endpoint` when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the endpoint";
  }
}

/** The first value of a response header, case-insensitively. */
function headerValue(header: Readonly<Record<string, readonly string[]>>, name: string): string | undefined {
  for (const [k, v] of Object.entries(header)) if (k.toLowerCase() === name) return v[0];
  return undefined;
}
