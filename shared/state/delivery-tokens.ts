import type { Redis } from "@upstash/redis";
import { LuaScripts } from "../util/lua-scripts.js";
import { CLAIM_TOKEN_LUA } from "./lua/claim-token.js";

/**
 * Key that remembers one delivery token (the `jti` of an `Upstash-Signature` JWT) until it expires, under the hash tag
 * of the run the signed body names: the signature covers the body, so a replayed copy names the same run, and the
 * execute path records the token inside the claim script it runs anyway (claim-node.ts), without a round trip of its
 * own.
 * @param prefix key prefix (config `KEY_PREFIX`).
 * @param runId the run the signed body names.
 * @param jti the token's `jti` claim (QStash: `jwt_<random>`).
 */
export function deliveryTokenKey(prefix: string, runId: string, jti: string): string {
  return `${prefix}:{run:${runId}}:jti:${jti}`;
}

/**
 * One delivery token as the signature check leaves it for the route: its key is known once the body names the run.
 * `ttlMs`: how long to remember it (remaining lifetime plus the clock tolerance), ms; `lease`: the request's
 * `<Upstash-Message-Id>:<Upstash-Retried>`, which the token is recorded under.
 */
export interface DeliveryToken {
  jti: string;
  ttlMs: number;
  lease: string;
}

/** A delivery token bound to its key: what the claim script (claim-node.ts) records before anything else. */
export interface BoundDeliveryToken {
  key: string;
  ttlMs: number;
  lease: string;
}

/**
 * Single use of QStash delivery tokens: QStash signs every delivery attempt with a token of its own (fresh `jti`,
 * `exp` = now + 300 s; docs/upstash-protocols.md B6), so a token seen again under other message headers is a
 * replayed copy. Under the same headers it is the same delivery sent twice, which the claim handles without a second
 * call. The execute path records its token inside its claim script; this store records it for every other route,
 * and for an execute request that ended before its claim (an unknown run or node).
 */
export class DeliveryTokenStore {
  private readonly scripts: LuaScripts<"claimToken">;

  /**
   * @param redis Upstash Redis client.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    redis: Pick<Redis, "createScript">,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaScripts(redis, { claimToken: CLAIM_TOKEN_LUA });
  }

  /**
   * Binds a token to the run its signed body names.
   * @returns the key, TTL (ms, at least 1) and lease the claim script takes.
   */
  bind(token: DeliveryToken, runId: string): BoundDeliveryToken {
    return {
      key: deliveryTokenKey(this.prefix, runId, token.jti),
      ttlMs: Math.max(1, Math.ceil(token.ttlMs)),
      lease: token.lease,
    };
  }

  /**
   * Records the first use of a bound token (one script call, claim-token.ts).
   * @returns true for the first use (or when this same request's claim script recorded it), false when another
   *   request used it.
   * @throws Error when Redis fails (the caller answers 5xx; QStash retries with a new token).
   */
  async claim(token: BoundDeliveryToken): Promise<boolean> {
    const reply = await this.scripts.exec("claimToken", [token.key], [token.lease, token.ttlMs]);
    return Number(reply) === 1;
  }
}
