import { isPermanentBlobError } from "../blobs/blob-errors.js";
import { redactSecrets } from "../errors/redact.js";
import { ProviderError } from "../providers/provider.js";

/**
 * The verdict on a node's failed attempt. `reason` is what the node records (and a 489 answer says): a provider's
 * own message, else the error's `name: message`. `retryAfterSeconds` (whole seconds, ≥ 1) is set for a provider's
 * rate limit only: the wait it asked for (`Retry-After`), else 1.
 */
export interface AttemptFailure {
  retryable: boolean;
  reason: string;
  retryAfterSeconds?: number;
}

/**
 * Whether a failed attempt may be tried again: not when a provider said so (`ProviderError` kind `non-retryable`,
 * e.g. a 4xx other than 429, an expired upstream output) nor for a permanent blob error (too large, undecryptable,
 * malformed, no key to encrypt with: the same value fails the same way); every other error (a provider's 5xx or
 * 429, a timeout, Redis or the network) is retryable. The one place this is decided, for `/internal/execute`
 * (functions/internal.ts) and for a chain's hand-back (delivery.ts).
 */
export function attemptFailure(err: unknown): AttemptFailure {
  const reason = err instanceof ProviderError ? err.message : errorText(err);
  if (isPermanentBlobError(err) || (err instanceof ProviderError && err.kind === "non-retryable")) {
    return { retryable: false, reason };
  }
  if (err instanceof ProviderError && err.kind === "rate-limited") {
    return { retryable: true, reason, retryAfterSeconds: Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1)) };
  }
  return { retryable: true, reason };
}

/** An error as text: `name: message` for an Error, else `String(err)`. */
export function errorText(err: unknown): string {
  // it reaches QStash's answer and dead-letter queue and the run view: an UpstashError quotes its whole command
  return redactSecrets(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}
