/**
 * lookup_or_lock: in one step, serves an entry, takes the in-flight lock, or tells the caller who holds it.
 *
 * KEYS[1] entry    string: the entry (JSON, never parsed here)
 * KEYS[2] lock     string: holder id of the call in flight, with a PX expiry
 * KEYS[3] waiters  hash holderId -> '1': nodes that found the lock held (see cache-store.ts, outcome `shared`)
 * ARGV[1] holderId     who asks (the engine passes `<runId>:<nodeId>`)
 * ARGV[2] lockMs       lock lifetime, ms (integer >= 1)
 * ARGV[3] waiterTtlMs  lifetime of the waiter marks after this mark, ms
 * ARGV[4] checkEntry   '1' to serve an existing entry first, '0' to only try the lock
 *
 * Returns one of:
 *   {1, entryJson, waited}   an entry exists; waited = 1 when this holder had been marked as a waiter (the mark is
 *                            removed), else 0
 *   {2, '', renewed}         the lock is the caller's now (SET PX, same as SET NX PX inside the script); renewed = 1
 *                            when the caller already held it (its PX is reset); any waiter mark of the caller is
 *                            removed, since it makes the call itself
 *   {3, holder, pttlMs}      another holder has the lock; the caller is marked as a waiter
 * No cjson, so it also runs on the local stack's in-memory store.
 */

/** lookup_or_lock as Lua source (cache-store.ts). */
export const LOOKUP_OR_LOCK_LUA = `
local entry_key = KEYS[1]
local lock_key = KEYS[2]
local wait_key = KEYS[3]
local holder = ARGV[1]

if ARGV[4] == '1' then
  local entry = redis.call('GET', entry_key)
  if entry then
    return {1, entry, redis.call('HDEL', wait_key, holder)}
  end
end

local current = redis.call('GET', lock_key)
if not current then
  redis.call('SET', lock_key, holder, 'PX', ARGV[2])
  redis.call('HDEL', wait_key, holder)
  return {2, '', 0}
end
if current == holder then
  redis.call('PEXPIRE', lock_key, ARGV[2])
  redis.call('HDEL', wait_key, holder)
  return {2, '', 1}
end

redis.call('HSET', wait_key, holder, '1')
redis.call('PEXPIRE', wait_key, ARGV[3])
return {3, current, redis.call('PTTL', lock_key)}
`;
