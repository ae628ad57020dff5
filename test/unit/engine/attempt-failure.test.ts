import { describe, expect, it } from "vitest";
import { BlobDecryptionError, BlobTooLargeError } from "../../../shared/blobs/blob-errors.js";
import { attemptFailure } from "../../../shared/engine/attempt-failure.js";
import { ProviderError } from "../../../shared/providers/provider.js";

/** The one verdict on a failed attempt, used by `/internal/execute` and by a chain's hand-back. */
describe("attemptFailure", () => {
  it("is not retryable for a provider's non-retryable verdict or a permanent blob error", () => {
    expect(attemptFailure(new ProviderError("non-retryable", "400 bad prompt"))).toEqual({
      retryable: false,
      reason: "400 bad prompt",
    });
    const tooLarge = new BlobTooLargeError(10, null, 5, "maxTextBytes");
    expect(attemptFailure(tooLarge)).toEqual({ retryable: false, reason: `BlobTooLargeError: ${tooLarge.message}` });
    expect(attemptFailure(new BlobDecryptionError("r", "k1", "unknown-key")).retryable).toBe(false);
  });

  it("is retryable for a provider's 5xx, a rate limit (whole seconds, at least 1) and any other error", () => {
    expect(attemptFailure(new ProviderError("retryable", "503"))).toEqual({ retryable: true, reason: "503" });
    expect(attemptFailure(new ProviderError("rate-limited", "429", 0.2))).toEqual({
      retryable: true,
      reason: "429",
      retryAfterSeconds: 1,
    });
    expect(attemptFailure(new ProviderError("rate-limited", "429")).retryAfterSeconds).toBe(1);
    expect(attemptFailure(new ProviderError("rate-limited", "429", 7.1)).retryAfterSeconds).toBe(8);
    expect(attemptFailure(new TypeError("fetch failed"))).toEqual({
      retryable: true,
      reason: "TypeError: fetch failed",
    });
    expect(attemptFailure("boom")).toEqual({ retryable: true, reason: "boom" });
  });
});
