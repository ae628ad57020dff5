/**
 * How the demo answers a run's waiting wait nodes (shared/engine/wait-node.ts): it follows the run, and whenever a
 * node waits for a signal it shows the question and, by its {@link ApprovalMode}, approves or rejects it at once
 * (`--approve`, `--reject`), asks y/n on the terminal, or prints the exact commands that signal it from another shell
 * and keeps waiting.
 */
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isTerminalStatus } from "../shared/client/run-api";
import type { RunClient } from "../shared/client/run-client";
import { RunFollowTimeoutError } from "../shared/client/run-client-error";
import type { RunView } from "./run-view";

/**
 * How the demo answers a waiting node: `approve` or `reject` at once (the flags), `ask` y/n on the terminal, or
 * `print` how to signal it (no TTY, no flag) and keep waiting.
 */
export type ApprovalMode = "approve" | "reject" | "ask" | "print";

/**
 * The mode for the demo's flags and terminal: a flag wins; else `ask` when both stdin and the progress output are
 * TTYs, else `print`.
 * @param flag `approve` (`--approve`), `reject` (`--reject`) or null for neither.
 */
export function approvalMode(flag: "approve" | "reject" | null, interactive: boolean): ApprovalMode {
  return flag ?? (interactive ? "ask" : "print");
}

/** A wait node of the run that waits now: its id, its question and its deadline (ISO 8601, or null). */
export interface WaitingNode {
  id: string;
  question: string;
  deadline: string | null;
}

/** The nodes of `view` that wait for a signal, in view order. */
export function waitingNodes(view: RunView): WaitingNode[] {
  return view.levels
    .flatMap((l) => l.nodes)
    .filter((n) => n.status === "waiting")
    .map((n) => ({ id: n.id, question: n.wait?.question ?? "", deadline: n.wait?.deadline ?? null }));
}

/** Quotes `s` for a POSIX shell (single quotes; a `'` inside becomes `'\''`). */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The lines that tell how to signal a waiting node from another shell: the CLI (`npx agent-dag signal`, docs/cli.md)
 * and the same request with curl (`POST /v1/runs/:id/nodes/:node/signal`, docs/api.md).
 * @param base the worker's origin; @param apiKey its API key.
 */
export function signalCommands(base: string, apiKey: string, runId: string, nodeId: string): string[] {
  const url = `${base}/v1/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/signal`;
  return [
    `AGENT_DAG_URL=${shellQuote(base)} AGENT_DAG_API_KEY=${shellQuote(apiKey)} npx agent-dag signal ${shellQuote(runId)} ${shellQuote(nodeId)}    # add --reject to reject`,
    `curl -X POST ${shellQuote(url)} -H ${shellQuote(`authorization: Bearer ${apiKey}`)} -H 'content-type: application/json' -d '{"approved":true}'`,
  ];
}

/** A y/n answer: `y`/`yes` true, `n`/`no` false (any case, spaces ignored), anything else null. */
export function parseYesNo(answer: string): boolean | null {
  const a = answer.trim().toLowerCase();
  if (a === "y" || a === "yes") return true;
  if (a === "n" || a === "no") return false;
  return null;
}

/**
 * Asks `prompt` on the terminal until the answer is y or n. Ctrl-C is passed on to the process (the demo's own
 * handler aborts `signal`, which ends the question).
 * @returns true for yes. @throws the signal's reason when it aborts.
 */
export async function askYesNo(
  prompt: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  signal: AbortSignal,
): Promise<boolean> {
  const rl = createInterface({ input, output, terminal: true });
  rl.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
  try {
    for (;;) {
      const answer = parseYesNo(await rl.question(prompt, { signal }));
      if (answer !== null) return answer;
    }
  } finally {
    rl.close();
  }
}

/** Options of {@link followWithApprovals}. */
export interface FollowApprovals {
  intervalMs: number;
  /** Give up after this long (ms), not counting the time spent answering. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Every view read. */
  onView: (view: RunView) => void;
  /** Called once for each node that starts waiting (a node waiting again in a later try is called again); the time
   * it takes does not count against `timeoutMs`. */
  onWaiting: (node: WaitingNode, view: RunView) => Promise<void>;
}

/**
 * Reads the run's view every `intervalMs` until it ends, handing each newly waiting node to `onWaiting`.
 * @returns the final view.
 * @throws RunFollowTimeoutError when `timeoutMs` passes first; the signal's reason when it aborts; the client's errors.
 */
export async function followWithApprovals(client: RunClient, runId: string, o: FollowApprovals): Promise<RunView> {
  let deadline = Date.now() + o.timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const view = await client.get(runId, { signal: o.signal });
    o.onView(view);
    if (isTerminalStatus(view.status)) return view;
    for (const node of waitingNodes(view)) {
      const key = `${node.id}@${node.deadline ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const began = Date.now();
      await o.onWaiting(node, view);
      deadline += Date.now() - began;
    }
    if (Date.now() >= deadline) throw new RunFollowTimeoutError(view, o.timeoutMs);
    await sleep(o.intervalMs, undefined, { signal: o.signal });
  }
}
