import type { EncryptionKeyring } from "../crypto/keyring.js";
import { sha256Hex } from "../util/hash.js";

/**
 * The ref (Redis key suffix, 64 lowercase hex characters) of a blob.
 *
 * - Plain blob: SHA-256 of the UTF-8 text, as before envelopes existed, so equal outputs share one key.
 * - Encrypted blob: HMAC-SHA-256 of the UTF-8 text under the keyring's ref key (HKDF of its oldest key, see
 *   EncryptionKeyring). A bare hash would let anyone who can list keys confirm a guessed plaintext (hash the guess,
 *   look for the key) and would link the sensitive output to a plain blob of the same text. The HMAC keeps
 *   deduplication of equal sensitive outputs (and stable refs for the result cache) but cannot be computed without
 *   the key. Trade-offs: whoever reads Redis still learns that two sensitive blobs are equal (same ref), and refs of
 *   sensitive blobs change once when the oldest key is removed from the keyring (equal outputs written before and
 *   after no longer share a key; stored refs keep working).
 * @param text the blob's text.
 * @param keyring the keyring when the blob is encrypted; omit for a plain blob.
 */
export async function blobRef(text: string, keyring?: EncryptionKeyring): Promise<string> {
  if (!keyring) return sha256Hex(text);
  return keyring.keyedHash(new TextEncoder().encode(text));
}
