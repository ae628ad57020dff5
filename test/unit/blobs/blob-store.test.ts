import { randomBytes } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix } from "../../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../../local/stack.js";
import {
  BlobDecryptionError,
  BlobEncryptionUnavailableError,
  BlobFormatError,
  BlobTooLargeError,
} from "../../../shared/blobs/blob-errors.js";
import type { BlobLimits } from "../../../shared/blobs/blob-limits.js";
import { BlobStore } from "../../../shared/blobs/blob-store.js";
import { EncryptionKeyring } from "../../../shared/crypto/keyring.js";
import { sha256Hex } from "../../../shared/util/hash.js";

/**
 * The blob store through the official @upstash/redis client and the local Upstash REST server on a real Redis:
 * envelopes (plain, gzip, chunks, AES-256-GCM), size limits, TTL handling, and the encryption guarantees (unreadable
 * without the key, loud failure with a wrong or missing key, tamper and copy detection, key rotation).
 */

const TTL = 3600;
const KIB = 1024;
const MIB = 1024 * KIB;

/** Random base64 text: gzip cannot shrink it below ~3/4, so its stored form stays about as large as the text. */
const incompressible = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64")
    .slice(0, bytes);
const key32 = () => randomBytes(32).toString("base64");

/** Prose that compresses well and has no 16-character window shared with base64 output by chance. */
function prose(bytes: number): string {
  const words = [
    "the",
    "reviewer",
    "found",
    "a",
    "race",
    "in",
    "claim_node",
    "and",
    "suggests",
    "locking",
    "budget",
    "secret",
    "ledger",
    "merger",
    "Q3",
  ];
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += `${words[(i * 7 + (i >> 3)) % words.length]} `;
  return out.slice(0, bytes);
}

describe("BlobStore on real Redis", () => {
  const prefix = `test-blobs-${Math.random().toString(36).slice(2, 10)}`;
  const k1 = key32();
  const k2 = key32();
  let stack: LocalStack;
  let redis: Redis;
  const store = (keys?: string, limits?: Partial<BlobLimits>) =>
    new BlobStore(redis, prefix, TTL, { keyring: keys ? EncryptionKeyring.fromSecret(keys) : undefined, limits });
  const headKey = (ref: string) => `${prefix}:blob:${ref}`;
  /** Every key of a blob (head and chunks) and its raw value, as Redis holds it. */
  async function rawValues(ref: string): Promise<Map<string, string>> {
    const keys = (await redis.keys(`${headKey(ref)}*`)) as string[];
    const values = keys.length > 0 ? await redis.mget<(string | null)[]>(...keys) : [];
    return new Map(keys.map((k, i) => [k, String(values[i])]));
  }

  beforeAll(async () => {
    stack = await startLocalStack({ redisPort: 0, qstashPort: 0 });
    redis = new Redis({
      url: stack.redisRestUrl,
      token: stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
  });
  afterAll(async () => {
    await stack?.close();
    if (stack?.backend === "redis")
      await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
  });

  it("runs on the real Redis", () => {
    // The tests expect a real Redis at REDIS_URL (default 127.0.0.1:6379); the stack falls back to memory without one.
    expect(stack.backend).toBe("redis");
  });

  describe("plain, compressed, chunked", () => {
    it("stores small text as itself under its SHA-256, and reads several refs in order", async () => {
      const s = store();
      const ref = await s.put("hello blobs");
      expect(ref).toBe(await sha256Hex("hello blobs"));
      expect(await redis.get(headKey(ref))).toBe("hello blobs");
      const ttl = await redis.ttl(headKey(ref));
      expect(ttl).toBeGreaterThan(TTL - 5);
      expect(ttl).toBeLessThanOrEqual(TTL);
      const other = await s.put("ad1:looks like an envelope");
      expect(await redis.get(headKey(other))).toBe("ad1:raw:ad1:looks like an envelope");
      expect(await s.getMany([other, "f".repeat(64), ref])).toEqual([
        "ad1:looks like an envelope",
        null,
        "hello blobs",
      ]);
      expect(await s.getMany([])).toEqual([]);
    });

    it("reads a value written before envelopes existed (plain SET)", async () => {
      const legacy = "legacy output\nwith lines";
      const ref = await sha256Hex(legacy);
      await redis.set(headKey(ref), legacy, { ex: TTL });
      expect(await store().getMany([ref])).toEqual([legacy]);
    });

    it("gzip-compresses a 300 KiB compressible text: the stored value is far smaller and starts with ad1:gz:", async () => {
      const text = prose(300 * KIB);
      const ref = await store().put(text);
      const raw = String(await redis.get(headKey(ref)));
      expect(raw.startsWith("ad1:gz:")).toBe(true);
      expect(raw.length).toBeLessThan(text.length / 10);
      expect(await store().getMany([ref])).toEqual([text]);
    });

    it("chunks a 3 MiB incompressible text under a manifest; chunks share the TTL; one MGET for heads, one for chunks", async () => {
      const text = incompressible(3 * MIB);
      const small = await store().put("small neighbour");
      const ref = await store().put(text);
      const manifest = String(await redis.get(headKey(ref)));
      const m = /^ad1:chunks:(\d+):(\d+):([0-9a-f]{16})$/.exec(manifest);
      expect(m, manifest).not.toBeNull();
      const [count, bytes, set] = [Number(m![1]), Number(m![2]), m![3]!];
      expect(bytes).toBeGreaterThan(3 * MIB * 0.95);
      expect(count).toBe(Math.ceil(bytes / (512 * KIB)));
      const values = await rawValues(ref);
      expect(values.size).toBe(count + 1);
      for (let i = 0; i < count; i++) {
        const chunk = values.get(`${headKey(ref)}:${set}:c${i}`);
        expect(chunk, `chunk ${i}`).toBeDefined();
        expect(chunk!.length).toBeLessThanOrEqual(512 * KIB);
        expect(await redis.ttl(`${headKey(ref)}:${set}:c${i}`)).toBeGreaterThan(TTL - 5);
      }
      expect(values.get(`${headKey(ref)}:${set}:c0`)!.startsWith("ad1:gz:")).toBe(true);

      stack.resetStats();
      expect(await store().getMany([small, ref, "e".repeat(64)])).toEqual(["small neighbour", text, null]);
      expect(stack.stats().redisRequests).toBe(2);
    });

    it("refuses a blob over 8 MiB stored with BlobTooLargeError naming the sizes, and writes nothing", async () => {
      const text = incompressible(9 * MIB);
      const ref = await sha256Hex(text);
      const err = await store()
        .put(text)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobTooLargeError);
      const e = err as BlobTooLargeError;
      expect(e).toMatchObject({ textBytes: 9 * MIB, limitBytes: 8 * MIB, limit: "maxStoredBytes" });
      expect(e.storedBytes).toBeGreaterThan(8 * MIB);
      expect(e.message).toContain(`${9 * MIB} bytes of text`);
      expect(e.message).toContain(`${8 * MIB}-byte limit`);
      expect((await rawValues(ref)).size).toBe(0);
    });

    it("refuses text over maxTextBytes before encoding it", async () => {
      const err = await store(undefined, { maxTextBytes: 1000, compressAboveBytes: 100, chunkBytes: 200 })
        .put("x".repeat(1001))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: "BlobTooLargeError",
        limit: "maxTextBytes",
        textBytes: 1001,
        storedBytes: null,
      });
    });

    it("a blob whose chunk expired reads as null and touches as absent; a chunk of the wrong length is a format error", async () => {
      const s = store(undefined, { compressAboveBytes: 100, chunkBytes: 400 });
      const text = incompressible(2000);
      const ref = await s.put(text);
      const keys = [...(await rawValues(ref)).keys()].filter((k) => k !== headKey(ref)).sort();
      expect(keys.length).toBeGreaterThan(3);
      await redis.set(keys[1]!, `${await redis.get(keys[1]!)}X`, { keepTtl: true });
      await expect(s.getMany([ref])).rejects.toBeInstanceOf(BlobFormatError);
      await redis.del(keys[1]!);
      expect(await s.getMany([ref])).toEqual([null]);
      expect(await s.touch([ref], TTL)).toEqual([false]);
    });
  });

  describe("TTL", () => {
    it("touch extends head and chunks, never shortens, and reports which blobs exist", async () => {
      const s = store(undefined, { compressAboveBytes: 100, chunkBytes: 400 });
      const chunked = await s.put(incompressible(2000));
      const plain = await s.put("touch me");
      expect(await s.touch([chunked, "d".repeat(64), plain], 10 * TTL)).toEqual([true, false, true]);
      const keys = [...(await rawValues(chunked)).keys(), headKey(plain)];
      expect(keys.length).toBeGreaterThan(5);
      for (const k of keys) expect(await redis.ttl(k), k).toBeGreaterThan(9 * TTL);
      expect(await s.touch([chunked, plain], 60)).toEqual([true, true]);
      for (const k of keys) expect(await redis.ttl(k), k).toBeGreaterThan(9 * TTL);
      await expect(s.touch([plain], 0)).rejects.toThrow(RangeError);
    });

    it("put with ttlSeconds keeps the blob max(store TTL, ttlSeconds); a shorter one never cuts the store's TTL", async () => {
      const s = store();
      const long = await s.put("cached for a month", { ttlSeconds: TTL * 10 });
      expect(await redis.ttl(headKey(long))).toBeGreaterThan(TTL * 9);
      const short = await s.put("cached for a minute", { ttlSeconds: 1 });
      expect(await redis.ttl(headKey(short))).toBeGreaterThan(TTL - 10);
    });

    it("putting an existing blob keeps a longer TTL; a chunked one is only touched, not re-sent", async () => {
      const s = store(undefined, { compressAboveBytes: 100, chunkBytes: 400 });
      const plain = await s.put("kept alive by the cache");
      await s.touch([plain], 10 * TTL);
      expect(await s.put("kept alive by the cache")).toBe(plain);
      expect(await redis.ttl(headKey(plain))).toBeGreaterThan(9 * TTL);

      const big = store(undefined, { compressAboveBytes: 100, chunkBytes: 4000 });
      const text = incompressible(40_000);
      const chunked = await big.put(text);
      await redis.expire(headKey(chunked), 100);
      stack.resetStats();
      expect(await big.put(text)).toBe(chunked);
      expect(stack.stats().redisRequests).toBe(3); // head pipeline, manifest read, chunk pipeline: no SET
      expect(stack.stats().redisRequestBytes).toBeLessThan(text.length / 10);
      expect(await redis.ttl(headKey(chunked))).toBeGreaterThan(TTL - 5);
      expect(await big.getMany([chunked])).toEqual([text]);
    });
  });

  describe("encryption", () => {
    const secretText = prose(2000);

    it("round-trips; Redis holds neither the plaintext nor any 16-character piece of it, nor its SHA-256 as a key", async () => {
      const s = store(`k1:${k1}`);
      const ref = await s.put(secretText, { encrypt: true });
      expect(ref).toMatch(/^[0-9a-f]{64}$/);
      expect(ref).not.toBe(await sha256Hex(secretText));
      expect((await rawValues(await sha256Hex(secretText))).size).toBe(0);
      expect(await s.put(secretText, { encrypt: true })).toBe(ref); // equal sensitive outputs share one key
      const raw = String(await redis.get(headKey(ref)));
      expect(raw.startsWith("ad1:enc:k1:utf8:")).toBe(true);
      for (let i = 0; i + 16 <= secretText.length; i++) expect(raw.includes(secretText.slice(i, i + 16))).toBe(false);
      expect(await s.getMany([ref])).toEqual([secretText]);
    });

    it("compresses before encrypting and chunks after: a 3 MiB sensitive output round-trips, no chunk leaks text", async () => {
      const big = prose(200 * KIB) + incompressible(3 * MIB);
      const s = store(`k1:${k1}`);
      const ref = await s.put(big, { encrypt: true });
      const values = await rawValues(ref);
      expect(values.size).toBeGreaterThan(5);
      expect(values.get(headKey(ref))).toMatch(/^ad1:chunks:\d+:\d+:[0-9a-f]{16}$/);
      const firstChunk = [...values.entries()].find(([k]) => k.endsWith(":c0"))![1];
      expect(firstChunk.startsWith("ad1:enc:k1:gz:")).toBe(true);
      const sample = big.slice(0, 4000);
      for (const v of values.values())
        for (let i = 0; i + 16 <= sample.length; i += 7) expect(v.includes(sample.slice(i, i + 16))).toBe(false);
      expect(await s.getMany([ref])).toEqual([big]);
    });

    it("a wrong key under the same id fails loudly with BlobDecryptionError", async () => {
      const ref = await store(`k1:${k1}`).put(secretText, { encrypt: true });
      const err = await store(`k1:${key32()}`)
        .getMany([ref])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobDecryptionError);
      expect(err).toMatchObject({ ref, kid: "k1", reason: "authentication-failed" });
      expect((err as Error).message).toContain("authentication failed: wrong key or tampered value");
    });

    it("a key id that is not configured fails loudly, with or without a keyring", async () => {
      const ref = await store(`k1:${k1}`).put(secretText, { encrypt: true });
      for (const s of [store(), store(`k2:${k2}`)]) {
        const err = await s.getMany([ref]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BlobDecryptionError);
        expect((err as Error).message).toBe(`blob ${ref} is encrypted with key k1, which is not configured`);
      }
    });

    it("rotation: written under k1, still read after rotating to k2,k1; new writes use k2; refs stay the same", async () => {
      const before = await store(`k1:${k1}`).put("written before rotation", { encrypt: true });
      const rotated = store(`k2:${k2},k1:${k1}`);
      expect(await rotated.getMany([before])).toEqual(["written before rotation"]);
      const after = await rotated.put("written after rotation", { encrypt: true });
      expect(String(await redis.get(headKey(after))).startsWith("ad1:enc:k2:")).toBe(true);
      expect(await rotated.getMany([after, before])).toEqual(["written after rotation", "written before rotation"]);
      expect(
        await store(`k1:${k1}`)
          .put("written after rotation", { encrypt: true })
          .then(async (r) => r === after),
      ).toBe(true);
      await expect(store(`k1:${k1}`).getMany([after])).rejects.toMatchObject({
        name: "BlobDecryptionError",
        kid: "k2",
        reason: "unknown-key",
      });
    });

    it("a tampered ciphertext, IV or header field fails authentication", async () => {
      const s = store(`k1:${k1}`);
      const ref = await s.put(secretText, { encrypt: true });
      const raw = String(await redis.get(headKey(ref)));
      const [, , kid, encoding, iv, ct] = raw.split(":") as [string, string, string, string, string, string];
      const flip = (b64: string, at: number) => b64.slice(0, at) + (b64[at] === "A" ? "B" : "A") + b64.slice(at + 1);
      for (const tampered of [
        `ad1:enc:${kid}:${encoding}:${iv}:${flip(ct, 10)}`,
        `ad1:enc:${kid}:${encoding}:${flip(iv, 3)}:${ct}`,
        `ad1:enc:${kid}:gz:${iv}:${ct}`,
      ]) {
        await redis.set(headKey(ref), tampered, { keepTtl: true });
        await expect(s.getMany([ref])).rejects.toMatchObject({
          name: "BlobDecryptionError",
          reason: "authentication-failed",
        });
      }
    });

    it("a value copied under another ref fails authentication (the ref is associated data)", async () => {
      const s = store(`k1:${k1}`);
      const ref = await s.put("bound to its ref", { encrypt: true });
      const elsewhere = await sha256Hex("some other ref");
      await redis.set(headKey(elsewhere), String(await redis.get(headKey(ref))), { ex: TTL });
      await expect(s.getMany([elsewhere])).rejects.toMatchObject({
        name: "BlobDecryptionError",
        ref: elsewhere,
        reason: "authentication-failed",
      });
      expect(await s.getMany([ref])).toEqual(["bound to its ref"]);
    });

    it("refuses to store a sensitive output in the clear when no keyring is configured", async () => {
      await expect(store().put("must not leak", { encrypt: true })).rejects.toBeInstanceOf(
        BlobEncryptionUnavailableError,
      );
      expect((await rawValues(await sha256Hex("must not leak"))).size).toBe(0);
    });
  });
});

describe("BlobStore on the in-memory store", () => {
  const prefix = `test-blobs-mem-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let s: BlobStore;

  beforeAll(async () => {
    stack = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0 });
    const redis = new Redis({
      url: stack.redisRestUrl,
      token: stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
    s = new BlobStore(redis, prefix, TTL, {
      keyring: EncryptionKeyring.fromSecret(`k1:${key32()}`),
      limits: { compressAboveBytes: 100, chunkBytes: 400 },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("round-trips plain, gzip, chunked and encrypted blobs (what `npm run demo -- --memory` uses)", async () => {
    const texts = ["plain", prose(300), incompressible(3000), prose(5000)];
    const refs = [
      await s.put(texts[0]!),
      await s.put(texts[1]!),
      await s.put(texts[2]!),
      await s.put(texts[3]!, { encrypt: true }),
    ];
    expect(await s.getMany(refs)).toEqual(texts);
    expect(await s.touch(refs, TTL)).toEqual([true, true, true, true]);
  });
});
