/**
 * Errors of the encryption keyring. Their messages name key ids and entry positions, never key material.
 */

/**
 * The keyring secret (e.g. `CACHE_ENCRYPTION_KEYS`) is malformed: no entry, an entry that is not `<kid>:<base64>`,
 * a bad key id, a key that is not 32 bytes, or a repeated key id.
 */
export class KeyringConfigError extends Error {
  override readonly name = "KeyringConfigError";
}

/**
 * Decryption refused to produce plaintext.
 * - `unknown-key`: the value names a key id the keyring does not hold (removed after a rotation, or never set).
 * - `authentication-failed`: AES-GCM's tag did not verify: the key under that id is a different key, the
 *   ciphertext/IV was altered, or the associated data (e.g. the blob ref) differs from the one it was sealed with.
 */
export class DecryptError extends Error {
  override readonly name = "DecryptError";
  /**
   * @param reason why no plaintext was produced.
   * @param kid key id named by the value.
   */
  constructor(
    readonly reason: "unknown-key" | "authentication-failed",
    readonly kid: string,
  ) {
    super(reason === "unknown-key" ? `key ${kid} is not configured` : `authentication failed under key ${kid}`);
  }
}
