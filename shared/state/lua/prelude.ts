import { RUN_KEY_NAMES } from "../keys.js";

/**
 * Lua prelude shared by every run transition script.
 *
 * Binds `K.<name>` to `KEYS[i]` in {@link RUN_KEY_NAMES} order (so TypeScript and Lua cannot drift), and defines
 * `finish_if_done(now)`: once every node is terminal (done, failed or skipped) it marks the run `completed` (or
 * `failed` if any node failed), stamps `finishedAt` and sets every run key to expire after the run's retention
 * (meta field `retentionSeconds`). Scripts stay free of `cjson` so they also run on the embedded in-memory store.
 */
export const LUA_PRELUDE = `
local K = {}
${RUN_KEY_NAMES.map((name, i) => `K["${name}"] = KEYS[${i + 1}]`).join("\n")}

local function is_terminal(s)
  return s == 'done' or s == 'failed' or s == 'skipped'
end

local function finish_if_done(now)
  local total = tonumber(redis.call('HGET', K.meta, 'nodeCount'))
  local terminal = tonumber(redis.call('HGET', K.meta, 'terminalCount') or '0')
  if terminal < total then
    return redis.call('HGET', K.meta, 'status')
  end
  local final = 'completed'
  if tonumber(redis.call('HGET', K.meta, 'failedCount') or '0') > 0 then
    final = 'failed'
  end
  redis.call('HSET', K.meta, 'status', final, 'finishedAt', now)
  local retention = tonumber(redis.call('HGET', K.meta, 'retentionSeconds'))
  for i = 1, #KEYS do
    redis.call('EXPIRE', KEYS[i], retention)
  end
  return final
end
`;
