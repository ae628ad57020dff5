/**
 * release_lock: compare-and-delete of an in-flight lock: only its holder releases it. A lock whose holder died
 * is not released by anyone; it expires with its PX.
 *
 * KEYS[1] lock      string: holder id
 * ARGV[1] holderId  who releases
 *
 * Returns 1 when the lock was the caller's and is gone, 0 when it was absent or another holder's (left as is).
 */
export const RELEASE_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
