import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";

/** Contract tests: the official @upstash/redis client, unchanged, against the local REST server on both backends. */
describe.each([
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
])("Upstash Redis REST on $name", ({ memory }) => {
  let stack: LocalStack;
  let redis: Redis;
  const prefix = `test:local:${Math.random().toString(36).slice(2)}:`;
  const k = (name: string): string => prefix + name;

  beforeAll(async () => {
    stack = await startLocalStack({ memory, redisPort: 0, qstashPort: 0, log: () => undefined });
    redis = new Redis({ url: stack.redisRestUrl, token: stack.redisToken, enableTelemetry: false });
  });

  afterAll(async () => {
    if (stack?.backend === "redis") {
      // Only our own keys: other tests share this Redis, so never FLUSHDB.
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
    }
    await stack?.close();
  });

  it("uses the requested backend", () => {
    // The tests expect a real Redis at REDIS_URL (default 127.0.0.1:6379); the stack falls back to memory without one.
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  it("round-trips strings, UTF-8 and numbers that must stay strings", async () => {
    const text = "héllo wörld ✓ 日本語 🚀";
    await redis.set(k("utf8"), text);
    expect(await redis.get(k("utf8"))).toBe(text);
    await redis.set(k("big"), "12345678901234567890");
    expect(await redis.get(k("big"))).toBe("12345678901234567890");
    await redis.set(k("lead"), "007");
    expect(await redis.get(k("lead"))).toBe("007");
    await redis.set(k("num"), 42);
    expect(await redis.get(k("num"))).toBe(42);
    await redis.set(k("obj"), { a: 1, b: ["x", "ü"] });
    expect(await redis.get(k("obj"))).toEqual({ a: 1, b: ["x", "ü"] });
  });

  it("runs incr, hset/hgetall, mget, lists and expiry", async () => {
    expect(await redis.incr(k("n"))).toBe(1);
    expect(await redis.incrby(k("n"), 5)).toBe(6);
    expect(await redis.hset(k("h"), { f: "v", g: "ü" })).toBe(2);
    expect(await redis.hgetall(k("h"))).toEqual({ f: "v", g: "ü" });
    expect(await redis.mget(k("n"), k("missing"))).toEqual([6, null]);
    expect(await redis.rpush(k("l"), "a", "b", "c")).toBe(3);
    expect(await redis.lrange(k("l"), 0, -1)).toEqual(["a", "b", "c"]);
    expect(await redis.set(k("ttl"), "x", { ex: 100 })).toBe("OK");
    const ttl = await redis.ttl(k("ttl"));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.type(k("h"))).toBe("hash");
    expect(await redis.set(k("nx"), "1", { nx: true })).toBe("OK");
    expect(await redis.set(k("nx"), "2", { nx: true })).toBeNull();
  });

  it("reports command errors and keeps the value untouched", async () => {
    await redis.set(k("word"), "abc");
    await expect(redis.incr(k("word"))).rejects.toThrow(/not an integer/);
    expect(await redis.get(k("word"))).toBe("abc");
  });

  it("runs explicit pipelines with in-band errors", async () => {
    const p = redis.pipeline();
    p.set(k("p1"), "one");
    p.get(k("p1"));
    p.incr(k("p1"));
    await expect(p.exec()).rejects.toThrow(/Command 3 \[ incr \] failed: ERR/);
    const ok = redis.pipeline();
    ok.set(k("p2"), "2");
    ok.incr(k("p2"));
    ok.get(k("p2"));
    expect(await ok.exec()).toEqual(["OK", 3, 3]);
  });

  it("runs MULTI/EXEC transactions", async () => {
    const tx = redis.multi();
    tx.set(k("t"), "10");
    tx.incrby(k("t"), 5);
    tx.get(k("t"));
    tx.hset(k("th"), { a: "1" });
    expect(await tx.exec()).toEqual(["OK", 15, 15, 1]);
  });

  it("runs EVAL and createScript with the EVALSHA -> EVAL fallback", async () => {
    const script = `return {KEYS[1], ARGV[1], 7, "${Math.random()}"}`;
    const res = (await redis.eval(script, [k("ek")], ["arg-ü"])) as unknown[];
    expect(res.slice(0, 3)).toEqual([k("ek"), "arg-ü", 7]);

    const unique = `return redis.call("INCRBY", KEYS[1], ARGV[1]) -- ${Math.random()}`;
    const s = redis.createScript<number>(unique);
    // First exec: EVALSHA fails with NOSCRIPT, the client falls back to EVAL.
    expect(await s.exec([k("sc")], ["2"])).toBe(2);
    // Second exec: the script is cached now, EVALSHA works directly.
    expect(await s.evalsha([k("sc")], ["3"])).toBe(5);
    await expect(redis.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.scriptLoad("return 1")).toBe("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    expect(await redis.scriptExists("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0".repeat(40))).toEqual([1, 0]);
  });

  it("counts requests, commands and bytes", async () => {
    stack.resetStats();
    const p = redis.pipeline();
    p.set(k("s1"), "x");
    p.set(k("s2"), "y");
    p.get(k("s1"));
    await p.exec();
    await redis.get(k("s2"));
    const st = stack.stats();
    expect(st.redisRequests).toBe(2);
    expect(st.redisCommands).toBe(4);
    expect(st.redisRequestBytes).toBeGreaterThan(40);
  });
});

describe("Upstash Redis REST wire format", () => {
  let stack: LocalStack;
  const prefix = `test:local:wire:${Math.random().toString(36).slice(2)}:`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.redisRestUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.redisToken}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("rejects a wrong token with 401 Unauthorized and accepts ?_token=", async () => {
    const bad = await fetch(`${stack.redisRestUrl}/`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
      body: '["ping"]',
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: "Unauthorized" });
    const ok = await fetch(`${stack.redisRestUrl}/?_token=${stack.redisToken}`, { method: "POST", body: '["ping"]' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ result: "PONG" });
  });

  it("encodes every string at every depth in base64 mode, except a top-level OK (per item); errors stay plain", async () => {
    const b64 = { "upstash-encoding": "base64" };
    expect(await (await post("/", ["set", `${prefix}a`, "bär"], b64)).json()).toEqual({ result: "OK" });
    expect(await (await post("/", ["get", `${prefix}a`], b64)).json()).toEqual({
      result: Buffer.from("bär").toString("base64"),
    });
    const tx = await post(
      "/multi-exec",
      [
        ["set", `${prefix}b`, "1"],
        ["incr", `${prefix}b`],
        ["type", `${prefix}b`],
      ],
      b64,
    );
    expect(await tx.json()).toEqual([
      { result: "OK" },
      { result: 2 },
      { result: Buffer.from("string").toString("base64") },
    ]);
    const pipe = await post(
      "/pipeline",
      [
        ["mget", `${prefix}a`, `${prefix}zz`],
        ["incr", `${prefix}a`],
      ],
      b64,
    );
    expect(pipe.status).toBe(200);
    expect(await pipe.json()).toEqual([
      { result: [Buffer.from("bär").toString("base64"), null] },
      { error: "ERR value is not an integer or out of range" },
    ]);
    const single = await post("/", ["incr", `${prefix}a`], b64);
    expect(single.status).toBe(400);
    expect(await single.json()).toEqual({ error: "ERR value is not an integer or out of range" });
  });

  it("coerces numbers (keeping their JSON text), booleans and null", async () => {
    await fetch(`${stack.redisRestUrl}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.redisToken}` },
      body: `["rpush", "${prefix}c", 12345678901234567890, 1.50, true, null]`,
    });
    const res = await post("/", ["lrange", `${prefix}c`, 0, -1]);
    expect(await res.json()).toEqual({ result: ["12345678901234567890", "1.50", "true", ""] });
  });

  it("answers a discarded transaction with 400 and refuses connection-state commands", async () => {
    const res = await post("/multi-exec", [
      ["set", `${prefix}d`, "1"],
      ["subscribe", "ch"],
    ]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/EXECABORT/);
    const get = await post("/", ["get", `${prefix}d`]);
    expect(await get.json()).toEqual({ result: null });
  });

  it("serves path-style commands with body and query arguments", async () => {
    const auth = { authorization: `Bearer ${stack.redisToken}` };
    const set = await fetch(`${stack.redisRestUrl}/set/${prefix}p?EX=100`, {
      method: "POST",
      headers: auth,
      body: "from body",
    });
    expect(await set.json()).toEqual({ result: "OK" });
    const get = await fetch(`${stack.redisRestUrl}/get/${encodeURIComponent(`${prefix}p`)}`, { headers: auth });
    expect(await get.json()).toEqual({ result: "from body" });
    const ttl = await fetch(`${stack.redisRestUrl}/ttl/${prefix}p`, { headers: auth });
    expect(((await ttl.json()) as { result: number }).result).toBeGreaterThan(90);
  });

  it("rejects malformed bodies with 400", async () => {
    const res = await fetch(`${stack.redisRestUrl}/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.redisToken}` },
      body: "{",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^ERR /);
  });
});

describe("Redis fallback", () => {
  it("falls back to the in-memory store with a printed line when Redis is unreachable", async () => {
    const lines: string[] = [];
    const stack = await startLocalStack({
      redisUrl: "redis://127.0.0.1:1",
      redisPort: 0,
      qstashPort: 0,
      log: (l) => lines.push(l),
    });
    try {
      expect(stack.backend).toBe("memory");
      expect(lines.some((l) => /no Redis reachable at redis:\/\/127\.0\.0\.1:1 .*in-memory/.test(l))).toBe(true);
      const redis = new Redis({ url: stack.redisRestUrl, token: stack.redisToken, enableTelemetry: false });
      await redis.set("fallback", "works");
      expect(await redis.get("fallback")).toBe("works");
    } finally {
      await stack.close();
    }
  });
});
