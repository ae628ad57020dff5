/**
 * Lua shim that makes scripts run on ioredis-mock (8.13, Lua on fengari 0.1.5 = Lua 5.3) the way they run on Redis
 * (Lua 5.1). The in-memory backend wraps every EVAL/EVALSHA script with {@link wrapLuaScript}; the script text itself
 * is unchanged, so the engine's scripts stay portable.
 *
 * It fixes two gaps in ioredis-mock's Lua bridge:
 *
 * 1. Returned tables. ioredis-mock (src/lua.js `isTopArray`) treats a Lua table as an array only if `lua_next` yields
 *    its keys in exactly the order n..1. That holds only for a table made by one constructor of at most 50 items,
 *    because fengari iterates in insertion order and `OP_SETLIST` stores a constructor's items last to first, in
 *    batches of 50 (`LFIELDS_PER_FLUSH`). Any other table, e.g. `local r = {1, ''}; r[#r + 1] = x; return r`, is
 *    returned as a fengari-interop proxy of a Lua state that ioredis-mock has already closed. Converting that proxy
 *    throws `TypeError: Cannot set properties of null (setting '2')` (from fengari's `lua_pushcclosure`). The shim
 *    rebuilds the reply with the conversion rules of Redis' `luaReplyToRedisReply`: a table with a string `err` field
 *    is an error reply, one with a string `ok` field a status reply, and any other table is an array holding items
 *    1..n, stopping at the first nil (https://redis.io/docs/latest/develop/interact/programmability/lua-api/,
 *    "Lua to RESP2 type conversion"). Each table is rebuilt as `{table.unpack(items, 1, n)}`, a single constructor
 *    that fills all n items at once, last to first, which is the order `isTopArray` accepts.
 * 2. Number arguments. Redis turns a Lua number passed to `redis.call`/`redis.pcall` into a string (Redis 7.0
 *    `luaArgsToRedisArgv`: `%.17g`), so `HSET k f 0` stores `"0"` and `HGET` gives back the string `"0"`.
 *    ioredis-mock passes the JS number through and stores it, so HGET returns a number and `== '0'` fails. The shim
 *    converts numbers first: integers (and floats with an integral value below 1e17) as decimal integers, the same
 *    text `%.17g` gives. Other floats go through fengari's `%.17g`, which prints the shortest round-trip form
 *    (`0.1`, like Redis >= 7.2's fpconv_dtoa) where Redis 7.0 prints `0.10000000000000001`.
 *
 * The wrapper is all on the first line, before the script, so line numbers in Lua error messages still match the
 * script's own lines.
 */

/**
 * First item of the two-item array that stands for a Lua `{err = "..."}` reply (the mock cannot return an error
 * reply itself). The NUL bytes keep it from matching any real data. {@link liftLuaError} turns it into an Error.
 */
export const LUA_ERROR_MARKER = "\u0000agent-dag:lua-error-reply\u0000";

const PRELUDE = `
local __adg_call, __adg_pcall = redis.call, redis.pcall
local function __adg_arg(v)
  if type(v) ~= 'number' then return v end
  if math.type(v) == 'integer' then return tostring(v) end
  if v == math.floor(v) and v > -1e17 and v < 1e17 then return string.format('%d', v) end
  return string.format('%.17g', v)
end
local function __adg_args(...)
  local a = table.pack(...)
  for i = 1, a.n do a[i] = __adg_arg(a[i]) end
  return table.unpack(a, 1, a.n)
end
redis.call = function(...) return __adg_call(__adg_args(...)) end
redis.pcall = function(...) return __adg_pcall(__adg_args(...)) end
local function __adg_reply(v)
  if type(v) ~= 'table' then return v end
  local err = rawget(v, 'err')
  if type(err) == 'string' then return {'\\0agent-dag:lua-error-reply\\0', err} end
  local ok = rawget(v, 'ok')
  if type(ok) == 'string' then return ok end
  local items, n = {}, 0
  while rawget(v, n + 1) ~= nil do
    n = n + 1
    items[n] = __adg_reply(rawget(v, n))
  end
  return {table.unpack(items, 1, n)}
end
`
  .trim()
  .replace(/\s*\n\s*/g, " ");

/**
 * Wraps a Redis Lua script for ioredis-mock: the script runs as the body of a function, with number arguments of
 * `redis.call`/`redis.pcall` turned into strings, and its reply rebuilt in a form ioredis-mock converts correctly
 * (see the module comment). Only the first return value is kept, as in Redis.
 * @param script Lua source as sent with EVAL (no `#!lua` shebang line; ioredis-mock cannot parse those anyway).
 * @returns Lua source with the same line numbers as `script`.
 */
export function wrapLuaScript(script: string): string {
  return `${PRELUDE} return __adg_reply((function() ${script}\nend)())`;
}

/**
 * Turns the marker arrays that stand for Lua `{err = "..."}` replies (at any depth) back into Errors.
 * @param value a reply as ioredis-mock returns it (strings, numbers, booleans, null, nested arrays).
 * @returns the same value with each `[LUA_ERROR_MARKER, message]` array replaced by `new Error(message)`.
 */
export function liftLuaError(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 2 && value[0] === LUA_ERROR_MARKER) return new Error(String(value[1]));
  return value.map(liftLuaError);
}
