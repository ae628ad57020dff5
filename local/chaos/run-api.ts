/**
 * The chaos runner's calls to the worker's public API with plain fetch, each retried with backoff through worker
 * restarts and injected Redis faults (a 5xx or a dropped connection is retried; any other answer is final):
 * start a run (`POST /v1/runs` with an idempotency key, so a retry never starts a second run), read its view
 * (`GET /v1/runs/:id`) and its outputs (`GET /v1/runs/:id/output`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RunView } from "../../shared/progress/run-view.js";

/** The API key of `[env.dev]` in wrangler.toml (`API_KEYS = "dev:dev-key,…"`). */
export const DEV_API_KEY = "dev-key";

/** A run view with the budget usage `GET /v1/runs/:id` adds. */
export type ChaosRunView = RunView & { budgetUsage?: { usedTokens: number; reservedTokens: number } | null };

/**
 * Sends a request until it gets an answer below 500, for up to `patienceMs`.
 * @returns status and parsed JSON body (null when not JSON).
 * @throws Error with the last status or network error when patience runs out.
 */
async function call(url: string, init: RequestInit, patienceMs: number): Promise<{ status: number; body: unknown }> {
  const until = Date.now() + patienceMs;
  let wait = 100;
  let last = "";
  for (;;) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      if (res.status < 500) {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
        return { status: res.status, body };
      }
      last = `${res.status} ${text.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + wait > until) throw new Error(`${init.method ?? "GET"} ${new URL(url).pathname}: ${last}`);
    await sleep(wait);
    wait = Math.min(2_000, wait * 2);
  }
}

const headers = { authorization: `Bearer ${DEV_API_KEY}`, "content-type": "application/json" };

/**
 * Starts a run. @returns its id.
 * @throws Error on a 4xx answer or when the worker does not answer within `patienceMs`.
 */
export async function startRun(baseUrl: string, body: unknown, idempotencyKey: string, patienceMs = 60_000) {
  const res = await call(
    `${baseUrl}/v1/runs`,
    { method: "POST", headers: { ...headers, "idempotency-key": idempotencyKey }, body: JSON.stringify(body) },
    patienceMs,
  );
  const runId = (res.body as { runId?: unknown } | null)?.runId;
  if ((res.status !== 202 && res.status !== 200) || typeof runId !== "string") {
    throw new Error(`POST /v1/runs answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return runId;
}

/** Reads a run view. @throws Error on a 4xx answer or when the worker does not answer within `patienceMs`. */
export async function getRun(baseUrl: string, runId: string, patienceMs = 60_000): Promise<ChaosRunView> {
  const res = await call(`${baseUrl}/v1/runs/${runId}`, { headers }, patienceMs);
  if (res.status !== 200) throw new Error(`GET /v1/runs/${runId} answered ${res.status}`);
  return res.body as ChaosRunView;
}

/** Reads a run's sink outputs. @throws like {@link getRun}. */
export async function getOutputs(
  baseUrl: string,
  runId: string,
  patienceMs = 60_000,
): Promise<Record<string, string | null>> {
  const res = await call(`${baseUrl}/v1/runs/${runId}/output`, { headers }, patienceMs);
  if (res.status !== 200) throw new Error(`GET /v1/runs/${runId}/output answered ${res.status}`);
  return (res.body as { outputs: Record<string, string | null> }).outputs;
}
