import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { RegistryStore } from "../../../shared/registry/registry-store.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

const T0 = 1_800_000_000_000;

/**
 * The registry scripts through the official client and the local Upstash REST server, on a real Redis and on the
 * embedded in-memory store, with small caps: versions, identical PUTs, pruning, the entry and byte caps, deletion,
 * and tenants apart.
 */
describe.each(STORE_BACKENDS)("registry store on $name", ({ memory }) => {
  const prefix = `test-reg-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let redis: Redis;
  let store: RegistryStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    redis = storeRedis(stack);
    store = new RegistryStore(redis, prefix, { entries: 2, versions: 2, bytes: 100 });
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  const entry = (definition: string, hash: string, now = T0) => ({ definition, hash, summary: { d: definition }, now });

  it("numbers versions, answers an identical latest without writing, prunes past the versions kept", async () => {
    expect(await store.put("workflow", "t1", "w", entry("{}", "aa01"))).toEqual({
      ok: true,
      version: 1,
      created: true,
      createdAt: T0,
    });
    expect(await store.put("workflow", "t1", "w", entry("{}", "aa01", T0 + 5))).toEqual({
      ok: true,
      version: 1,
      created: false,
      createdAt: T0,
    });
    await store.put("workflow", "t1", "w", entry('{"a":1}', "aa02", T0 + 1));
    await store.put("workflow", "t1", "w", entry('{"a":2}', "aa03", T0 + 2));
    expect(await store.get("workflow", "t1", "w", 1)).toBeNull();
    expect(await store.get("workflow", "t1", "w", 2)).toMatchObject({
      version: 2,
      hash: "aa02",
      definition: '{"a":1}',
    });
    expect(await store.get("workflow", "t1", "w")).toMatchObject({ version: 3, hash: "aa03", createdAt: T0 + 2 });
    expect(await store.list("workflow", "t1")).toEqual([
      { name: "w", version: 3, hash: "aa03", createdAt: T0 + 2, summary: { d: '{"a":2}' } },
    ]);
  });

  it("refuses a new name past the entry cap and a version past the byte cap, writing nothing", async () => {
    await store.put("agent", "t2", "a", entry("x".repeat(40), "bb01"));
    await store.put("agent", "t2", "b", entry("y".repeat(40), "bb02"));
    expect(await store.put("agent", "t2", "c", entry("z", "bb03"))).toEqual({ ok: false, cap: "entries" });
    // 80 bytes kept of 100; 30 more would pass the cap (versions kept: 2, so nothing is pruned to make room)
    expect(await store.put("agent", "t2", "a", entry("w".repeat(30), "bb04"))).toEqual({
      ok: false,
      cap: "bytes",
    });
    expect(await store.get("agent", "t2", "a")).toMatchObject({ version: 1, hash: "bb01" });
    // deleting gives the bytes back: the same PUT then fits
    expect(await store.delete("agent", "t2", "b")).toBe(true);
    expect(await store.delete("agent", "t2", "b")).toBe(false);
    expect(await store.put("agent", "t2", "a", entry("w".repeat(30), "bb04"))).toMatchObject({
      ok: true,
      version: 2,
    });
    expect((await store.list("agent", "t2")).map((e) => e.name)).toEqual(["a"]);
  });

  it("keeps tenants and kinds apart", async () => {
    await store.put("workflow", "t3", "same", entry("{}", "cc01"));
    expect(await store.get("workflow", "t4", "same")).toBeNull();
    expect(await store.get("agent", "t3", "same")).toBeNull();
    expect(await store.list("workflow", "t4")).toEqual([]);
  });
});
