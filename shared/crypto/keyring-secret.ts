import { base64ToBytes } from "./base64.js";
import { KeyringConfigError } from "./crypto-errors.js";

/** A key id: 1–32 of `A–Z a–z 0–9 _ . -` (no `:` or `,`, which delimit the secret and the stored envelope). */
export const KEY_ID_RE = /^[A-Za-z0-9_.-]{1,32}$/;

/** Length of every key, in bytes: AES-256 takes a 256-bit key. */
export const KEY_BYTES = 32;

/** One parsed keyring entry. `key` is the raw 32-byte secret; it is only ever used as HKDF input. */
export interface KeyringEntry {
  kid: string;
  key: Uint8Array;
}

/**
 * Parses a keyring secret: comma-separated `<kid>:<base64 of 32 random bytes>` entries, newest first, e.g.
 * `"k2:6mW0…=,k1:Qx9c…="` (make a key with `openssl rand -base64 32`). Whitespace around entries is ignored; the
 * base64 may be standard or URL-safe, padded or not.
 * @returns the entries in the secret's order (the first is the current key).
 * @throws KeyringConfigError naming the entry (position and kid, never the key) when the secret is empty, an entry
 *   is not `<kid>:<key>`, a kid does not match {@link KEY_ID_RE}, a key is not valid base64 of exactly
 *   {@link KEY_BYTES} bytes, or a kid repeats.
 */
export function parseKeyringSecret(secret: string): KeyringEntry[] {
  const parts = secret
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0)
    throw new KeyringConfigError("encryption keyring is empty: expected `<kid>:<base64 32-byte key>[,…]`");
  const seen = new Set<string>();
  return parts.map((part, i) => {
    const at = `encryption key entry ${i + 1}`;
    const colon = part.indexOf(":");
    if (colon === -1) throw new KeyringConfigError(`${at} is not \`<kid>:<base64 key>\``);
    const kid = part.slice(0, colon).trim();
    if (!KEY_ID_RE.test(kid))
      throw new KeyringConfigError(
        `${at}: key id must match ${KEY_ID_RE} (got ${kid.length} characters, not shown: a misplaced key would be)`,
      );
    if (seen.has(kid)) throw new KeyringConfigError(`${at}: key id ${kid} appears twice`);
    seen.add(kid);
    let key: Uint8Array;
    try {
      key = base64ToBytes(part.slice(colon + 1).trim());
    } catch {
      throw new KeyringConfigError(`${at} (${kid}): key is not valid base64`);
    }
    if (key.length !== KEY_BYTES)
      throw new KeyringConfigError(`${at} (${kid}): key must be ${KEY_BYTES} bytes, got ${key.length}`);
    return { kid, key };
  });
}
