import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBackend } from "../../local/redis-rest/memory-backend.js";

/**
 * The in-memory backend's streams (memory-lua.ts's shim): XADD ids `<ms>-<seq>` that only grow, MAXLEN trimming,
 * XRANGE with inclusive bounds and COUNT, XLEN, and a stream key that expires and is deleted like any other. The
 * run event log depends on these inside Lua and outside it.
 */
describe("in-memory streams", () => {
  let b: MemoryBackend;
  const cmd = async (...args: string[]) => {
    const reply = await b.command(args.map((a) => Buffer.from(a)));
    const text = (r: unknown): unknown =>
      Array.isArray(r) ? r.map(text) : Buffer.isBuffer(r) ? (r as Buffer).toString() : r;
    return text(reply);
  };
  beforeAll(() => {
    b = new MemoryBackend();
  });
  afterAll(async () => {
    await b.close();
  });

  it("adds entries with growing ids, trims to MAXLEN and reads ranges", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(String(await cmd("xadd", "s", "MAXLEN", "~", "3", "*", "f", `v${i}`, "g", "x\ny")));
    for (const id of ids) expect(id).toMatch(/^\d{13}-\d+$/);
    const key = (id: string) => id.split("-").map(Number);
    for (let i = 1; i < ids.length; i++) {
      const [pm = 0, ps = 0] = key(ids[i - 1] as string);
      const [m = 0, s = 0] = key(ids[i] as string);
      expect(m > pm || (m === pm && s > ps)).toBe(true);
    }
    expect(await cmd("xlen", "s")).toBe(3);
    expect(await cmd("xrange", "s", "-", "+")).toEqual(
      ids.slice(2).map((id, i) => [id, ["f", `v${i + 2}`, "g", "x\ny"]]),
    );
    expect(await cmd("xrange", "s", ids[3] as string, "+", "COUNT", "1")).toEqual([[ids[3], ["f", "v3", "g", "x\ny"]]]);
    expect(await cmd("eval", "return #redis.call('XRANGE', KEYS[1], ARGV[1], '+')", "1", "s", ids[4] as string)).toBe(
      1,
    );
  });

  it("refuses an explicit id not above the top one; the key expires and is deleted like any other", async () => {
    await cmd("xadd", "t", "5-1", "a", "1");
    await expect(cmd("xadd", "t", "5-1", "a", "2")).rejects.toThrow(/equal or smaller/);
    expect(await cmd("xadd", "t", "5-2", "a", "2")).toBe("5-2");
    expect(await cmd("expire", "t", "100")).toBe(1);
    expect(await cmd("ttl", "t")).toBe(100);
    expect(await cmd("del", "t")).toBe(1);
    expect(await cmd("xrange", "t", "-", "+")).toEqual([]);
  });
});
