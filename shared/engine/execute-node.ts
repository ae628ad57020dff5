import type { PreparedBlob } from "../blobs/blob-store.js";
import { renderTemplate } from "../dag/template.js";
import { ProviderError } from "../providers/provider.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { Engine } from "./engine.js";
import { resolveCachePolicy } from "../cache/policy.js";
import { cachedCall } from "./cached-call.js";
import { deferNode } from "./dispatch-nodes.js";
import { routeCall, type ModelCallInput } from "./model-call.js";
import { loadRun } from "./run-cache.js";
import { sharedContextPointer } from "./shared-context.js";

/** Characters of a node's output kept as its excerpt in progress views. */
export const EXCERPT_CHARS = 160;

/** Excerpt shown for a `sensitive: true` node instead of its output. */
export const SENSITIVE_EXCERPT = "[sensitive output: stored encrypted, not shown]";

/** Default output limit in tokens when neither node nor agent sets `maxOutputTokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

/**
 * What running a node produced: `/internal/execute` records it (advance.ts `recordCompletion`, inline also
 * publishing: `completeExecuted`) and answers it as its body, which QStash hands to `/internal/callback` when the
 * run advances there.
 */
export interface ExecuteResult {
  runId: string;
  nodeId: string;
  /** Blob ref (SHA-256 hex) of the output text. */
  ref: string;
  /** Tokens as billed; cache reads and writes are not part of `inputTokens`. */
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  /** Cost of the call, integer micro-USD (1e-6 USD). */
  costMicroUsd: number;
  model: string;
  /** Routing decision: provider, tier (null for a model outside the tier map), reason, source. */
  route: { provider: string; tier: string | null; reason: string; source: string };
  /** Result cache outcome and what a hit saved (tokens, micro-USD); null when the node does not use the cache. */
  cache: { outcome: "hit" | "shared" | "miss"; savedTokens: number; savedMicroUsd: number } | null;
  /** Attempt start and end, ms since epoch. */
  startedAt: number;
  finishedAt: number;
  excerpt: string;
  attempt: number;
  simulated: boolean;
}

/**
 * Outcome of {@link executeNode}: `ran`, or `skipped` when this delivery must not run the node (duplicate, done…);
 * `stillQueued` (node already `done` or `failed`) are the nodes its transition took that are still `queued`, which
 * the caller publishes again (the delivery that completed it may have died before publishing them). After `ran`,
 * `unwritten` is the output blob when its writes are still to send: the completion sends them first, in its own
 * request (advance.ts `recordCompletion`); null when the blob is stored already.
 */
export type ExecuteOutcome =
  | { kind: "ran"; result: ExecuteResult; unwritten: PreparedBlob | null }
  | { kind: "skipped"; reason: string; stillQueued?: readonly string[] };

/**
 * Runs one node for one QStash delivery: claims it (a duplicate delivery is skipped), loads the run input and the
 * upstream outputs its prompt reads (by reference), renders the prompt (an upstream output that siblings share goes
 * first, as a cacheable prefix), routes, then looks the call up in the result cache: a hit completes the node with
 * no provider call; an identical call in flight defers the node (it comes back later, holding no worker); a miss
 * reserves budget, calls the provider under the node's timeout and encodes the output under its content hash (a
 * node with the cache stores it, and the cache entry; otherwise the completion stores it, in the same request). It
 * does not advance the DAG: `/internal/execute` then calls `recordCompletion` or `completeExecuted` (advance.ts).
 * @param lease `<Upstash-Message-Id>:<Upstash-Retried>` of the delivery.
 * @throws ProviderError from the model call (classified for QStash), or `non-retryable` when the run's input or an
 *   upstream output has expired.
 */
export async function executeNode(engine: Engine, runId: string, nodeId: string, lease: string): Promise<ExecuteOutcome> {
  const startedAt = engine.now();
  // the frozen run is cached per isolate, so claiming (and reading the upstream refs) is usually the first round trip
  const run = await loadRun(engine.store, runId);
  if (!run) return { kind: "skipped", reason: "run-missing" };
  const { frozen, dag } = run;
  const node = run.nodes.get(nodeId);
  const reads = run.reads.get(nodeId);
  if (!node || !reads) return { kind: "skipped", reason: "unknown-node" };
  const upstream = reads.nodes;
  const policy = resolveCachePolicy(frozen.workflow, node);
  // issued in the same tick, the claim, the cache generations and the run input (only when the prompt reads it)
  // travel in one auto-pipelined request; upstream outputs need the refs the claim returns
  const [claim, generations, inputText] = await Promise.all([
    engine.store.claimNode(runId, nodeId, lease, startedAt, upstream),
    policy.enabled ? engine.cache.readGenerations(frozen.tenant, frozen.workflow.name, nodeId, policy.tags) : undefined,
    reads.inputs.length > 0 ? engine.blobs.getMany([frozen.inputRef]).then(([text]) => text) : undefined,
  ]);
  if (!claim.claimed) return { kind: "skipped", reason: claim.reason, stillQueued: claim.stillQueued };
  const agent = frozen.workflow.agents[node.agent] ?? {};
  const settings = resolveNodeSettings(frozen.workflow, node);
  const { refs } = claim;
  const missing = upstream.filter((id) => !refs[id]);
  if (missing.length > 0) throw new ProviderError("non-retryable", `upstream output missing for ${missing.join(", ")}`);
  if (inputText === null) throw new ProviderError("non-retryable", "run input has expired");
  const texts = upstream.length > 0 ? await engine.blobs.getMany(upstream.map((id) => refs[id] as string)) : [];
  if (texts.some((t) => t == null)) throw new ProviderError("non-retryable", "an upstream output has expired");
  const outputs = Object.fromEntries(upstream.map((id, i) => [id, texts[i] as string]));
  const shared = run.sharedRefs.get(nodeId);
  const prompt = renderTemplate(node.prompt, {
    input: inputText === undefined ? {} : JSON.parse(inputText),
    outputs: shared ? { ...outputs, [shared]: sharedContextPointer(shared) } : outputs,
  });

  const callInput: ModelCallInput = {
    runId,
    tenant: frozen.tenant,
    node,
    agent,
    attempt: claim.attempt,
    dag,
    prompt,
    sharedContext: shared ? outputs[shared] : undefined,
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    budget: frozen.budget,
    simulate: {
      latencyMs: node.simulate?.latencyMs ?? frozen.simulate?.latencyMs,
      failAttempts: node.simulate?.failAttempts,
      outputBytes: node.simulate?.outputBytes,
    },
    signal: AbortSignal.timeout(settings.timeoutMs),
  };
  const routed = await routeCall(engine, callInput);
  const outcome = await cachedCall(engine, callInput, routed, {
    policy,
    generations,
    workflow: frozen.workflow.name,
    inputs: refs,
    sensitive: node.sensitive ?? false,
    timeoutMs: settings.timeoutMs,
  });
  if (outcome.kind === "wait") {
    // an identical call is in flight: give the node back and come back for its result, holding no worker
    // only the delivery that still holds the node defers it; if the publish then fails, this delivery answers 500
    // and QStash's retry claims the (queued) node again
    if (!(await engine.store.deferNode(runId, nodeId, lease))) return { kind: "skipped", reason: "superseded" };
    await deferNode(engine, run, nodeId, outcome.retryAfterMs / 1000, lease);
    return { kind: "skipped", reason: "waiting for an identical call in flight" };
  }
  const out = outcome.output;
  return {
    kind: "ran",
    unwritten: out.unwritten,
    result: {
      runId,
      nodeId,
      ref: out.ref,
      usage: out.usage,
      costMicroUsd: out.costMicroUsd,
      model: out.model,
      route: out.route,
      cache: out.cache,
      startedAt,
      finishedAt: engine.now(),
      // a sensitive output never leaves the encrypted blob: no excerpt in run state or in QStash's callback body
      excerpt: node.sensitive ? SENSITIVE_EXCERPT : out.text.slice(0, EXCERPT_CHARS),
      attempt: claim.attempt,
      simulated: out.simulated,
    },
  };
}
