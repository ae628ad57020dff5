/**
 * The provider side of the chaos suite: the fake Anthropic Messages API (local/fake-providers/anthropic.ts), with
 * every call attributed to the (run, node) that made it through a marker the DAG generator puts at the start of
 * each node's prompt, `[chaos <runTag> <nodeId>]`. What the fake issued per node (calls, paid calls, tokens) is what
 * the audit holds the engine's recorded usage to.
 */
import { startFakeAnthropic } from "../fake-providers/anthropic.js";
import type { FakeCall, FakeProviderServer } from "../fake-providers/harness.js";

/** The marker of a node's prompt. `runTag` and `nodeId` must not contain whitespace or `]`. */
export function promptMarker(runTag: string, nodeId: string): string {
  return `[chaos ${runTag} ${nodeId}]`;
}

const MARKER_RE = /\[chaos (\S+) ([^\s\]]+)\]/;

/** Tokens in the vendor-neutral names the run view uses. */
export interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** What the provider saw and issued for one node. */
export interface IssuedForNode {
  /** Requests received (any answer). */
  calls: number;
  /** Requests answered 200 (billed). */
  paidCalls: number;
  /** Sum of the usage of the paid calls. */
  tokens: Tokens;
  /** Each paid call's tokens (all four counts added), in arrival order. */
  paidTokens: number[];
  /** The model of the last paid call. */
  model: string | null;
}

/** Zero tokens. */
export function zeroTokens(): Tokens {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** All four token counts added up. */
export function tokenSum(t: Tokens): number {
  return t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWriteTokens;
}

/**
 * The (runTag, nodeId) of a Messages API request body: the first marker in its last user message (an upstream's
 * output quoted later in the prompt may carry the upstream's marker), or null.
 */
export function attributeCall(body: unknown): { runTag: string; nodeId: string } | null {
  if (typeof body !== "object" || body === null) return null;
  const messages = (body as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return null;
  const lastUser = [...messages].reverse().find((m) => (m as { role?: unknown })?.role === "user") as
    | { content?: unknown }
    | undefined;
  if (!lastUser) return null;
  const text =
    typeof lastUser.content === "string"
      ? lastUser.content
      : Array.isArray(lastUser.content)
        ? lastUser.content.map((p) => (p as { text?: unknown })?.text ?? "").join("\n")
        : "";
  const m = MARKER_RE.exec(text);
  // a map child's marker names it `<map>#<index>` (dag-generator.ts MAP_CHILD_MARK): its id is `<map>[<index>]`
  return m ? { runTag: m[1] as string, nodeId: (m[2] as string).replace(/#(\d+)$/, "[$1]") } : null;
}

/**
 * Groups the fake's calls by run tag and node id. A call counts as paid when the fake answered it 200 (it may
 * have done so after the caller went away: the vendor still bills it). Calls without a marker go under `""`.
 * Anthropic usage fields: input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens.
 */
export function ledgerOf(calls: readonly Pick<FakeCall, "body" | "status" | "usage" | "model">[]) {
  const byRun = new Map<string, Map<string, IssuedForNode>>();
  for (const c of calls) {
    const who = attributeCall(c.body) ?? { runTag: "", nodeId: "" };
    let run = byRun.get(who.runTag);
    if (!run) byRun.set(who.runTag, (run = new Map()));
    let node = run.get(who.nodeId);
    if (!node)
      run.set(who.nodeId, (node = { calls: 0, paidCalls: 0, tokens: zeroTokens(), paidTokens: [], model: null }));
    node.calls += 1;
    if (c.status !== 200) continue;
    node.paidCalls += 1;
    node.model = c.model ?? node.model;
    const u = (c.usage ?? {}) as Record<string, unknown>;
    node.tokens.inputTokens += Number(u.input_tokens ?? 0);
    node.tokens.outputTokens += Number(u.output_tokens ?? 0);
    node.tokens.cacheReadTokens += Number(u.cache_read_input_tokens ?? 0);
    node.tokens.cacheWriteTokens += Number(u.cache_creation_input_tokens ?? 0);
    node.paidTokens.push(
      Number(u.input_tokens ?? 0) +
        Number(u.output_tokens ?? 0) +
        Number(u.cache_read_input_tokens ?? 0) +
        Number(u.cache_creation_input_tokens ?? 0),
    );
  }
  return byRun;
}

/** How many of `calls` are of run `runTag` and arrived at or after `t` (ms since epoch), any answer. */
export function callsOfRunSince(calls: readonly Pick<FakeCall, "body" | "at">[], runTag: string, t: number): number {
  return calls.filter((c) => c.at >= t && attributeCall(c.body)?.runTag === runTag).length;
}

/** The per-run, per-node ledger: runTag -> nodeId -> what the provider issued. */
export type ProviderLedger = ReturnType<typeof ledgerOf>;

/** The fake provider of the suite. */
export interface LedgerProvider {
  /** The fake (give the worker `fake.baseUrl`). */
  fake: FakeProviderServer;
  /** The ledger of every call so far. */
  ledger(): ProviderLedger;
  /** Calls of run `runTag` that arrived at or after `t` (ms since epoch). */
  callsSince(runTag: string, t: number): number;
  close(): Promise<void>;
}

/** The fake's context window, tokens: far above any generated prompt, below a failing node's (dag-generator.ts). */
export const CHAOS_CONTEXT_WINDOW_TOKENS = 2000;

/**
 * Starts the fake Anthropic endpoint with a fixed answer latency and a context window of
 * {@link CHAOS_CONTEXT_WINDOW_TOKENS}.
 * @param latencyMs delay before every answer, ms (the "model time" of a node).
 * @throws the listen error.
 */
export async function startLedgerProvider(latencyMs: number): Promise<LedgerProvider> {
  const fake = await startFakeAnthropic({ port: 0 });
  // a prompt over the window gets the vendor's 400 (not retried): how a chaos run fails at a node (dag-generator.ts)
  fake.setBehaviour({ latencyMs, contextWindowTokens: CHAOS_CONTEXT_WINDOW_TOKENS });
  return {
    fake,
    ledger: () => ledgerOf(fake.calls()),
    callsSince: (runTag, t) => callsOfRunSince(fake.calls(), runTag, t),
    close: () => fake.close(),
  };
}
