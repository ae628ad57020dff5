import { base64ToBytes, bytesToBase64 } from "../crypto/base64.js";
import { DecryptError } from "../crypto/crypto-errors.js";
import { type EncryptionKeyring, IV_BYTES } from "../crypto/keyring.js";
import {
  BlobDecryptionError,
  BlobEncryptionUnavailableError,
  BlobFormatError,
  BlobTooLargeError,
} from "./blob-errors.js";
import type { BlobLimits } from "./blob-limits.js";
import { blobRef } from "./blob-ref.js";
import { type Envelope, formatEncrypted, formatGzip, formatPlain, parseEnvelope } from "./envelope.js";
import { GunzipLimitError, gunzip, gzip } from "./gzip.js";

/** A blob ready to write: its ref and its stored form (before chunking). */
export interface EncodedBlob {
  /** 64 lowercase hex characters (see blobRef). */
  ref: string;
  /** The stored value (envelope.ts). */
  stored: string;
  /** UTF-8 bytes of `stored`. */
  storedBytes: number;
  /** UTF-8 bytes of the text. */
  textBytes: number;
  /** Whether `stored` is an ASCII envelope (`gz` or `enc`) that may be split into chunks; plain text is never split. */
  splittable: boolean;
}

/** Options of {@link encodeBlob}. */
export interface EncodeOptions {
  /** Encrypt with `keyring`'s current key. */
  encrypt: boolean;
  keyring?: EncryptionKeyring;
  limits: BlobLimits;
}

const utf8 = new TextEncoder();
/** Rejects invalid UTF-8 (fatal) and keeps a leading U+FEFF as part of the text (ignoreBOM). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Associated data of an encrypted blob: binds the ciphertext to its ref, key id and plaintext encoding, so a value
 * copied under another ref, or with its header fields edited, fails authentication.
 */
export function blobAad(ref: string, kid: string, encoding: "utf8" | "gz"): Uint8Array {
  return utf8.encode(`agent-dag/blob/v1\n${ref}\n${kid}\n${encoding}`);
}

/**
 * Turns a text into its stored form: plain text up to `limits.compressAboveBytes` (UTF-8), gzip above; then, when
 * `encrypt`, AES-256-GCM of those bytes under the keyring's current key (compression before encryption, since
 * ciphertext does not compress).
 * @throws BlobEncryptionUnavailableError when `encrypt` is set and no keyring is given.
 * @throws BlobTooLargeError when the text is over `limits.maxTextBytes` or the stored form over
 *   `limits.maxStoredBytes`.
 */
export async function encodeBlob(text: string, opts: EncodeOptions): Promise<EncodedBlob> {
  const { limits } = opts;
  if (opts.encrypt && !opts.keyring) throw new BlobEncryptionUnavailableError();
  const bytes = utf8.encode(text);
  if (bytes.length > limits.maxTextBytes)
    throw new BlobTooLargeError(bytes.length, null, limits.maxTextBytes, "maxTextBytes");
  const keyring = opts.encrypt ? opts.keyring : undefined;
  const ref = await blobRef(text, keyring);
  const compress = bytes.length > limits.compressAboveBytes;
  let stored: string;
  let storedBytes: number;
  let splittable = true;
  if (keyring) {
    const encoding = compress ? "gz" : "utf8";
    const payload = compress ? await gzip(bytes) : bytes;
    const sealed = await keyring.encrypt(payload, blobAad(ref, keyring.currentKid, encoding));
    stored = formatEncrypted({
      kid: sealed.kid,
      encoding,
      iv: bytesToBase64(sealed.iv),
      ciphertext: bytesToBase64(sealed.ciphertext),
    });
    storedBytes = stored.length;
  } else if (compress) {
    stored = formatGzip(bytesToBase64(await gzip(bytes)));
    storedBytes = stored.length;
  } else {
    stored = formatPlain(text);
    storedBytes = bytes.length + (stored.length - text.length);
    splittable = false;
  }
  if (storedBytes > limits.maxStoredBytes)
    throw new BlobTooLargeError(bytes.length, storedBytes, limits.maxStoredBytes, "maxStoredBytes");
  return { ref, stored, storedBytes, textBytes: bytes.length, splittable };
}

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /** Needed to open `enc` values; without it they fail with BlobDecryptionError `unknown-key`. */
  keyring?: EncryptionKeyring;
  /** Largest text a `gz` payload may expand to (BlobLimits.maxTextBytes). */
  maxTextBytes: number;
}

/**
 * Recovers the text of a parsed stored value (`plain`, `gz` or `enc`; a `chunks` manifest must be reassembled by
 * the store first).
 * @param ref the blob's ref: error messages name it, and an `enc` value only opens under the ref it was sealed for.
 * @throws BlobDecryptionError when an `enc` value's key id is not configured or authentication fails.
 * @throws BlobFormatError for a manifest, bad base64, a wrong IV length, corrupt gzip, invalid UTF-8, or text over
 *   `maxTextBytes`.
 */
export async function decodeEnvelope(envelope: Envelope, ref: string, opts: DecodeOptions): Promise<string> {
  switch (envelope.kind) {
    case "plain":
      return envelope.text;
    case "gz":
      return textOf(await inflate(decode64(envelope.data, ref), ref, opts.maxTextBytes), ref);
    case "enc": {
      const { kid, encoding } = envelope;
      if (!opts.keyring?.has(kid)) throw new BlobDecryptionError(ref, kid, "unknown-key");
      const iv = decode64(envelope.iv, ref);
      if (iv.length !== IV_BYTES) throw new BlobFormatError(ref, `IV must be ${IV_BYTES} bytes, got ${iv.length}`);
      let payload: Uint8Array;
      try {
        payload = await opts.keyring.decrypt(
          { kid, iv, ciphertext: decode64(envelope.ciphertext, ref) },
          blobAad(ref, kid, encoding),
        );
      } catch (err) {
        if (err instanceof DecryptError) throw new BlobDecryptionError(ref, kid, err.reason);
        throw err;
      }
      return textOf(encoding === "gz" ? await inflate(payload, ref, opts.maxTextBytes) : payload, ref);
    }
    case "chunks":
      throw new BlobFormatError(ref, "a chunk manifest inside a chunked value");
  }
}

/**
 * Parses and decodes a stored value that is not a chunk manifest (see {@link decodeEnvelope}).
 * @throws BlobFormatError, BlobDecryptionError as decodeEnvelope.
 */
export async function decodeBlob(value: string, ref: string, opts: DecodeOptions): Promise<string> {
  return decodeEnvelope(parseEnvelope(value, ref), ref, opts);
}

function decode64(text: string, ref: string): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch {
    throw new BlobFormatError(ref, "invalid base64");
  }
}

async function inflate(bytes: Uint8Array, ref: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await gunzip(bytes, maxBytes);
  } catch (err) {
    if (err instanceof GunzipLimitError)
      throw new BlobFormatError(ref, `text exceeds ${maxBytes} bytes when decompressed`);
    throw new BlobFormatError(ref, `corrupt gzip (${(err as Error).message})`);
  }
}

function textOf(bytes: Uint8Array, ref: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new BlobFormatError(ref, "text is not valid UTF-8");
  }
}
