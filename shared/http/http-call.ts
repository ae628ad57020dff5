/**
 * Starting an http node's call: the delivery that holds the node renders its request (http-templates.ts), checks the
 * rendered URL (ssrf-guard.ts) and publishes it to QStash, which calls the endpoint itself (the worker never
 * proxies it) and reports the response to `/internal/http/result/…` (success callback, after each attempt) and
 * `/internal/http/failure/…` (retries exhausted). The node stays `running` under the delivery's lease meanwhile
 * (http-limits.ts `httpCallSpanMs` is its deadline); http-result.ts records the outcome.
 */

import { type TemplateContext, TemplateError } from "../dag/template.js";
import { deduplicationId, flowControlKey, runLabel } from "../dispatch/dispatcher.js";
import type { LoadedRun } from "../engine/run-cache.js";
import { ProviderError } from "../providers/provider.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";
import { runConcurrency } from "../state/run-store.js";
import { httpCallSpanMs } from "./http-limits.js";
import { HttpRenderError, type RenderedHttpRequest, renderHttpRequest } from "./http-templates.js";
import { checkHttpNodeUrl, type HttpNodePolicy } from "./ssrf-guard.js";

/** One call for QStash to make: the rendered request, where to report, and the message's settings. */
export interface HttpCallMessage {
  request: RenderedHttpRequest;
  /** `Upstash-Callback`: the worker's `/internal/http/result/…` for this node, try and attempt. */
  callbackUrl: string;
  /** `Upstash-Failure-Callback`: `/internal/http/failure/…`. */
  failureCallbackUrl: string;
  /** `Upstash-Retries`: the node's retries. */
  retries: number;
  /** `Upstash-Timeout`, whole seconds: the node's timeout. */
  timeoutSeconds: number;
  /** `Upstash-Deduplication-Id`: one per node, dispatch generation and attempt. */
  deduplicationId: string;
  /** `Upstash-Label`: the run's, so a cancel removes the call. */
  label: string;
  /** The run's flow control: the call holds one of the run's slots, as any running node does. */
  flowControl: { key: string; parallelism: number };
}

/** Publishes http calls (QStash in the worker: qstash-http-publisher.ts; a fake in tests). */
export interface HttpCallPublisher {
  /** @throws QstashError (or a network error) when the queue refuses. */
  publish(call: HttpCallMessage): Promise<void>;
}

/**
 * The deployment's http node settings: the SSRF policy (`ENVIRONMENT`, `HTTP_NODE_ALLOWED_HOSTS`), the secrets header
 * values may read (`HTTP_NODE_SECRETS` names with their values from the environment: in memory only) and the
 * publisher.
 */
export interface HttpNodeConfig {
  policy: HttpNodePolicy;
  secrets: Readonly<Record<string, string>>;
  publisher: HttpCallPublisher;
}

/** Where a call's callbacks lead: everything the callback needs to find the attempt, signed as part of the URL path. */
export interface HttpCallSite {
  runId: string;
  nodeId: string;
  /** The dispatch generation of the delivery that published (a callback of an earlier try changes nothing). */
  generation: number;
  attempt: number;
  /** When the delivery took the node, ms since epoch. */
  startedAt: number;
  /** The delivery's lease: the callback completes or fails the node only while that lease holds it. */
  lease: string;
}

/** Reason of the `skipped` outcome of a delivery that published an http node's call (take-node.ts). */
export const HTTP_CALL_PUBLISHED = "http call published";

/**
 * Path of a call's callback under the worker's origin: `/internal/http/<outcome>/<run>/<node>/<generation>/<attempt>/
 * <startedAt>/<lease>`, each segment percent-encoded. In the path, not the query: the signature's `sub` claim is
 * checked against origin + path (functions/middleware/qstash-signature.ts).
 */
export function httpCallbackPath(outcome: "result" | "failure", site: HttpCallSite): string {
  const seg = [site.runId, site.nodeId, site.generation, site.attempt, site.startedAt, site.lease].map((s) =>
    encodeURIComponent(String(s)),
  );
  return `/internal/http/${outcome}/${seg.join("/")}`;
}

/**
 * The deadline of a node's holder when the node is an http node: its call's whole span (http-limits.ts); null for
 * any other node.
 */
export function httpHoldMs(workflow: WorkflowDefinition, node: WorkflowNode | undefined): number | null {
  if (node?.kind !== "http") return null;
  const { timeoutMs, retries } = resolveNodeSettings(workflow, node);
  return httpCallSpanMs(timeoutMs, retries);
}

/**
 * Renders, checks and publishes the call of http node `site.nodeId`, which the delivery holds.
 * @param ctx the run input and the upstream outputs its templates read.
 * @throws ProviderError `non-retryable` when http nodes are off, a template or secret cannot be rendered, or the
 *   rendered URL is refused (the message names the field or host, never a secret); whatever the publisher throws
 *   (retryable: the delivery's retry publishes again, deduplicated).
 */
export async function startHttpCall(
  http: HttpNodeConfig | undefined,
  run: LoadedRun,
  node: WorkflowNode,
  site: HttpCallSite,
  ctx: TemplateContext,
): Promise<void> {
  if (!http || !node.http) throw new ProviderError("non-retryable", "http nodes are off in this deployment");
  let request: RenderedHttpRequest;
  try {
    request = renderHttpRequest(node.http, ctx, http.secrets);
  } catch (err) {
    if (err instanceof HttpRenderError || err instanceof TemplateError)
      throw new ProviderError("non-retryable", `http request of node ${node.id}: ${err.message}`);
    throw err;
  }
  // the run's own origin too: QStash signs the call it makes, so one to this worker would pass as QStash's own
  const ownOrigins = [...(http.policy.ownOrigins ?? []), run.frozen.baseUrl];
  const verdict = checkHttpNodeUrl(request.url, { ...http.policy, ownOrigins });
  if (!verdict.ok)
    throw new ProviderError("non-retryable", `http url of node ${node.id} is refused: ${verdict.reason}`);
  const { frozen } = run;
  const settings = resolveNodeSettings(frozen.workflow, node);
  const own = deduplicationId(site.runId, site.nodeId, site.generation);
  await http.publisher.publish({
    request: { ...request, url: verdict.url.href },
    callbackUrl: `${frozen.baseUrl}${httpCallbackPath("result", site)}`,
    failureCallbackUrl: `${frozen.baseUrl}${httpCallbackPath("failure", site)}`,
    retries: settings.retries,
    timeoutSeconds: Math.max(1, Math.ceil(settings.timeoutMs / 1000)),
    deduplicationId: `${own}.http.a${site.attempt}`.replace(/[^A-Za-z0-9_.-]/g, "_"),
    label: runLabel(site.runId),
    flowControl: {
      key: flowControlKey(site.runId),
      parallelism: runConcurrency(frozen.workflow.mode, frozen.workflow.concurrency),
    },
  });
}
