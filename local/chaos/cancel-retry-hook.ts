/**
 * Placeholder for the fault "one run cancelled and retried mid-flight": the engine has no cancel or retry endpoint
 * yet. The suite calls {@link cancelAndRetryMidFlight} once per suite (for a run chosen by the seed, while it
 * runs) and reports what it answered; once `POST /v1/runs/:id/cancel` and a retry exist, implement it here and
 * audit the retried run like any other.
 */

/** What the hook did. */
export type CancelRetryOutcome = { done: false; why: string } | { done: true; newRunId: string };

/**
 * Cancels run `runId` (started at `baseUrl` with `apiKey`) mid-flight and starts it again.
 * @returns today always `{done: false}`: cancel/retry do not exist in the engine yet.
 */
export async function cancelAndRetryMidFlight(
  _baseUrl: string,
  _apiKey: string,
  _runId: string,
): Promise<CancelRetryOutcome> {
  return { done: false, why: "cancel/retry not built in the engine yet (hook: local/chaos/cancel-retry-hook.ts)" };
}
