/**
 * claim_token: the first use of a QStash delivery token (the `jti` of its `Upstash-Signature` JWT), for a request
 * whose own transition did not already record it (delivery-tokens.ts).
 *
 * KEYS[1] the token's key (`<prefix>:{run:<runId>}:jti:<jti>`, delivery-tokens.ts `deliveryTokenKey`)
 * ARGV[1] lease   the delivery's `<Upstash-Message-Id>:<Upstash-Retried>`: a copy with the same headers is the same
 *                 delivery sent twice (harmless: the claim and the transitions handle it), another is a replay
 * ARGV[2] ttl     ms the record is kept (the token's remaining lifetime plus the clock tolerance), >= 1
 *
 * Returns 1 when the token is unused (now recorded with the lease) or was recorded under the same lease (this request's
 * claim, claim-node.ts, or a copy of the same delivery), 0 when it was used under another lease: a replayed copy.
 */
export const CLAIM_TOKEN_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0
`;
