import type { PreparedBlob } from "../blobs/blob-store.js";
import { resolveCachePolicy } from "../cache/policy.js";
import type { TemplateRefs } from "../dag/template.js";
import { renderTemplate } from "../dag/template.js";
import { ProviderError } from "../providers/provider.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { WorkflowNode } from "../schema/workflow.js";
import { cachedCall } from "./cached-call.js";
import { deferNode } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { type ModelCallInput, routeCall } from "./model-call.js";
import { type LoadedRun, loadRun } from "./run-cache.js";
import { sharedContextPointer } from "./shared-context.js";

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
  /** Attempt start and end, ms since epoch. */
  startedAt: number;
  finishedAt: number;
  excerpt: string;
  attempt: number;
  simulated: boolean;
}

/**
 * Outcome of {@link executeNode} and {@link executeHeld}: `ran`, or `skipped` when this delivery must not run the node
 * (duplicate, done…, or deferred while an identical call is in flight); `stillQueued` (node already `done` or
 * `failed`) are the nodes its transition took that are still `queued`, which the caller publishes again (the delivery
 * that completed it may have died before publishing them). After `ran`, `unwritten` is the output blob when its
 * writes are still to send: the completion sends them first, in its own request (advance.ts `recordCompletion`);
 * null when the blob is stored already; `text` is the output itself, which a chain keeps so the next node need not
 * read it back. `resumed` (executeNode only): the message's node was finished, but an earlier delivery of the same
 * message had gone on to run a chain and left `node` unfinished; this delivery now holds it (delivery.ts runs it).
 */
export type ExecuteOutcome =
  | { kind: "ran"; result: ExecuteResult; unwritten: PreparedBlob | null; text: string }
  | { kind: "skipped"; reason: string; stillQueued?: readonly string[] }
  | { kind: "resumed"; node: HeldNode; stillQueued: readonly string[] };

/** A node that a delivery holds (`running` under its lease) before reading what it needs: `attempt` is 1-based. */
export interface HeldNode {
  nodeId: string;
  attempt: number;
}

/** What a node needs before its call, read in one round trip with (or right after) its claim. */
interface Prepared {
  attempt: number;
  /** Output refs of the upstream nodes its prompt reads (missing ones absent). */
  refs: Record<string, string>;
  /** Cache generations (undefined when the node does not use the cache). */
  generations: Awaited<ReturnType<Engine["cache"]["readGenerations"]>> | undefined;
  /** The run input's text (undefined when the prompt does not read it; null when it has expired). */
  inputText: string | null | undefined;
  /** ms since epoch when this delivery took the node. */
  startedAt: number;
  /** The delivery holds the node through a chain (no message of its own was ever published for it). */
  chained: boolean;
}

/**
 * Runs one node for one QStash delivery: claims it (a duplicate delivery is skipped; for a finished node whose
 * message's earlier delivery left a chain unfinished, takes over that chain's node and returns `resumed` without
 * running it: delivery.ts runs it), loads the run input and the
 * upstream outputs its prompt reads (by reference), renders the prompt (an upstream output that siblings share goes
 * first, as a cacheable prefix), routes, then looks the call up in the result cache: a hit completes the node with
 * no provider call; an identical call in flight defers the node (it comes back later, holding no worker); a miss
 * reserves budget, calls the provider under the node's timeout and encodes the output under its content hash (a
 * node with the cache stores it, and the cache entry; otherwise the completion stores it, in the same request). It
 * does not advance the DAG: delivery.ts then records the completion (advance.ts `recordCompletion`) and may go on.
 * @param lease `<Upstash-Message-Id>:<Upstash-Retried>` of the delivery.
 * @throws ProviderError from the model call (classified for QStash), or `non-retryable` when the run's input or an
 *   upstream output has expired.
 */
export async function executeNode(
  engine: Engine,
  runId: string,
  nodeId: string,
  lease: string,
): Promise<ExecuteOutcome> {
  const startedAt = engine.now();
  // the frozen run is cached per isolate, so claiming (and reading the upstream refs) is usually the first round trip
  const run = await loadRun(engine.store, runId);
  if (!run) return { kind: "skipped", reason: "run-missing" };
  const node = run.nodes.get(nodeId);
  const reads = run.reads.get(nodeId);
  if (!node || !reads) return { kind: "skipped", reason: "unknown-node" };
  // issued in the same tick, the claim, the cache generations and the run input (only when the prompt reads it)
  // travel in one auto-pipelined request; upstream outputs need the refs the claim returns
  const [claim, generations, inputText] = await alongsideReads(
    engine,
    run,
    nodeId,
    engine.store.claimNode(runId, nodeId, lease, startedAt, reads.nodes),
  );
  if (claim.claimed === "resumed")
    return { kind: "resumed", node: { nodeId: claim.nodeId, attempt: claim.attempt }, stillQueued: claim.stillQueued };
  if (!claim.claimed) return { kind: "skipped", reason: claim.reason, stillQueued: claim.stillQueued };
  return runPrepared(engine, run, nodeId, lease, {
    attempt: claim.attempt,
    refs: claim.refs,
    generations,
    inputText,
    startedAt,
    chained: false,
  });
}

/**
 * Runs a node this delivery already holds (a chain's next node, which `complete_node` set `running` under the
 * delivery's lease, or a node it resumed): reads its upstream refs, cache generations and run input in one
 * auto-pipelined request, then runs it as {@link executeNode} does.
 * @param known output texts this delivery already holds, by blob ref (a chain's earlier outputs): not read again.
 * @throws as {@link executeNode}; the node stays `running` under the lease (the caller hands it back).
 */
export async function executeHeld(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode,
  lease: string,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Exclude<ExecuteOutcome, { kind: "resumed" }>> {
  const startedAt = engine.now();
  const reads = run.reads.get(held.nodeId);
  if (!reads) throw new ProviderError("non-retryable", `node ${held.nodeId} is not in run ${run.frozen.runId}`);
  const [refs, generations, inputText] = await alongsideReads(
    engine,
    run,
    held.nodeId,
    engine.store.readRefs(run.frozen.runId, reads.nodes),
  );
  return runPrepared(
    engine,
    run,
    held.nodeId,
    lease,
    { attempt: held.attempt, refs, generations, inputText, startedAt, chained: true },
    known,
  );
}

/**
 * Awaits `first` (the claim, or a held node's refs) together with the node's cache generations (when it uses the
 * cache) and the run input (when its prompt reads it): issued in the same tick, they travel in one auto-pipelined
 * Redis request.
 */
function alongsideReads<T>(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  first: Promise<T>,
): Promise<[T, Prepared["generations"], Prepared["inputText"]]> {
  const policy = resolveCachePolicy(run.frozen.workflow, run.nodes.get(nodeId) as WorkflowNode);
  const reads = run.reads.get(nodeId);
  return Promise.all([
    first,
    policy.enabled
      ? engine.cache.readGenerations(run.frozen.tenant, run.frozen.workflow.name, nodeId, policy.tags)
      : undefined,
    reads && reads.inputs.length > 0
      ? engine.blobs.getMany([run.frozen.inputRef]).then(([text]) => text ?? null)
      : undefined,
  ]);
}

async function runPrepared(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  lease: string,
  p: Prepared,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Exclude<ExecuteOutcome, { kind: "resumed" }>> {
  const runId = run.frozen.runId;
  const { frozen, dag } = run;
  const node = run.nodes.get(nodeId) as WorkflowNode;
  const upstream = (run.reads.get(nodeId) as TemplateRefs).nodes;
  const policy = resolveCachePolicy(frozen.workflow, node);
  const agent = frozen.workflow.agents[node.agent] ?? {};
  const settings = resolveNodeSettings(frozen.workflow, node);
  const { refs } = p;
  const missing = upstream.filter((id) => !refs[id]);
  if (missing.length > 0) throw new ProviderError("non-retryable", `upstream output missing for ${missing.join(", ")}`);
  if (p.inputText === null) throw new ProviderError("non-retryable", "run input has expired");
  const toRead = upstream.filter((id) => !known.has(refs[id] as string));
  const read = toRead.length > 0 ? await engine.blobs.getMany(toRead.map((id) => refs[id] as string)) : [];
  if (read.some((t) => t == null)) throw new ProviderError("non-retryable", "an upstream output has expired");
  const fetched = new Map(toRead.map((id, i) => [id, read[i] as string]));
  const outputs = Object.fromEntries(
    upstream.map((id) => [id, fetched.get(id) ?? (known.get(refs[id] as string) as string)]),
  );
  const shared = run.sharedRefs.get(nodeId);
  const prompt = renderTemplate(node.prompt, {
    input: p.inputText === undefined ? {} : JSON.parse(p.inputText),
    outputs: shared ? { ...outputs, [shared]: sharedContextPointer(shared) } : outputs,
  });

  const callInput: ModelCallInput = {
    runId,
    tenant: frozen.tenant,
    node,
    agent,
    attempt: p.attempt,
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
    generations: p.generations,
    workflow: frozen.workflow.name,
    inputs: refs,
    sensitive: node.sensitive ?? false,
    timeoutMs: settings.timeoutMs,
  });
  if (outcome.kind === "wait") {
    // an identical call is in flight: give the node back and come back for its result, holding no worker
    const delaySeconds = outcome.retryAfterMs / 1000;
    if (p.chained) {
      // a chained node never had a message: publish its deferral first, under the node's own deduplication id, and
      // only then give it back; if the publish fails, the node is still this delivery's (the chain hands it back);
      // if a newer attempt of the message took the node over meanwhile, it may run twice (a rare race)
      await deferNode(engine, run, nodeId, delaySeconds, null);
      if (!(await engine.store.deferNode(runId, nodeId, lease))) return { kind: "skipped", reason: "superseded" };
      return { kind: "skipped", reason: "waiting for an identical call in flight" };
    }
    // only the delivery that still holds the node defers it; if the publish then fails, this delivery answers 500
    // and QStash's retry claims the (queued) node again
    if (!(await engine.store.deferNode(runId, nodeId, lease))) return { kind: "skipped", reason: "superseded" };
    await deferNode(engine, run, nodeId, delaySeconds, lease);
    return { kind: "skipped", reason: "waiting for an identical call in flight" };
  }
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
      startedAt: p.startedAt,
      finishedAt: engine.now(),
      // a sensitive output never leaves the encrypted blob: no excerpt in run state or in QStash's callback body
      excerpt: node.sensitive ? SENSITIVE_EXCERPT : out.text.slice(0, EXCERPT_CHARS),
      attempt: p.attempt,
      simulated: out.simulated,
    },
  };
}
