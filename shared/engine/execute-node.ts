import type { PreparedBlob } from "../blobs/blob-store.js";
import { resolveCachePolicy } from "../cache/policy.js";
import { isCompensationId, renderCompensationPrompt } from "../dag/compensation.js";
import { renderMapPrompt } from "../dag/map-refs.js";
import { renderTemplate } from "../dag/template.js";
import { startHttpCall } from "../http/http-call.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { WorkflowNode } from "../schema/workflow.js";
import type { MapExpansion } from "../state/run-store.js";
import { cachedCall } from "./cached-call.js";
import type { Engine } from "./engine.js";
import { assertMapPromptFits, cacheNodeId, mapChildItem, runMapNode } from "./map-node.js";
import { type ModelCallInput, routeCall } from "./model-call.js";
import { assertPromptFits } from "./prompt-limit.js";
import type { LoadedRun } from "./run-cache.js";
import { sharedContextPointer } from "./shared-context.js";
import { traceNodeAttempt } from "./traced-attempt.js";
import { readUpstream } from "./upstream-outputs.js";

/** Characters of a node's output kept as its excerpt in progress views. */
export const EXCERPT_CHARS = 160;

/** Excerpt shown for a `sensitive: true` node instead of its output. */
export const SENSITIVE_EXCERPT = "[sensitive output: stored encrypted, not shown]";

/** Default output limit in tokens when neither node nor agent sets `maxOutputTokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

/**
 * What running a node produced: `/internal/execute` records it (delivery.ts, through advance.ts `recordCompletion`)
 * and answers the first node's result as its body, which QStash hands to `/internal/callback` when the run advances
 * there.
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
  /** The attempt of this node whose paid call `usage` is (cached-call.ts `NodeOutput.paidAttempt`); null or absent:
   * no call of this node produced the output. */
  paidAttempt?: number | null | undefined;
  /** Attempt start and end, ms since epoch. */
  startedAt: number;
  finishedAt: number;
  excerpt: string;
  attempt: number;
  simulated: boolean;
}

/**
 * Outcome of {@link executeHeld}: `ran`, with the output `text` (a chain keeps it so the next node need not read it
 * back) and `unwritten`, the output blob when its writes are still to send (the completion sends them first, in its
 * own request: advance.ts `recordCompletion`; null when the blob is stored already); or `wait`, when an identical
 * call is in flight elsewhere and the node should come back after `retryAfterMs` for its result; or `expanded`, when a
 * map node added its children to the run (map-node.ts) and `dispatch` are the children to publish now; or `external`,
 * when an http node's call went to QStash (shared/http/http-call.ts): the node stays `running` under the delivery's
 * lease until the call's callback records it.
 */
export type ExecuteOutcome =
  | { kind: "ran"; result: ExecuteResult; unwritten: PreparedBlob | null; text: string }
  | { kind: "wait"; retryAfterMs: number }
  | { kind: "expanded"; dispatch: readonly string[] }
  | { kind: "external" };

/** A node that a delivery holds (`running` under its lease) before reading what it needs: `attempt` is 1-based. */
export interface HeldNode {
  nodeId: string;
  attempt: number;
}

/** How a delivery runs its nodes: `signal` aborts its provider calls when the run is cancelled in this isolate
 * (abort-registry.ts); `fresh` names a node that must call its provider without reading the result cache (the
 * `from` node of a rerun). */
export interface DeliveryControls {
  signal?: AbortSignal | undefined;
  fresh?: string | undefined;
  /** The delivery's dispatch generation (a map node's expansion is refused for an earlier try's delivery). */
  generation?: number | undefined;
  /** The delivery's lease: an http node's callbacks name it (shared/http/http-call.ts). */
  lease?: string | undefined;
}

/** What a node's call reads besides its upstream outputs: cache generations and the run input. */
export interface NodeReads {
  /** Cache generations (undefined when the node does not use the cache). */
  generations: Awaited<ReturnType<Engine["cache"]["readGenerations"]>> | undefined;
  /** The run input's text (undefined when the prompt does not read it; null when it has expired). */
  inputText: string | null | undefined;
  /** A map child's map expansion as its claim read it (RunStore `claimNode`; null before it expanded); undefined
   * when not read yet (it is read when the child runs) and for other nodes. */
  mapExpansion?: MapExpansion | null | undefined;
}

/**
 * Awaits `first` (the claim, or a held node's refs) together with the node's {@link NodeReads}: issued in the same
 * tick, they travel in one auto-pipelined Redis request.
 */
export async function readAlongside<T>(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  first: Promise<T>,
): Promise<[T, NodeReads]> {
  const policy = resolveCachePolicy(run.frozen.workflow, run.nodes.get(nodeId) as WorkflowNode);
  const reads = run.reads.get(nodeId);
  const [value, generations, inputText] = await Promise.all([
    first,
    policy.enabled
      ? engine.cache.readGenerations(run.frozen.tenant, run.frozen.workflow.name, cacheNodeId(run, nodeId), policy.tags)
      : undefined,
    reads && reads.inputs.length > 0
      ? engine.blobs.getMany([run.frozen.inputRef]).then(([text]) => text ?? null)
      : undefined,
  ]);
  return [value, { generations, inputText }];
}

/**
 * Turns a node this delivery holds into an output: reads the upstream outputs its prompt reads (by reference; those
 * in `known` are not read again), renders the prompt (an upstream output that siblings share goes first, as a
 * cacheable prefix), routes, then looks the call up in the result cache: a hit is the output with no provider call;
 * an identical call in flight gives `wait`; a miss reserves budget, calls the provider under the node's timeout and
 * encodes the output under its content hash. It neither takes nor gives back nodes and does not advance the DAG.
 * @param refs output refs of the upstream nodes its prompt reads, as the claim (or `readRefs`) returned them.
 * @param startedAt ms since epoch when the delivery took the node.
 * @param controls the delivery's abort signal (joined to the node's timeout) and the node to run without the cache.
 * @throws ProviderError from the model call (classified for QStash), or `non-retryable` when the run's input or an
 *   upstream output has expired, or when the rendered prompt would exceed `engine.config.promptLimit`.
 */
export function executeHeld(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode & { startedAt: number; refs: Record<string, string> },
  inputs: NodeReads,
  known: ReadonlyMap<string, string> = new Map(),
  controls: DeliveryControls = {},
): Promise<ExecuteOutcome> {
  // with tracing on, the attempt is a span (traced-attempt.ts); off, nothing more is done
  const run1 = () => runHeld(engine, run, held, inputs, known, controls);
  return engine.tracing ? traceNodeAttempt(engine.tracing, run, held, controls.lease, run1) : run1();
}

async function runHeld(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode & { startedAt: number; refs: Record<string, string> },
  inputs: NodeReads,
  known: ReadonlyMap<string, string>,
  controls: DeliveryControls,
): Promise<ExecuteOutcome> {
  const runId = run.frozen.runId;
  const { nodeId, refs } = held;
  const { frozen, dag } = run;
  const node = run.nodes.get(nodeId) as WorkflowNode;
  // a map node expands into its children, or joins their outputs: no call of its own (map-node.ts)
  if (node.kind === "map") return runMapNode(engine, run, held, inputs, controls);
  // a map's child reads its element, from its map's items
  const reading = mapChildItem(engine, run, nodeId, inputs.mapExpansion);
  reading.catch(() => undefined); // awaited below; handled now in case an earlier step throws first
  const policy = resolveCachePolicy(frozen.workflow, node);
  const agent = frozen.workflow.agents[node.agent] ?? {};
  const settings = resolveNodeSettings(frozen.workflow, node);
  const { input, outputs } = await readUpstream(engine, run, nodeId, refs, inputs, known);
  const shared = run.sharedRefs.get(nodeId);
  const ctx = {
    input,
    outputs: shared ? { ...outputs, [shared]: sharedContextPointer(shared) } : outputs,
    // fields of a structured output are read from the output itself, not from the shared context's pointer
    fields: shared ? outputs : undefined,
  };
  // an http node's request goes out through QStash, which reports the response to its callback (shared/http/)
  if (node.kind === "http") {
    const site = { runId, nodeId, attempt: held.attempt, startedAt: held.startedAt, lease: controls.lease ?? "" };
    const generation = controls.generation ?? frozen.createdAt;
    await startHttpCall(engine.http, run, node, { ...site, generation }, { input: ctx.input, outputs });
    return { kind: "external" };
  }
  // a compensation also reads how and why its run stopped ({{run.status}}, {{run.error}})
  const compensation = isCompensationId(nodeId) ? await engine.store.readCompensationContext(runId) : undefined;
  const item = await reading;
  // measured before anything is allocated for it: a short template can render far past the isolate's memory
  const sharedChars = shared ? (outputs[shared]?.length ?? 0) : 0;
  if (item) assertMapPromptFits(engine, nodeId, { template: node.prompt, ctx, item }, sharedChars);
  else assertPromptFits(nodeId, { template: node.prompt, ctx, compensation }, sharedChars, engine.config.promptLimit);
  const prompt = compensation
    ? renderCompensationPrompt(node.prompt, ctx, compensation)
    : item
      ? renderMapPrompt(node.prompt, ctx, item)
      : renderTemplate(node.prompt, ctx);

  const callInput: ModelCallInput = {
    runId,
    tenant: frozen.tenant,
    node,
    agent,
    attempt: held.attempt,
    dag,
    prompt,
    sharedContext: shared ? outputs[shared] : undefined,
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    budget: frozen.budget,
    ancestorBudgets: frozen.ancestorBudgets,
    simulate: {
      latencyMs: node.simulate?.latencyMs ?? frozen.simulate?.latencyMs,
      failAttempts: node.simulate?.failAttempts,
      outputBytes: node.simulate?.outputBytes,
    },
    signal: controls.signal
      ? AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), controls.signal])
      : AbortSignal.timeout(settings.timeoutMs),
  };
  const routed = await routeCall(engine, callInput);
  const outcome = await cachedCall(engine, callInput, routed, {
    policy,
    generations: inputs.generations,
    workflow: frozen.workflow.name,
    inputs: refs,
    sensitive: node.sensitive ?? false,
    timeoutMs: settings.timeoutMs,
    fresh: controls.fresh === nodeId,
  });
  if (outcome.kind === "wait") return { kind: "wait", retryAfterMs: outcome.retryAfterMs };
  const out = outcome.output;
  return {
    kind: "ran",
    unwritten: out.unwritten,
    text: out.text,
    result: {
      runId,
      nodeId,
      ref: out.ref,
      usage: out.usage,
      costMicroUsd: out.costMicroUsd,
      model: out.model,
      route: out.route,
      cache: out.cache,
      paidAttempt: out.paidAttempt,
      startedAt: held.startedAt,
      finishedAt: engine.now(),
      // a sensitive output never leaves the encrypted blob: no excerpt in run state or in QStash's callback body
      excerpt: node.sensitive ? SENSITIVE_EXCERPT : out.text.slice(0, EXCERPT_CHARS),
      attempt: held.attempt,
      simulated: out.simulated,
    },
  };
}
