/**
 * Registry scripts (registry-store.ts). Every key of one tenant and kind shares the hash tag `{reg:<tenant>}`
 * (registry-keys.ts), so each script touches one hash slot:
 * - KEYS[1] `…:names`: sorted set of the names (score 0);
 * - KEYS[2] `…:bytes`: bytes of every kept version (string counter);
 * - KEYS[3..] `…:e:<name>`: the entry hash of a name (`next`, `latest`, `summary`, `v:<n>`, `m:<n>`).
 */

/**
 * registry_put: stores a definition as the name's next version, unless it equals the latest one.
 *
 * KEYS[1] names   KEYS[2] bytes   KEYS[3] entry
 * ARGV[1] name    ARGV[2] content hash (hex)   ARGV[3] definition JSON   ARGV[4] now (ms)   ARGV[5] summary JSON
 * ARGV[6] most names   ARGV[7] versions kept   ARGV[8] most bytes
 *
 * Returns `{version, 1, createdAt}` for a new version, `{version, 0, createdAt}` when the latest version has that
 * hash already (nothing written), or `{0, "entries"}` / `{0, "bytes"}` when a cap refuses it (nothing written).
 * Creating version n deletes version n − ARGV[7] and gives its bytes back.
 */
export const REGISTRY_PUT_LUA = `
local latest = redis.call('HGET', KEYS[3], 'latest')
if latest then
  local n, h, at = string.match(latest, '^(%d+)|(%x+)|(%d+)$')
  if h == ARGV[2] then return {tonumber(n), 0, at} end
elseif redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[6]) then
  return {0, 'entries'}
end
local n = tonumber(redis.call('HGET', KEYS[3], 'next') or '0') + 1
local pruned = n - tonumber(ARGV[7])
local freed = 0
if pruned >= 1 then freed = redis.call('HSTRLEN', KEYS[3], 'v:' .. pruned) end
local size = string.len(ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') - freed + size > tonumber(ARGV[8]) then return {0, 'bytes'} end
redis.call('HSET', KEYS[3], 'next', n, 'v:' .. n, ARGV[3], 'm:' .. n, ARGV[2] .. '|' .. ARGV[4],
  'latest', n .. '|' .. ARGV[2] .. '|' .. ARGV[4], 'summary', ARGV[5])
if pruned >= 1 then redis.call('HDEL', KEYS[3], 'v:' .. pruned, 'm:' .. pruned) end
redis.call('INCRBY', KEYS[2], size - freed)
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return {n, 1, ARGV[4]}
`;

/**
 * registry_get: one version of each name given.
 *
 * KEYS[3..] entries   ARGV[i] the version wanted of KEYS[i + 2], or "" for its latest
 *
 * Returns, per entry, three values: version, `<hash>|<createdAt>`, definition JSON; or `0, "", ""` when the name or
 * that version does not exist (never created, deleted, or pruned).
 */
export const REGISTRY_GET_LUA = `
local out = {}
for i = 3, #KEYS do
  local want = ARGV[i - 2]
  if want == '' then
    local latest = redis.call('HGET', KEYS[i], 'latest')
    want = latest and string.match(latest, '^(%d+)|') or ''
  end
  local meta = want ~= '' and redis.call('HGET', KEYS[i], 'm:' .. want) or false
  if meta then
    out[#out + 1] = tonumber(want)
    out[#out + 1] = meta
    out[#out + 1] = redis.call('HGET', KEYS[i], 'v:' .. want)
  else
    out[#out + 1] = 0
    out[#out + 1] = ''
    out[#out + 1] = ''
  end
end
return out
`;

/**
 * registry_delete: removes a name and all its versions, giving their bytes back.
 *
 * KEYS[1] names   KEYS[2] bytes   KEYS[3] entry   ARGV[1] name
 *
 * Returns 1 when the name existed, else 0.
 */
export const REGISTRY_DELETE_LUA = `
local freed = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(field, 1, 2) == 'v:' then freed = freed + redis.call('HSTRLEN', KEYS[3], field) end
end
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
if freed > 0 then redis.call('DECRBY', KEYS[2], freed) end
return removed
`;
