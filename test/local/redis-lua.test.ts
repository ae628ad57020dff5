import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";

/**
 * Lua scripts through the official client give the same replies on both backends. Real Redis is the reference; the
 * in-memory backend gets there through the shim in local/redis-rest/memory-lua.ts (tables built step by step, tables
 * over 50 items, number arguments of redis.call, `{err=}` and `{ok=}` replies).
 */
describe.each([
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
])("Lua scripts on $name", ({ memory }) => {
  let stack: LocalStack;
  let redis: Redis;
  const key = `test:lua:${Math.random().toString(36).slice(2)}:h`;

  beforeAll(async () => {
    stack = await startLocalStack({ memory, redisPort: 0, qstashPort: 0 });
    redis = new Redis({
      url: stack.redisRestUrl,
      token: stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
  });
  afterAll(async () => {
    await redis?.del(key);
    await stack?.close();
  });

  it("uses the requested backend", () => {
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  it("returns tables built step by step, over 50 items, nested, and cut at the first nil", async () => {
    const script = `
      local r = {}
      for i = 1, 60 do r[#r + 1] = tostring(i) end
      local head = {1, ''}
      head[#head + 1] = 'x'
      head[2] = 'set'
      return {#r, r, head, {1, false, 'a', nil, 'lost'}}`;
    const expected = [60, Array.from({ length: 60 }, (_, i) => String(i + 1)), [1, "set", "x"], [1, null, "a"]];
    expect(await redis.eval(script, [], [])).toEqual(expected);
  });

  it("stores number arguments of redis.call as strings", async () => {
    const script = `
      redis.call('HSET', KEYS[1], 'zero', 0, 'n', tonumber(ARGV[1]))
      local zero = redis.call('HGET', KEYS[1], 'zero')
      return {zero, type(zero), redis.call('HGET', KEYS[1], 'n'), redis.call('HINCRBY', KEYS[1], 'n', -1)}`;
    expect(await redis.eval(script, [key], ["7"])).toEqual(["0", "string", "7", 6]);
    expect(await redis.hget(key, "zero")).toBe("0");
  });

  it("turns {err=} into an error reply and {ok=} into a status reply", async () => {
    await expect(redis.eval("return {err='boom: bad input'}", [], [])).rejects.toThrow(/boom: bad input/);
    expect(await redis.eval("return {ok='FINE'}", [], [])).toBe("FINE");
  });
});
