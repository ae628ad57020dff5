import { classifyProviderError } from "../classify-error.js";
import type { CircuitOutcome } from "./circuit-breaker.js";

/** Retryable 4xx statuses that are about the request, not the provider's health: 409 Conflict, 425 Too Early. */
const REQUEST_4XX: ReadonlySet<number> = new Set([409, 425]);

/**
 * What a provider call's error says about the provider's health, for the circuit breaker (circuit-breaker.ts), decided
 * on the classification of classify-error.ts:
 * - `failure` (counts toward opening the circuit): a `retryable` error that is a 5xx (500, 502, 503, 529 overloaded…),
 *   a vendor `overloaded_error` / `api_error` / `server_error` / `timeout_error`, 408, a timeout, a network failure or
 *   anything unrecognised;
 * - `success` (the provider answered, so it is up): a `non-retryable` error (400 prompt too long, 401, 404…) and a
 *   `rate-limited` one (429: the provider asks us to slow down, which its `Retry-After` and QStash's retry handle;
 *   opening the circuit on it would move all traffic on our own quota rather than on an outage), and 409 / 425;
 * - null (says nothing): the caller aborted the call (run cancelled), code `aborted`.
 * @param err whatever the provider's `generate` threw.
 * @param provider provider name, for classifying an unclassified error.
 * @returns the outcome to report, or null to report none. Never throws.
 */
export function breakerOutcomeOf(err: unknown, provider: string): CircuitOutcome | null {
  const e = classifyProviderError(err, provider);
  if (e.details?.code === "aborted") return null;
  if (e.kind !== "retryable") return "success";
  const status = e.details?.status;
  if (status !== undefined && REQUEST_4XX.has(status)) return "success";
  return "failure";
}
