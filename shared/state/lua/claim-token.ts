/**
 * claim_token: the first use of a QStash delivery token (the `jti` of its `Upstash-Signature` JWT), for a request
 * whose own transition did not already record it (delivery-tokens.ts).
 *
 * KEYS[1] the token's key (`<prefix>:{run:<runId>}:jti:<jti>`, delivery-tokens.ts `deliveryTokenKey`)
 * ARGV[1] nonce   random per request: what this request writes, so that it can tell its own record from another's
 * ARGV[2] ttl     ms the record is kept (the token's remaining lifetime plus the clock tolerance), >= 1
 *
 * Returns 1 when the token is unused (now recorded with the nonce) or was recorded by this same request (the claim
 * script took it, claim-node.ts), 0 when another request used it: a replayed copy.
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
