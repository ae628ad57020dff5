/**
 * Errors of the blob store. All are permanent for the value concerned: retrying the same put or read gives the same
 * answer, so the engine fails the node without retries (QStash 489, non-retryable).
 */

/**
 * A put refused because the blob is over a size limit (shared/blobs/blob-limits.ts). Nothing was written.
 */
export class BlobTooLargeError extends Error {
  override readonly name = "BlobTooLargeError";
  /**
   * @param textBytes UTF-8 bytes of the text to store.
   * @param storedBytes bytes of its stored form after compression/encryption (null when the text alone was over
   *   `maxTextBytes` and was not encoded).
   * @param limitBytes the limit it broke.
   * @param limit which limit: `maxStoredBytes` or `maxTextBytes`.
   */
  constructor(
    readonly textBytes: number,
    readonly storedBytes: number | null,
    readonly limitBytes: number,
    readonly limit: "maxStoredBytes" | "maxTextBytes",
  ) {
    super(
      storedBytes === null
        ? `output too large to store: ${textBytes} bytes of text, over the ${limitBytes}-byte limit on blob text (${limit})`
        : `output too large to store: ${textBytes} bytes of text take ${storedBytes} bytes compressed, over the ${limitBytes}-byte limit per blob (${limit})`,
    );
  }
}

/**
 * A blob is encrypted and could not be decrypted: its key id is not configured, or authentication failed (wrong key
 * under that id, a tampered value, or a value copied from another ref). No plaintext is ever returned in that case.
 */
export class BlobDecryptionError extends Error {
  override readonly name = "BlobDecryptionError";
  /**
   * @param ref the blob's ref.
   * @param kid the key id its envelope names.
   * @param reason `unknown-key` or `authentication-failed`.
   */
  constructor(
    readonly ref: string,
    readonly kid: string,
    readonly reason: "unknown-key" | "authentication-failed",
  ) {
    super(
      reason === "unknown-key"
        ? `blob ${ref} is encrypted with key ${kid}, which is not configured`
        : `blob ${ref} could not be decrypted with key ${kid}: authentication failed: wrong key or tampered value`,
    );
  }
}

/**
 * A stored value is not a valid envelope (unknown header, bad base64, corrupt gzip, invalid UTF-8, or chunks whose
 * total length disagrees with their manifest).
 */
export class BlobFormatError extends Error {
  override readonly name = "BlobFormatError";
  /**
   * @param ref the blob's ref.
   * @param detail what is wrong.
   */
  constructor(
    readonly ref: string,
    detail: string,
  ) {
    super(`blob ${ref} is malformed: ${detail}`);
  }
}

/**
 * `put(text, { encrypt: true })` on a store without an encryption keyring: the text is refused rather than stored in
 * the clear. Configure `CACHE_ENCRYPTION_KEYS`.
 */
export class BlobEncryptionUnavailableError extends Error {
  override readonly name = "BlobEncryptionUnavailableError";
  constructor() {
    super("a sensitive output cannot be stored: no encryption keys are configured (CACHE_ENCRYPTION_KEYS)");
  }
}

/**
 * Whether `err` is a blob failure that retrying cannot fix (too large, undecryptable, malformed, no key to
 * encrypt with): the engine fails the node at once (QStash 489) with the error's message.
 */
export function isPermanentBlobError(err: unknown): err is Error {
  return (
    err instanceof BlobTooLargeError ||
    err instanceof BlobDecryptionError ||
    err instanceof BlobFormatError ||
    err instanceof BlobEncryptionUnavailableError
  );
}
