/**
 * The chaos runner's calls to the worker's public API: shared/client/run-client.ts `RunClient` over a fetch that
 * retries with backoff through worker restarts and injected Redis faults (an answer of 500 or more, or a dropped
 * connection, is retried; any other answer is final): start a run (`POST /v1/runs` with an idempotency key, so a
 * retry never starts a second run), read its view and its outputs, cancel it and retry it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RunRestarted } from "../../shared/client/run-api.js";
import { RunClient } from "../../shared/client/run-client.js";
import type { RunView } from "../../shared/progress/run-view.js";

/** The API key of `[env.dev]` in wrangler.toml (`API_KEYS = "dev:dev-key,…"`). */
export const DEV_API_KEY = "dev-key";

/** A run view with the budget usage `GET /v1/runs/:id` adds. */
export type ChaosRunView = RunView & { budgetUsage?: { usedTokens: number; reservedTokens: number } | null };

/**
 * A fetch that sends a request until it gets an answer below 500, for up to `patienceMs`; each try times out after
 * 15 s. The body is a string (RunClient sends nothing else), so it can be sent again.
 * @throws Error with the last status or network error when patience runs out.
 */
export function retryingFetch(patienceMs: number): (input: string, init: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const until = Date.now() + patienceMs;
    let wait = 100;
    let last = "";
    for (;;) {
      try {
        const res = await fetch(input, { ...init, signal: AbortSignal.timeout(15_000) });
        if (res.status < 500) return res;
        last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() + wait > until) throw new Error(`${init.method ?? "GET"} ${new URL(input).pathname}: ${last}`);
      await sleep(wait);
      wait = Math.min(2_000, wait * 2);
    }
  };
}

/** A RunClient for the worker at `baseUrl` whose requests retry for up to `patienceMs` each (see retryingFetch). */
export function chaosClient(baseUrl: string, patienceMs = 60_000): RunClient {
  return new RunClient({ baseUrl, apiKey: DEV_API_KEY, fetch: retryingFetch(patienceMs) });
}

/**
 * Starts a run. @returns its id.
 * @throws RunClientError on a 4xx answer; Error when the worker does not answer within `patienceMs`.
 */
export async function startRun(baseUrl: string, body: unknown, idempotencyKey: string, patienceMs = 60_000) {
  const accepted = await chaosClient(baseUrl, patienceMs).start(body as Parameters<RunClient["start"]>[0], {
    idempotencyKey,
  });
  return accepted.runId;
}

/** Reads a run view. @throws like {@link startRun}. */
export async function getRun(baseUrl: string, runId: string, patienceMs = 60_000): Promise<ChaosRunView> {
  return (await chaosClient(baseUrl, patienceMs).get(runId)) as unknown as ChaosRunView;
}

/** Reads a run's sink outputs. @throws like {@link startRun}. */
export async function getOutputs(
  baseUrl: string,
  runId: string,
  patienceMs = 60_000,
): Promise<Record<string, string | null>> {
  return (await chaosClient(baseUrl, patienceMs).output(runId)).outputs as Record<string, string | null>;
}

/**
 * Cancels a run. @returns whether this request cancelled it (false: it had ended, or was cancelled before).
 * @throws RunClientError on a 4xx answer other than 409 `run-finished`; Error when patience runs out.
 */
export async function cancelRun(baseUrl: string, runId: string, patienceMs = 60_000): Promise<boolean> {
  try {
    const res = await chaosClient(baseUrl, patienceMs).cancel(runId);
    return !(res as { alreadyCancelled?: unknown }).alreadyCancelled;
  } catch (err) {
    if ((err as { status?: unknown }).status === 409) return false;
    throw err;
  }
}

/**
 * Retries an ended run (a new try of the same run id), idempotent on `idempotencyKey`.
 * @throws RunClientError on a 4xx answer; Error when patience runs out.
 */
export async function retryRun(
  baseUrl: string,
  runId: string,
  idempotencyKey: string,
  patienceMs = 60_000,
): Promise<RunRestarted> {
  return chaosClient(baseUrl, patienceMs).retry(runId, { idempotencyKey });
}
