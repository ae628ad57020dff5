import type { Redis } from "@upstash/redis";

/**
 * Key that remembers one delivery token (the `jti` of an `Upstash-Signature` JWT) until it expires. Not under a
 * run's hash tag: a token is checked before its body is trusted, so no tenant or run is known yet.
 * @param prefix key prefix (config `KEY_PREFIX`).
 * @param jti the token's `jti` claim (QStash: `jwt_<random>`).
 */
export function deliveryTokenKey(prefix: string, jti: string): string {
  return `${prefix}:jti:${jti}`;
}

/** The slice of the Upstash Redis client the store uses. */
export type DeliveryTokenRedis = Pick<Redis, "set">;

/**
 * Single use of QStash delivery tokens: QStash signs every delivery attempt with a token of its own (fresh `jti`,
 * `exp` = now + 300 s; docs/upstash-protocols.md B6), so a token seen twice is a replayed copy.
 */
export class DeliveryTokenStore {
  /**
   * @param redis Upstash Redis client.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: DeliveryTokenRedis,
    private readonly prefix: string,
  ) {}

  /**
   * Records the first use of `jti` (one `SET NX PX`).
   * @param ttlMs how long to remember it, ms (the token's remaining lifetime plus the clock tolerance); at least 1.
   * @returns true for the first use, false when the token was already used.
   * @throws Error when Redis fails (the caller answers 5xx; QStash retries with a new token).
   */
  async claim(jti: string, ttlMs: number): Promise<boolean> {
    const reply = await this.redis.set(deliveryTokenKey(this.prefix, jti), "1", {
      nx: true,
      px: Math.max(1, Math.ceil(ttlMs)),
    });
    return reply === "OK";
  }
}
