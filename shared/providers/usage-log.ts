/**
 * A provider's usage log: the per-request record a gateway or a provider keeps of the calls it billed, which the
 * engine reads back to book exactly a call whose answer never reached the run's books (a worker killed after the
 * provider answered). Until then such a call is booked at its reserved worst case, marked estimated
 * (shared/state/lua/call-intent.ts); shared/engine/reconcile-estimates.ts replaces the estimate by what the log says.
 *
 * Every call of a deployment with a usage log carries its {@link callKey}, so its log entries can be found by it.
 */

/** What a usage log recorded for one request. */
export interface LoggedRequest {
  /** When the request reached the log's keeper, ms since epoch. */
  createdAtMs: number;
  /** True when the provider answered it with success and billed it (an error answer or a gateway cache hit is not
   * billed). */
  billed: boolean;
  /** Prompt tokens billed (the log's single input count: plain input, cache reads and cache writes together). */
  inputTokens: number;
  /** Generated tokens billed. */
  outputTokens: number;
  /** What the keeper priced the request at, USD; undefined when it priced it not. */
  costUsd?: number | undefined;
  /** Model that answered. */
  model?: string | undefined;
}

/** A per-request usage log (for example Cloudflare AI Gateway's logs: ai-gateway-usage-log.ts). */
export interface UsageLog {
  /** Name shown in logs and docs, e.g. `ai-gateway`. */
  readonly name: string;
  /**
   * The log's entries for the calls tagged `key` (an attempt may make more than one call: a structured answer that
   * did not match its schema is asked again), oldest first.
   * @throws Error when the log cannot be read (the caller tries again later).
   */
  requestsOf(key: string): Promise<LoggedRequest[]>;
  /**
   * Whether the log holds any entry created after `afterMs` (ms since epoch): the log is written and kept past that
   * time, so a call made before it and absent from the log was not made. Logging turned off, or a log that stopped
   * storing (full), answers false, and an absent call then stays estimated rather than being taken for unbilled.
   * @throws Error when the log cannot be read.
   */
  hasEntriesAfter(afterMs: number): Promise<boolean>;
}

/** The metadata key under which each call carries its {@link callKey} (`cf-aig-metadata: {"agentDagCall": …}`). */
export const CALL_KEY_METADATA = "agentDagCall";

/** The request header that carries a call's metadata through Cloudflare AI Gateway (its "Custom metadata" docs). */
export const AI_GATEWAY_METADATA_HEADER = "cf-aig-metadata";

/**
 * The key a call is logged under: `<runId>/<nodeId>/<attempt>`, one per node attempt (the same key the run's books
 * use for the call, `paid` field `<nodeId>:<attempt>`).
 */
export function callKey(call: { runId: string; nodeId: string; attempt: number }): string {
  return `${call.runId}/${call.nodeId}/${call.attempt}`;
}

/**
 * The header that tags a call with its {@link callKey} for AI Gateway: `{"agentDagCall": "<key>"}` (a gateway keeps
 * up to five metadata entries per request).
 */
export function callKeyHeaders(call: { runId: string; nodeId: string; attempt: number }): Record<string, string> {
  return { [AI_GATEWAY_METADATA_HEADER]: JSON.stringify({ [CALL_KEY_METADATA]: callKey(call) }) };
}

/** What the log tells of an estimated call ({@link judgeEstimate}). */
export type EstimateVerdict =
  /** Billed: book these tokens and this cost (USD; undefined when the log did not price it). */
  | {
      kind: "billed";
      inputTokens: number;
      outputTokens: number;
      costUsd: number | undefined;
      model: string | undefined;
    }
  /** The provider billed no call under the key: book none. */
  | { kind: "void" }
  /** Not yet known: ask again later. */
  | { kind: "pending"; why: "settling" | "log-behind" };

/**
 * Decides an estimated call from its log entries (pure).
 * - Before `intentAtMs + settleMs` nothing is decided (`settling`): the call, or a second one of its attempt, may
 *   still be under way or not yet logged.
 * - Billed entries: their tokens and costs added (`billed`).
 * - Entries, none billed (answered with an error), or none at all while the log holds entries from after the intent
 *   (`logCaughtUp`): no call was billed (`void`).
 * - Otherwise `log-behind`: the log may not have it yet, or may not be keeping entries at all.
 * @param entries the log's entries for the call's key. @param nowMs, intentAtMs ms since epoch. @param settleMs ms.
 */
export function judgeEstimate(
  entries: readonly LoggedRequest[],
  opts: { nowMs: number; intentAtMs: number; settleMs: number; logCaughtUp: boolean },
): EstimateVerdict {
  if (opts.nowMs < opts.intentAtMs + opts.settleMs) return { kind: "pending", why: "settling" };
  const billed = entries.filter((e) => e.billed);
  if (billed.length > 0) {
    const priced = billed.every((e) => e.costUsd !== undefined);
    return {
      kind: "billed",
      inputTokens: billed.reduce((a, e) => a + e.inputTokens, 0),
      outputTokens: billed.reduce((a, e) => a + e.outputTokens, 0),
      costUsd: priced ? billed.reduce((a, e) => a + (e.costUsd ?? 0), 0) : undefined,
      model: billed[billed.length - 1]?.model,
    };
  }
  return entries.length > 0 || opts.logCaughtUp ? { kind: "void" } : { kind: "pending", why: "log-behind" };
}
