/**
 * Size thresholds of the blob store, in bytes. Sizes of stored forms are their byte lengths as sent to Redis
 * (stored envelopes other than plain text are ASCII, so characters = bytes).
 */
export interface BlobLimits {
  /** A text whose UTF-8 encoding is longer than this is gzip-compressed before it is stored. */
  compressAboveBytes: number;
  /** A stored form longer than this is split into chunks of at most this many bytes. */
  chunkBytes: number;
  /** Largest stored form (after compression, base64 and encryption) of one blob; larger puts throw BlobTooLargeError. */
  maxStoredBytes: number;
  /** Largest text (UTF-8 bytes) a put accepts and a read decompresses; guards memory against a gzip bomb. */
  maxTextBytes: number;
}

/**
 * Default limits and why: `compressAboveBytes` 64 KiB (below it a value stays plain text, readable with `redis-cli`;
 * LLM outputs are typically a few KiB); `chunkBytes` 512 KiB (Redis runs commands on one thread, so copying, expiring
 * or deleting one big value stalls every other client; Upstash's advice for its size errors is to "split your data
 * into smaller chunks"); `maxStoredBytes` 8 MiB (one put is one pipelined HTTP request, and Upstash's max request
 * size is 10 MB on the Free and Pay-as-you-go plans: upstash.com/docs/redis/troubleshooting/max_request_size_exceeded;
 * the local stack enforces 10 MiB per request, local/redis-rest/server.ts); `maxTextBytes` 32 MiB (a Worker isolate
 * has 128 MB of memory, developers.cloudflare.com/workers/platform/limits/#memory, and a JS string of it may take
 * twice that).
 */
export const DEFAULT_BLOB_LIMITS: Readonly<BlobLimits> = Object.freeze({
  compressAboveBytes: 64 * 1024,
  chunkBytes: 512 * 1024,
  maxStoredBytes: 8 * 1024 * 1024,
  maxTextBytes: 32 * 1024 * 1024,
});

/**
 * Fills unset limits from {@link DEFAULT_BLOB_LIMITS} and checks they are consistent.
 * @throws RangeError when a limit is not a positive integer, or when `compressAboveBytes > chunkBytes` (an
 *   uncompressed plain value must never need chunking: only ASCII envelopes are split) or
 *   `chunkBytes > maxStoredBytes`.
 */
export function resolveBlobLimits(overrides: Partial<BlobLimits> = {}): BlobLimits {
  const limits: BlobLimits = { ...DEFAULT_BLOB_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new RangeError(`blob limit ${name} must be a positive integer, got ${value}`);
  }
  if (limits.compressAboveBytes > limits.chunkBytes)
    throw new RangeError("blob limit compressAboveBytes must not exceed chunkBytes");
  if (limits.chunkBytes > limits.maxStoredBytes)
    throw new RangeError("blob limit chunkBytes must not exceed maxStoredBytes");
  return limits;
}
