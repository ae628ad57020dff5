import { sha256Hex } from "../util/hash.js";

/**
 * How a large stored value is split across keys: chunk `i` of chunk set `set` of the blob at `headKey` lives at
 * `<headKey>:<set>:c<i>`, and the head holds the manifest (envelope.ts). The set id is derived from the stored value,
 * so rewriting the same value reuses the same chunk keys, while a different stored form of the same ref (an
 * encrypted blob re-sealed with a fresh IV) gets keys of its own and can never be read mixed with the old one.
 */

/**
 * Key of one chunk.
 * @param headKey the blob's key (`<prefix>:blob:<ref>`).
 * @param set chunk set id, 16 lowercase hex characters.
 * @param index 0-based chunk index.
 */
export function chunkKey(headKey: string, set: string, index: number): string {
  return `${headKey}:${set}:c${index}`;
}

/** Keys of all `count` chunks of a chunk set, in order. */
export function chunkKeys(headKey: string, set: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => chunkKey(headKey, set, i));
}

/** Chunk set id of a stored value: the first 16 hex characters (64 bits) of its SHA-256. */
export async function chunkSetId(stored: string): Promise<string> {
  return (await sha256Hex(stored)).slice(0, 16);
}

/**
 * Splits an ASCII stored value into consecutive slices of at most `chunkBytes` characters (= bytes for ASCII).
 * @returns at least one slice; their concatenation is `stored`.
 */
export function splitChunks(stored: string, chunkBytes: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < stored.length; i += chunkBytes) out.push(stored.slice(i, i + chunkBytes));
  return out.length > 0 ? out : [""];
}
