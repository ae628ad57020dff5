import type { Redis } from "@upstash/redis";
import { blobKey } from "../state/keys.js";
import { sha256Hex } from "../util/hash.js";

/** The slice of the Upstash Redis client the blob store uses. */
export type BlobRedis = Pick<Redis, "set" | "mget">;

/**
 * Content-addressed storage of node outputs and run inputs (design.md, decision 2: messages carry references, never
 * state). A blob's ref is the SHA-256 of its text, so equal outputs share one key and a message's size does not
 * grow with its data.
 */
export class BlobStore {
  /**
   * @param redis Upstash Redis client (created with `automaticDeserialization: false`, so values stay strings).
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param ttlSeconds how long a blob lives after its latest write, in seconds (the run retention).
   */
  constructor(
    private readonly redis: BlobRedis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Stores `text` (refreshing its TTL if it exists) and returns its ref.
   * @returns the SHA-256 hex of `text`.
   * @throws UpstashError when Redis refuses the write.
   */
  async put(text: string): Promise<string> {
    const ref = await sha256Hex(text);
    await this.redis.set(blobKey(this.prefix, ref), text, { ex: this.ttlSeconds });
    return ref;
  }

  /**
   * Reads several blobs in one round trip.
   * @returns the texts in the order of `refs`; `null` for a ref that expired or never existed.
   */
  async getMany(refs: readonly string[]): Promise<(string | null)[]> {
    if (refs.length === 0) return [];
    return this.redis.mget<(string | null)[]>(...refs.map((ref) => blobKey(this.prefix, ref)));
  }
}
