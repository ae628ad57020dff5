/**
 * put_entry: writes an entry with its TTL and, when a holder id is given, releases that holder's lock in the same
 * step, so a waiter never finds the lock gone before the entry is there.
 *
 * KEYS[1] entry     string: the entry (JSON, never parsed here)
 * KEYS[2] lock      string: holder id of the call in flight
 * ARGV[1] entryJson
 * ARGV[2] ttlSeconds  entry lifetime, s (integer >= 1)
 * ARGV[3] holderId    '' = leave the lock alone; otherwise compare-and-delete it
 *
 * Returns 1 when the caller's lock was released, else 0 (no holder given, or the lock was absent or another's).
 */
export const PUT_ENTRY_LUA = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
`;
