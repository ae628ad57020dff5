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
  /** The status the provider answered, when logged (an unbilled entry counts as an error answer only with a 4xx or
   * 5xx other than 499, nginx's "client closed the request"). */
  status?: number | undefined;
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
 * The key a node attempt's call is logged under: `<runId>/<nodeId>/<attempt>`, one per node attempt (the same key the run's books
 * use for the call, `paid` field `<nodeId>:<attempt>`).
 */
export function callKey(call: { runId: string; nodeId: string; attempt: number }): string {
  return `${call.runId}/${call.nodeId}/${call.attempt}`;
}

/**
 * The header that tags a call with its {@link callKey} for AI Gateway: `{"agentDagCall": "<key>", …}`, the key first
 * (a gateway keeps the first five metadata entries of a request), then the entries of `baseMetadata` (the
 * provider's own `cf-aig-metadata` header, a JSON object; anything else is dropped).
 */
export function callKeyHeaders(key: string, baseMetadata?: string | undefined): Record<string, string> {
  let base: Record<string, unknown> = {};
  try {
    const parsed = baseMetadata ? (JSON.parse(baseMetadata) as unknown) : {};
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      base = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the gateway would not have kept it either
  }
  const { [CALL_KEY_METADATA]: _ours, ...rest } = base;
  return { [AI_GATEWAY_METADATA_HEADER]: JSON.stringify({ [CALL_KEY_METADATA]: key, ...rest }) };
}

/** The `cf-aig-metadata` value among a provider's configured headers (names compared without case), if any. */
export function gatewayMetadataOf(headers: Readonly<Record<string, string>> | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {}))
    if (name.toLowerCase() === AI_GATEWAY_METADATA_HEADER) return value;
  return undefined;
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
  | { kind: "pending"; why: "log-behind" | "unclear" };

/**
 * Decides a settled estimated call from its log entries (pure); the caller asks only once `settleMs` have passed
 * since the call's intent (reconcile-estimates.ts), so the call and any second one of its attempt are over and logged.
 * - Billed entries: their tokens and costs added (`billed`).
 * - Entries, none billed, each the provider's error answer (4xx or 5xx other than 499): no call was billed (`void`).
 *   An unbilled entry without such a status (a request its client abandoned: the provider may still have billed
 *   it) decides nothing (`unclear`).
 * - No entry, while the log holds entries made after the intent (`logCaughtUp`: logging was on and stored past
 *   the call): the request never reached the gateway (`void`). Otherwise `log-behind`: the log may not be keeping
 *   entries at all.
 * @param entries the log's entries for the call's key.
 * @param logCaughtUp whether the log holds entries made after the call's intent.
 */
export function judgeEstimate(entries: readonly LoggedRequest[], logCaughtUp: boolean): EstimateVerdict {
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
  if (entries.length > 0) return entries.every(isErrorAnswer) ? { kind: "void" } : { kind: "pending", why: "unclear" };
  return logCaughtUp ? { kind: "void" } : { kind: "pending", why: "log-behind" };
}

/** An entry the provider answered with an error, which it does not bill. */
function isErrorAnswer(e: LoggedRequest): boolean {
  return e.status !== undefined && e.status >= 400 && e.status <= 599 && e.status !== 499;
}
