import { LUA_PRELUDE } from "./prelude.js";

/**
 * give_up_lease: a delivery that fails while it may hold nodes gives up every node still `running` under its lease:
 * each becomes `retrying` with the error, keeping the lease, so the message's retry takes it at once (claim_node)
 * instead of waiting for the holder's deadline. It covers the chain link a completion handed to the delivery when
 * that completion applied but its answer was lost (the delivery never learnt it held the link).
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] lease  `<Upstash-Message-Id>:<Upstash-Retried>` of the failing delivery
 * ARGV[2] error  the failure, recorded on each node given up
 *
 * Returns the ids of the nodes given up (none when the run is not running).
 */
export const GIVE_UP_LEASE_LUA = `${LUA_PRELUDE}
if redis.call('HGET', K.meta, 'status') ~= 'running' then return {} end
local given = {}
local flat = redis.call('HGETALL', K.lease)
for i = 1, #flat, 2 do
  local id, l = flat[i], flat[i + 1]
  if l == ARGV[1] and redis.call('HGET', K.status, id) == 'running' then
    redis.call('HSET', K.status, id, 'retrying')
    emit('retrying', id, 'error', ARGV[2])
    redis.call('HSET', K.error, id, ARGV[2])
    given[#given + 1] = id
  end
end
if #given > 0 then keep_ttl() end
return given
`;
