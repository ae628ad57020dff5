import { createHash } from "node:crypto";

/** Anthropic's default prompt-cache lifetime: 5 minutes, refreshed on every hit (platform.claude.com, "Prompt caching"). */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;

/**
 * A simulated provider prompt cache: prefix keys with an expiry, refreshed on each hit. Time comes from the
 * caller (`nowMs`), so tests move the clock instead of sleeping.
 */
export class PromptCache {
  readonly #expiresAt = new Map<string, number>();

  /**
   * True when `key` was stored and has not expired at `nowMs`; a hit extends its life by `ttlMs` (ms).
   */
  hit(key: string, nowMs: number, ttlMs: number): boolean {
    const at = this.#expiresAt.get(key);
    if (at === undefined || at <= nowMs) {
      this.#expiresAt.delete(key);
      return false;
    }
    this.#expiresAt.set(key, Math.max(at, nowMs + ttlMs));
    return true;
  }

  /** Stores `key` until `nowMs + ttlMs` (ms). */
  store(key: string, nowMs: number, ttlMs: number): void {
    this.#expiresAt.set(key, nowMs + ttlMs);
  }

  /** Forgets every entry. */
  clear(): void {
    this.#expiresAt.clear();
  }
}

/**
 * Key of a prompt prefix: SHA-256 over the model and the prefix's parts, each tagged with its role, so that the
 * same text under another model or role is another entry.
 */
export function prefixKey(model: string, parts: ReadonlyArray<{ role: string; text: string }>): string {
  const h = createHash("sha256").update(model);
  for (const p of parts) h.update("\u0000").update(p.role).update("\u0001").update(p.text);
  return h.digest("hex");
}
