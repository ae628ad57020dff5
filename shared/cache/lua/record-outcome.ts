/**
 * record_outcome: counts one cache outcome for the tenant and for its workflow in one step (shared/cache/stats.ts).
 *
 * KEYS[1] stats  hash: hits, misses, shared, savedTokens, savedMicroUsd, and wf:<workflow>:<same>
 * ARGV[1] outcomeField   'hits' | 'misses' | 'shared'
 * ARGV[2] workflow       workflow name (no ':')
 * ARGV[3] savedTokens    decimal integer >= 0
 * ARGV[4] savedMicroUsd  decimal integer >= 0
 * ARGV[5] ttlSeconds     lifetime of the hash after this write (0 = unchanged)
 *
 * Amounts are added as the strings they arrive as (HINCRBY), never formatted by Lua, and skipped when '0'.
 * Returns 1.
 */
export const RECORD_OUTCOME_LUA = `
local stats = KEYS[1]
local wf = 'wf:' .. ARGV[2] .. ':'
redis.call('HINCRBY', stats, ARGV[1], 1)
redis.call('HINCRBY', stats, wf .. ARGV[1], 1)
if ARGV[3] ~= '0' then
  redis.call('HINCRBY', stats, 'savedTokens', ARGV[3])
  redis.call('HINCRBY', stats, wf .. 'savedTokens', ARGV[3])
end
if ARGV[4] ~= '0' then
  redis.call('HINCRBY', stats, 'savedMicroUsd', ARGV[4])
  redis.call('HINCRBY', stats, wf .. 'savedMicroUsd', ARGV[4])
end
local ttl = tonumber(ARGV[5])
if ttl > 0 then
  redis.call('EXPIRE', stats, ttl)
end
return 1
`;
