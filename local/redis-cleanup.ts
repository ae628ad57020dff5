import { Redis as IORedis } from "ioredis";

/**
 * Deletes every key under `<prefix>:` (SCAN MATCH `<prefix>:*`, then UNLINK) from the Redis at `redisUrl`, and only
 * those. The prefix is used as a glob: keep it to letters, digits and dashes.
 * The tests and the benchmark call it for their own prefix, so a shared Redis keeps everything else.
 * @throws Error for a prefix shorter than 4 characters (too likely to match keys that are not ours), or the
 *   connection error when Redis is unreachable.
 * @returns how many keys were deleted.
 */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (prefix.length < 4) throw new Error(`refusing to delete keys under the short prefix "${prefix}"`);
  const redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}
