/**
 * bump_generation: bumps one invalidation generation field (generations.ts) unless that would add a field to a
 * tenant's generations hash that is already full. The hash has no TTL and a field is never removed or lowered (a
 * lower value could make entries written under it reachable again), so the number of fields is what bounds it:
 * - the `*` field (everything of the tenant) and a field already present are always bumped: that adds nothing;
 * - a new field is added only while the hash has fewer than `maxFields` fields.
 *
 * KEYS[1] gen        hash: field -> generation
 * ARGV[1] field      `*`, `wf:<workflow>`, `node:<workflow>:<nodeId>` or `tag:<tag>`
 * ARGV[2] maxFields  most fields the hash may hold (integer >= 1)
 *
 * Returns `{1, generation}` after the bump, or `{0, fields}` when the hash is full and the field is new (nothing
 * changed).
 */
export const BUMP_GENERATION_LUA = `
local field = ARGV[1]
if field ~= '*' and redis.call('HEXISTS', KEYS[1], field) == 0 then
  local n = redis.call('HLEN', KEYS[1])
  if n >= tonumber(ARGV[2]) then return {0, n} end
end
return {1, redis.call('HINCRBY', KEYS[1], field, 1)}
`;
