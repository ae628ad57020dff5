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
 * 3. Streams. ioredis-mock's XADD numbers entries by the stream's length (ids repeat once trimmed) and its XRANGE
 *    compares ids as integers, so a `<ms>-<seq>` start never matches. Inside scripts the shim serves XADD (with
 *    `MAXLEN [~|=] n`), XRANGE (with COUNT) and XLEN itself, over a list of length-prefixed entries
 *    (`<len>:<id><len>:<field>…`), so the key expires and is deleted like any other; ids are `<ms>-<seq>`, `ms` from
 *    the mock's TIME (whole seconds, as floats: fengari's integers are 32-bit) and kept increasing. The in-memory backend runs those commands through the same
 *    code when they come outside a script (memory-backend.ts).
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
local function __adg_enc(items)
  local out = {}
  for i = 1, #items do out[i] = #items[i] .. ':' .. items[i] end
  return table.concat(out)
end
local function __adg_dec(s)
  local items, pos = {}, 1
  while pos <= #s do
    local colon = string.find(s, ':', pos, true)
    local len = tonumber(string.sub(s, pos, colon - 1))
    items[#items + 1] = string.sub(s, colon + 1, colon + len)
    pos = colon + len + 1
  end
  return items
end
local function __adg_id(id, high)
  if id == '-' then return -1, -1 end
  if id == '+' then return math.huge, math.huge end
  local ms, sq = string.match(id, '^(%d+)-?(%d*)$')
  if not ms then error('ERR Invalid stream ID specified as stream command argument') end
  if sq == '' then return tonumber(ms), high and math.huge or 0 end
  return tonumber(ms), tonumber(sq)
end
local function __adg_before(a1, a2, b1, b2)
  return a1 < b1 or (a1 == b1 and a2 < b2)
end
local __adg_stream = {}
__adg_stream.xadd = function(key, ...)
  local a = table.pack(...)
  local i, maxlen = 1, nil
  while string.upper(a[i]) == 'MAXLEN' or string.upper(a[i]) == 'NOMKSTREAM' do
    if string.upper(a[i]) == 'NOMKSTREAM' then i = i + 1 else
      i = i + 1
      if a[i] == '~' or a[i] == '=' then i = i + 1 end
      maxlen = tonumber(a[i])
      i = i + 1
    end
  end
  local want = a[i]
  local last = __adg_call('LINDEX', key, '-1')
  local lms, lsq = -1, -1
  if last then lms, lsq = __adg_id(__adg_dec(last)[1]) end
  local ms, sq
  if want == '*' then
    ms, sq = tonumber(__adg_call('TIME')[1]) * 1000.0, 0
    if ms <= lms then ms, sq = lms, lsq + 1 end
  else
    ms, sq = __adg_id(want)
    if not __adg_before(lms, lsq, ms, sq) then return {err = 'ERR The ID specified in XADD is equal or smaller than the target stream top item'} end
  end
  local id = string.format('%.0f-%.0f', ms, sq)
  local items = {id}
  for j = i + 1, a.n do items[#items + 1] = a[j] end
  __adg_call('RPUSH', key, __adg_enc(items))
  if maxlen then __adg_call('LTRIM', key, tostring(-maxlen), '-1') end
  return id
end
__adg_stream.xrange = function(key, first, final, word, count)
  local f1, f2 = __adg_id(first, false)
  local t1, t2 = __adg_id(final, true)
  local n = tonumber(count or '') or math.huge
  local out = {}
  for _, raw in ipairs(__adg_call('LRANGE', key, '0', '-1') or {}) do
    if #out >= n then break end
    local items = __adg_dec(raw)
    local m1, m2 = __adg_id(items[1])
    if not __adg_before(m1, m2, f1, f2) and not __adg_before(t1, t2, m1, m2) then
      out[#out + 1] = {items[1], {table.unpack(items, 2, #items)}}
    end
  end
  return out
end
__adg_stream.xlen = function(key) return __adg_call('LLEN', key) end
local function __adg_route(f, ...)
  local a = table.pack(__adg_args(...))
  local s = __adg_stream[string.lower(a[1])]
  if s then return s(table.unpack(a, 2, a.n)) end
  return f(table.unpack(a, 1, a.n))
end
redis.call = function(...) return __adg_route(__adg_call, ...) end
redis.pcall = function(...) return __adg_route(__adg_pcall, ...) end
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
