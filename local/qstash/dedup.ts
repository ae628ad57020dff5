import { createHash } from "node:crypto";

/**
 * How long a deduplication id or content hash is remembered, in ms: 10 minutes, as the QStash docs and OpenAPI
 * spec say (docs/upstash-protocols.md B5 and flagged point 2).
 */
export const DEDUP_WINDOW_MS = 10 * 60_000;

/** What identifies a message for content-based deduplication (B5: destination + body + Content-Type + forwarded headers). */
export interface DedupContent {
  url: string;
  body: Buffer;
  contentType?: string;
  forwardHeaders: Record<string, string>;
}

/** The dedup key of `Upstash-Deduplication-Id: id`. */
export function idKey(id: string): string {
  return `id:${id}`;
}

/** The dedup key of content-based deduplication: a SHA-256 over destination, Content-Type, sorted forwarded headers and body. */
export function contentKey(c: DedupContent): string {
  const h = createHash("sha256");
  const headers = Object.entries(c.forwardHeaders).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update(JSON.stringify([c.url, c.contentType ?? null, headers]));
  h.update("\n");
  h.update(c.body);
  return `content:${h.digest("hex")}`;
}

/** Remembers dedup keys for {@link DEDUP_WINDOW_MS}; expired entries are swept lazily. */
export class Deduplicator {
  readonly #seen = new Map<string, { messageId: string; expiresAt: number }>();

  constructor(private readonly windowMs = DEDUP_WINDOW_MS) {}

  /** The messageId first published under `key`, if still inside the window. */
  lookup(key: string, now = Date.now()): string | undefined {
    const hit = this.#seen.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= now) {
      this.#seen.delete(key);
      return undefined;
    }
    return hit.messageId;
  }

  /** Records that `messageId` was published under `key` at `now`. */
  remember(key: string, messageId: string, now = Date.now()): void {
    this.#sweep(now);
    this.#seen.set(key, { messageId, expiresAt: now + this.windowMs });
  }

  #sweep(now: number): void {
    // Map keeps insertion order and every entry has the same window, so expired entries are at the front.
    for (const [key, entry] of this.#seen) {
      if (entry.expiresAt > now) break;
      this.#seen.delete(key);
    }
  }
}
