import type { Redis } from "@upstash/redis";
import type { EncryptionKeyring } from "../crypto/keyring.js";
import { blobKey } from "../state/keys.js";
import { decodeEnvelope, encodeBlob } from "./blob-codec.js";
import { BlobFormatError } from "./blob-errors.js";
import { type BlobLimits, resolveBlobLimits } from "./blob-limits.js";
import { chunkKeys, chunkSetId, splitChunks } from "./chunking.js";
import { ENVELOPE_MARKER, type Envelope, formatManifest, MANIFEST_MAX_CHARS, parseEnvelope } from "./envelope.js";

/** The slice of the Upstash Redis client the blob store uses. */
export type BlobRedis = Pick<Redis, "mget" | "pipeline">;

type Pipe = ReturnType<BlobRedis["pipeline"]>;

/**
 * A blob encoded by {@link BlobStore.prepare}: its ref, and the writes that store it. Queued on a pipeline, the
 * writes must run before any command that records the ref (a pipeline runs its commands in order).
 */
export interface PreparedBlob {
  /** SHA-256 hex of the text, or for an encrypted blob its keyed HMAC (blob-ref.ts). */
  readonly ref: string;
  /** Queues the blob's writes (`SET … NX EX`, `EXPIRE … GT`) on `p`; queues nothing for a chunked blob, already written. */
  readonly queueWrites: (p: Pipe) => void;
}

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  /** Keys for `put(text, { encrypt: true })` and for reading encrypted blobs (e.g. from `CACHE_ENCRYPTION_KEYS`). */
  keyring?: EncryptionKeyring;
  /** Overrides of DEFAULT_BLOB_LIMITS (bytes); see blob-limits.ts. */
  limits?: Partial<BlobLimits>;
}

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /** Store the text encrypted (a `sensitive: true` node's output). Default false. */
  encrypt?: boolean;
  /**
   * Keep the blob at least this long, seconds (e.g. a result-cache entry's TTL that outlives the run retention).
   * The store's own TTL is the floor: the blob lives max(this, retention).
   */
  ttlSeconds?: number;
}

const MANIFEST_PREFIX = `${ENVELOPE_MARKER}chunks:`;

/**
 * Content-addressed storage of node outputs and run inputs (messages carry references, never
 * state). A blob lives at `<prefix>:blob:<ref>`; equal texts share one key and a message's size does not grow with
 * its data. The value is an envelope (envelope.ts): plain text when small, gzip above 64 KiB, AES-256-GCM when
 * encrypted, and split into 512 KiB chunks under a manifest when the stored form is still large, up to 8 MiB stored
 * per blob (blob-limits.ts gives the limits and their sources).
 *
 * TTLs only ever grow: a write of an existing blob keeps its value and extends its TTL (never shortens one that
 * {@link touch} made longer), and all chunk keys of a blob carry the same TTL as its head. `EXPIRE … GT` needs
 * Redis 7 (https://upstash.com/docs/redis/commands/generic/expire documents it for Upstash); the local stack's
 * embedded in-memory store (ioredis-mock) ignores `GT` and simply sets the TTL.
 *
 * An encrypted blob that is written again while it exists keeps its first ciphertext (and key id): re-encryption
 * under a new current key happens only once the old value has expired.
 */
export class BlobStore {
  /** The limits in force, in bytes. */
  readonly limits: BlobLimits;
  readonly #keyring: EncryptionKeyring | undefined;

  /**
   * @param redis Upstash Redis client (created with `automaticDeserialization: false`, so values stay strings).
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param ttlSeconds how long a blob lives at least after its latest write, in seconds (the run retention).
   * @param options encryption keyring and limit overrides.
   * @throws RangeError when `options.limits` is inconsistent (see resolveBlobLimits).
   */
  constructor(
    private readonly redis: BlobRedis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    options: BlobStoreOptions = {},
  ) {
    this.limits = resolveBlobLimits(options.limits);
    this.#keyring = options.keyring;
  }

  /**
   * Stores `text` and returns its ref: {@link prepare}, then {@link write} (one pipeline, one HTTP request, for a
   * blob that is not chunked).
   * @returns the ref: SHA-256 hex of the text, or for `encrypt` its keyed HMAC (blob-ref.ts).
   * @throws BlobTooLargeError when the text or its stored form is over the limits (nothing is written).
   * @throws BlobEncryptionUnavailableError when `encrypt` is set and the store has no keyring.
   * @throws UpstashError when Redis refuses the write.
   */
  async put(text: string, options: PutOptions = {}): Promise<string> {
    const blob = await this.prepare(text, options);
    await this.write(blob);
    return blob.ref;
  }

  /**
   * Encodes `text` for storing and returns its ref with the writes that store it, so that a caller can send them in
   * the request that records the ref (queued first: `RunStore.completeNode` does this for a node's output). Every
   * key is written with `SET … NX EX ttl` then `EXPIRE ttl GT`: an existing blob keeps its value and has its TTL
   * extended to at least the ttl, max(the store's retention, `options.ttlSeconds`). A chunked blob (stored form over
   * `chunkBytes`) is written here, chunks before manifest, so that a reader that sees the manifest finds the chunks;
   * one that already exists is only touched (its chunks are not sent again). Its `queueWrites` then queues nothing.
   * @throws BlobTooLargeError when the text or its stored form is over the limits (nothing is written).
   * @throws BlobEncryptionUnavailableError when `encrypt` is set and the store has no keyring.
   * @throws UpstashError when Redis refuses the write of a chunked blob.
   */
  async prepare(text: string, options: PutOptions = {}): Promise<PreparedBlob> {
    const blob = await encodeBlob(text, {
      encrypt: options.encrypt === true,
      keyring: this.#keyring,
      limits: this.limits,
    });
    const head = this.#key(blob.ref);
    const ttl = Math.max(this.ttlSeconds, options.ttlSeconds ?? 0);
    if (!blob.splittable || blob.storedBytes <= this.limits.chunkBytes) {
      return { ref: blob.ref, queueWrites: (p) => setKeepingLongerTtl(p, head, blob.stored, ttl) };
    }
    const written: PreparedBlob = { ref: blob.ref, queueWrites: () => undefined };
    const [present] = await this.touch([blob.ref], ttl);
    if (present) return written;
    const set = await chunkSetId(blob.stored);
    const parts = splitChunks(blob.stored, this.limits.chunkBytes);
    const keys = chunkKeys(head, set, parts.length);
    const p = this.redis.pipeline();
    parts.forEach((part, i) => {
      setKeepingLongerTtl(p, keys[i] as string, part, ttl);
    });
    setKeepingLongerTtl(p, head, formatManifest({ count: parts.length, bytes: blob.storedBytes, set }), ttl);
    await p.exec();
    return written;
  }

  /**
   * Sends the writes of a prepared blob that are still to send, in one pipeline (nothing for a chunked blob, which
   * {@link prepare} wrote).
   * @throws UpstashError when Redis refuses the write.
   */
  async write(blob: PreparedBlob): Promise<void> {
    const p = this.redis.pipeline();
    blob.queueWrites(p);
    if (p.length() > 0) await p.exec();
  }

  /**
   * Reads several blobs, decoding every envelope (plain, raw, gz, enc, chunks), in at most two round trips: one
   * MGET of the heads, and one MGET of all chunks of the chunked ones.
   * @returns the texts in the order of `refs`; `null` for a ref that expired or never existed (or whose chunks
   *   expired).
   * @throws BlobDecryptionError when an encrypted blob's key id is not configured, or authentication fails (wrong
   *   key, tampered value, value copied from another ref); never returns unauthenticated text.
   * @throws BlobFormatError when a stored value is malformed.
   */
  async getMany(refs: readonly string[]): Promise<(string | null)[]> {
    if (refs.length === 0) return [];
    const heads = await this.redis.mget<(string | null)[]>(...refs.map((ref) => this.#key(ref)));
    const envelopes: (Envelope | null)[] = heads.map((v, i) =>
      v == null ? null : parseEnvelope(String(v), refs[i] as string),
    );

    const wanted: string[] = [];
    const plans: { index: number; start: number; count: number; bytes: number }[] = [];
    envelopes.forEach((env, index) => {
      if (env?.kind !== "chunks") return;
      plans.push({ index, start: wanted.length, count: env.count, bytes: env.bytes });
      wanted.push(...chunkKeys(this.#key(refs[index] as string), env.set, env.count));
    });
    if (wanted.length > 0) {
      const values = await this.redis.mget<(string | null)[]>(...wanted);
      for (const plan of plans) {
        const ref = refs[plan.index] as string;
        const parts = values.slice(plan.start, plan.start + plan.count);
        if (parts.some((v) => v == null)) {
          envelopes[plan.index] = null;
          continue;
        }
        const joined = parts.map(String).join("");
        if (joined.length !== plan.bytes)
          throw new BlobFormatError(ref, `chunks hold ${joined.length} bytes, manifest says ${plan.bytes}`);
        envelopes[plan.index] = parseEnvelope(joined, ref);
      }
    }
    const opts = { keyring: this.#keyring, maxTextBytes: this.limits.maxTextBytes };
    return Promise.all(envelopes.map((env, i) => (env ? decodeEnvelope(env, refs[i] as string, opts) : null)));
  }

  /**
   * Extends the TTL of blobs (head and every chunk) to at least `ttlSeconds` from now; a longer TTL is kept
   * (`EXPIRE … GT`). One round trip for blobs that are not chunked: a pipeline of EXISTS, STRLEN and EXPIRE GT per
   * head. Heads short enough to be a manifest are then read (one MGET of values of at most 64 bytes), and the
   * chunks of chunked blobs get EXPIRE GT and an EXISTS check (one more pipeline). STRLEN + MGET rather than a
   * GETRANGE peek, because the embedded in-memory store (ioredis-mock) fails GETRANGE on a missing key.
   * @param ttlSeconds positive integer, seconds.
   * @returns per ref, whether the blob is present (its head and all its chunks exist).
   * @throws RangeError when `ttlSeconds` is not a positive integer.
   * @throws UpstashError when Redis refuses a command.
   */
  async touch(refs: readonly string[], ttlSeconds: number): Promise<boolean[]> {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0)
      throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
    if (refs.length === 0) return [];
    const p = this.redis.pipeline();
    for (const ref of refs) {
      const key = this.#key(ref);
      p.exists(key);
      p.strlen(key);
      p.expire(key, ttlSeconds, "GT");
    }
    const replies = (await p.exec()) as unknown[];
    const present = refs.map((_, i) => Number(replies[3 * i]) === 1);
    const short = refs.flatMap((_, i) => {
      const len = Number(replies[3 * i + 1]);
      return present[i] && len > MANIFEST_PREFIX.length && len <= MANIFEST_MAX_CHARS ? [i] : [];
    });
    if (short.length === 0) return present;

    const heads = await this.redis.mget<(string | null)[]>(...short.map((i) => this.#key(refs[i] as string)));
    const chunked: { index: number; keys: string[] }[] = [];
    short.forEach((index, j) => {
      const head = heads[j];
      if (head == null) {
        present[index] = false;
        return;
      }
      if (!String(head).startsWith(MANIFEST_PREFIX)) return;
      const env = parseEnvelope(String(head), refs[index] as string);
      if (env.kind === "chunks")
        chunked.push({ index, keys: chunkKeys(this.#key(refs[index] as string), env.set, env.count) });
    });
    if (chunked.length === 0) return present;
    const q = this.redis.pipeline();
    for (const { keys } of chunked) {
      for (const key of keys) q.expire(key, ttlSeconds, "GT");
      q.exists(...keys);
    }
    const chunkReplies = (await q.exec()) as unknown[];
    let at = 0;
    for (const { index, keys } of chunked) {
      at += keys.length;
      present[index] = Number(chunkReplies[at]) === keys.length;
      at += 1;
    }
    return present;
  }

  #key(ref: string): string {
    return blobKey(this.prefix, ref);
  }
}

/** Queues `SET key value NX EX ttl` and `EXPIRE key ttl GT`: create with `ttl`, or keep the value and extend. */
function setKeepingLongerTtl(p: Pipe, key: string, value: string, ttlSeconds: number): void {
  p.set(key, value, { nx: true, ex: ttlSeconds });
  p.expire(key, ttlSeconds, "GT");
}
