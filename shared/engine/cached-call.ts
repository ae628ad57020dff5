import { BlobDecryptionError } from "../blobs/blob-errors.js";
import type { PreparedBlob } from "../blobs/blob-store.js";
import { holderIdOf } from "../cache/cache-store.js";
import { type CacheEntry, savingOf } from "../cache/entry.js";
import type { GenerationVector } from "../cache/generations.js";
import { computeCacheKey } from "../cache/key-material.js";
import { type CachePolicy, lockMsFor } from "../cache/policy.js";
import type { CacheOutcome } from "../cache/stats.js";
import { isSimulatedText } from "../providers/simulated.js";
import { AGENT_DAG } from "../telemetry/attributes.js";
import { traced } from "../telemetry/run-tracer.js";
import { liveBlobTtlSeconds } from "./blob-retention.js";
import type { Engine } from "./engine.js";
import { callRouted, type ModelCallInput, type RoutedCall, settleEarlierAttempts } from "./model-call.js";

/** What a node's call produced, from the provider or from the cache. Tokens as billed; cost in micro-USD. */
export interface NodeOutput {
  /** Output blob ref. */
  ref: string;
  /** Output text (for the excerpt). */
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  costMicroUsd: number;
  simulated: boolean;
  /** Cache outcome and what a hit saved; null when the node does not use the cache. */
  cache: { outcome: CacheOutcome; savedTokens: number; savedMicroUsd: number } | null;
  /**
   * The attempt of this node whose paid call `usage` and `costMicroUsd` are (this attempt's on a miss; on a hit on
   * an entry an earlier attempt of the same node of the same run wrote, that attempt's, when the entry names it);
   * null when no call of this node produced the output (a hit on another node's entry: usage 0).
   */
  paidAttempt: number | null;
  /** The routing decision as applied: after any budget downgrade, with the cache outcome in the reason. */
  route: { provider: string; tier: string | null; reason: string; source: string };
  /**
   * The output blob when its writes are still to send: the node's completion sends them in its own request, first
   * (`RunStore.completeNode`). null when the blob is stored already (a cache hit, or a miss that the cache entry
   * refers to).
   */
  unwritten: PreparedBlob | null;
}

/** Outcome of {@link cachedCall}: a result, or `wait` (an identical call is in flight; come back after the delay). */
export type CachedCallOutcome = { kind: "output"; output: NodeOutput } | { kind: "wait"; retryAfterMs: number };

/** What the cache lookup needs beyond the call itself. */
export interface CacheContext {
  policy: CachePolicy;
  workflow: string;
  /** Upstream outputs the prompt read: nodeId -> ref. */
  inputs: Record<string, string>;
  sensitive: boolean;
  /** Per-attempt timeout of the node, ms (sizes the in-flight lock). */
  timeoutMs: number;
  /** The node's invalidation generations when the caller already read them (alongside the claim), else read here. */
  generations?: GenerationVector | undefined;
  /** Do not read the cache: call the provider and write the entry anew (the `from` node of a rerun). */
  fresh?: boolean | undefined;
}

/**
 * Runs a routed call through the result cache:
 * 1. the key hashes tenant, agent, model, parameters, shared context, rendered prompt, the refs of the upstream
 *    outputs read, the invalidation generations that apply and any output schema (shared/cache/key-material.ts);
 * 2. a hit completes the node with no provider call, no tokens and no budget reservation (an entry whose blob has
 *    expired is evicted and treated as a miss); a hit on the entry an earlier attempt of the same node and run
 *    wrote saves nothing: its usage is that paid call's, recorded (again, idempotently) under that attempt;
 * 3. a miss takes the key's in-flight lock and calls the provider; a concurrent identical call finds the lock and
 *    gets `wait` (the caller defers the node and comes back, holding no worker), then hits as `shared`;
 * 4. the output is stored (encrypted when the node is sensitive), the entry written with the node's TTL and the
 *    lock released in one script; a failed call releases the lock.
 * Without the cache (`cache: false`) it just calls, and leaves the output blob's writes to the node's completion
 * (`NodeOutput.unwritten`), which sends them in its own request.
 * @throws whatever the call throws (after releasing the lock).
 */
export async function cachedCall(
  engine: Engine,
  input: ModelCallInput,
  routed: RoutedCall,
  ctx: CacheContext,
): Promise<CachedCallOutcome> {
  // a cached output's blob must outlive its cache entry
  const blobTtl = ctx.policy.enabled ? ctx.policy.ttlSeconds : undefined;
  // a cache entry must not refer to a blob not yet written; without the cache, the completion writes it
  const store = async (deferWrite: boolean): Promise<NodeOutput> => {
    const call = await callRouted(engine, input, routed);
    const u = call.result.usage;
    const blob = await engine.blobs.prepare(call.result.text, { encrypt: ctx.sensitive, ttlSeconds: blobTtl });
    if (!deferWrite) await engine.blobs.write(blob);
    return {
      ref: blob.ref,
      unwritten: deferWrite ? blob : null,
      text: call.result.text,
      model: call.result.model,
      usage: {
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cacheReadTokens: u.cacheReadTokens ?? 0,
        cacheWriteTokens: u.cacheWriteTokens ?? 0,
      },
      costMicroUsd: call.costMicroUsd,
      simulated: call.result.simulated,
      cache: null,
      paidAttempt: input.attempt,
      route: {
        provider: call.route.provider,
        tier: call.route.tier,
        reason: call.route.reason,
        source: call.route.source,
      },
    };
  };
  // a retry first settles, in the budgets, what earlier attempts of the node paid (one may have died before its settle)
  await settleEarlierAttempts(engine, input, routed);
  if (!ctx.policy.enabled) return { kind: "output", output: await store(true) };

  const { tenant } = input;
  const generations =
    ctx.generations ?? (await engine.cache.readGenerations(tenant, ctx.workflow, input.node.id, ctx.policy.tags));
  const key = await computeCacheKey({
    tenant,
    agent: { name: input.node.agent, system: input.agent.system, provider: routed.decision.provider },
    model: routed.decision.model,
    params: { maxOutputTokens: input.maxOutputTokens, temperature: input.agent.temperature },
    sharedContext: input.sharedContext,
    prompt: input.prompt,
    inputs: ctx.inputs,
    sensitive: ctx.sensitive,
    generations,
    outputSchema: input.node.output?.schema,
  });
  const holder = holderIdOf(input.runId, input.node.id);
  const lockMs = lockMsFor(ctx.timeoutMs);
  // a rerun's `from` node skips the lookup (and any lock): it must call again, and its entry replaces the old one
  let look: Awaited<ReturnType<typeof engine.cache.lookupOrLock>> = ctx.fresh
    ? { kind: "acquired", renewed: false }
    : await traced(
        engine.tracing,
        "cache lookup",
        { describe: (l) => ({ [AGENT_DAG.cacheOutcome]: l.kind === "hit" ? l.outcome : l.kind }) },
        () => engine.cache.lookupOrLock(tenant, key, holder, lockMs),
      );
  if (look.kind === "hit") {
    // an entry whose blob expired, or was written under a key since removed from the keyring, is a miss; the blob
    // is now this run's output too, so it must live as a live run's blob does (blob-retention.ts; same tick)
    const [[text]] = await Promise.all([
      engine.blobs.getMany([look.entry.outputRef]).catch((err: unknown) => {
        if (err instanceof BlobDecryptionError) return [null];
        throw err;
      }),
      engine.blobs.touch([look.entry.outputRef], liveBlobTtlSeconds(engine.config)),
    ]);
    if (text != null) {
      const by = look.entry.producedBy;
      const own = by.runId === input.runId && by.nodeId === input.node.id;
      const saving = own ? { tokens: 0, microUsd: 0 } : savingOf(look.entry);
      await engine.cache.record(tenant, { workflow: ctx.workflow, outcome: look.outcome, saving });
      const cache = { outcome: look.outcome, savedTokens: saving.tokens, savedMicroUsd: saving.microUsd };
      const d = routed.decision;
      const route = {
        provider: d.provider,
        tier: d.tier,
        reason: `${d.reason}; cache ${look.outcome}${own ? ` (written by this node's attempt ${by.attempt ?? "?"})` : ""}`,
        source: d.source,
      };
      const output = fromEntry(look.entry, text, cache, route);
      if (!own || by.attempt === undefined) return { kind: "output", output };
      // the node's own earlier call: its usage, under its attempt (a repeat of its record changes nothing)
      const usage = { ...look.entry.usage };
      return {
        kind: "output",
        output: { ...output, usage, costMicroUsd: look.entry.costMicroUsd, paidAttempt: by.attempt },
      };
    }
    await engine.cache.evict(tenant, key);
    const again = await engine.cache.acquire(tenant, key, holder, lockMs);
    look = again.acquired
      ? { kind: "acquired", renewed: again.renewed }
      : { kind: "wait", holder: again.holder, retryAfterMs: again.retryAfterMs };
  }
  if (look.kind === "wait") return { kind: "wait", retryAfterMs: look.retryAfterMs };

  let output: NodeOutput;
  try {
    output = await store(false);
  } catch (err) {
    await engine.cache.release(tenant, key, holder);
    throw err;
  }
  const entry: CacheEntry = {
    outputRef: output.ref,
    model: output.model,
    usage: output.usage,
    costMicroUsd: output.costMicroUsd,
    createdAt: engine.now(),
    producedBy: { runId: input.runId, nodeId: input.node.id, attempt: input.attempt },
  };
  // issued in the same tick, the two scripts travel in one auto-pipelined request
  await Promise.all([
    engine.cache.put(tenant, key, entry, ctx.policy.ttlSeconds, holder),
    engine.cache.record(tenant, { workflow: ctx.workflow, outcome: "miss" }),
  ]);
  return { kind: "output", output: { ...output, cache: { outcome: "miss", savedTokens: 0, savedMicroUsd: 0 } } };
}

function fromEntry(
  entry: CacheEntry,
  text: string,
  cache: NonNullable<NodeOutput["cache"]>,
  route: NodeOutput["route"],
): NodeOutput {
  return {
    ref: entry.outputRef,
    text,
    model: entry.model,
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costMicroUsd: 0,
    simulated: isSimulatedText(text),
    cache,
    route,
    unwritten: null,
    paidAttempt: null,
  };
}
