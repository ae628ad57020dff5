import { bytesToHex } from "../util/hash.js";
import { DecryptError, KeyringConfigError } from "./crypto-errors.js";
import { KEY_BYTES, KEY_ID_RE, type KeyringEntry, parseKeyringSecret } from "./keyring-secret.js";

/** Bytes of an AES-GCM IV: 96 bits, the size NIST SP 800-38D section 8.2 recommends for random IVs. */
export const IV_BYTES = 12;

/** HKDF `info` of the AES-256-GCM key derived from each keyring key (key separation from the ref key). */
const AES_INFO = "agent-dag/blob/aes-256-gcm/v1";
/** HKDF `info` of the HMAC-SHA-256 key that computes the refs of encrypted blobs. */
const REF_INFO = "agent-dag/blob/ref-hmac-sha256/v1";

/** A sealed value: the key id it was sealed under, its random IV and the AES-GCM ciphertext with the 16-byte tag. */
export interface Sealed {
  kid: string;
  /** {@link IV_BYTES} random bytes. */
  iv: Uint8Array;
  /** Ciphertext followed by the 128-bit authentication tag (WebCrypto's layout). */
  ciphertext: Uint8Array;
}

const utf8 = new TextEncoder();

type DerivedKeyAlgorithm = Parameters<SubtleCrypto["deriveKey"]>[2];
type KeyUses = Parameters<SubtleCrypto["deriveKey"]>[4];

/**
 * A set of AES-256-GCM keys, addressed by key id, so keys can rotate: the first key is the current one and seals
 * every new value; every key opens values sealed under its id. Built from a secret such as
 * `CACHE_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"` (see parseKeyringSecret).
 *
 * Each keyring key is used only as HKDF-SHA-256 input keying material (RFC 5869): the AES-256-GCM key is
 * `HKDF(key, salt = "", info = "agent-dag/blob/aes-256-gcm/v1")`. The key that computes refs of encrypted blobs
 * ({@link keyedHash}) is `HKDF(oldest key, salt = "", info = "agent-dag/blob/ref-hmac-sha256/v1")`, taken from the
 * LAST (oldest) entry so that adding a new current key in front does not change refs; refs change once, when the
 * oldest key is finally removed. WebCrypto (`crypto.subtle`) does the work in Workers and Node 22 alike; derived
 * keys are imported lazily (non-extractable) and kept for the keyring's life. Rotation: put the new key first
 * (`"k2:…,k1:…"`); remove k1 only when nothing sealed under it is still needed (DecryptError `unknown-key`).
 */
export class EncryptionKeyring {
  /** Id of the key that seals new values (the secret's first entry). */
  readonly currentKid: string;
  /** All key ids, newest first. */
  readonly kids: readonly string[];
  /** Id of the key whose derivative computes refs (the secret's last entry). */
  readonly refKid: string;
  readonly #raw: ReadonlyMap<string, Uint8Array>;
  readonly #aes = new Map<string, Promise<CryptoKey>>();
  #ref: Promise<CryptoKey> | undefined;

  /**
   * Parses a keyring secret (see parseKeyringSecret for the format).
   * @throws KeyringConfigError when the secret is malformed (the message never contains key material).
   */
  static fromSecret(secret: string): EncryptionKeyring {
    return new EncryptionKeyring(parseKeyringSecret(secret));
  }

  /**
   * @param entries keys newest first; at least one, unique ids matching KEY_ID_RE, 32-byte keys (bytes are copied).
   * @throws KeyringConfigError when the entries break those rules.
   */
  constructor(entries: readonly KeyringEntry[]) {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (!first || !last) throw new KeyringConfigError("encryption keyring is empty");
    const raw = new Map<string, Uint8Array>();
    for (const { kid, key } of entries) {
      if (!KEY_ID_RE.test(kid))
        throw new KeyringConfigError(`key id must match ${KEY_ID_RE} (got ${kid.length} characters, not shown)`);
      if (raw.has(kid)) throw new KeyringConfigError(`key id ${kid} appears twice`);
      if (key.length !== KEY_BYTES)
        throw new KeyringConfigError(`key ${kid} must be ${KEY_BYTES} bytes, got ${key.length}`);
      raw.set(kid, new Uint8Array(key));
    }
    this.#raw = raw;
    this.currentKid = first.kid;
    this.refKid = last.kid;
    this.kids = entries.map((e) => e.kid);
  }

  /** Whether `kid` names a key of this keyring. */
  has(kid: string): boolean {
    return this.#raw.has(kid);
  }

  /**
   * Seals `plaintext` under the current key with a fresh random IV (`crypto.getRandomValues`).
   * @param aad associated data: authenticated, not stored; opening needs the same bytes (binds the value to, e.g.,
   *   its ref).
   */
  async encrypt(plaintext: Uint8Array, aad: Uint8Array): Promise<Sealed> {
    const kid = this.currentKid;
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const key = await this.#aesKey(kid);
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 },
      key,
      plaintext,
    );
    return { kid, iv, ciphertext: new Uint8Array(ct) };
  }

  /**
   * Opens a sealed value.
   * @param aad the associated data it was sealed with.
   * @returns the plaintext; never unauthenticated bytes.
   * @throws DecryptError `unknown-key` when `sealed.kid` is not in the keyring; `authentication-failed` when the tag
   *   does not verify (different key under that id, altered IV/ciphertext, or different `aad`).
   */
  async decrypt(sealed: Sealed, aad: Uint8Array): Promise<Uint8Array> {
    if (!this.#raw.has(sealed.kid)) throw new DecryptError("unknown-key", sealed.kid);
    const key = await this.#aesKey(sealed.kid);
    try {
      const pt = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: sealed.iv, additionalData: aad, tagLength: 128 },
        key,
        sealed.ciphertext,
      );
      return new Uint8Array(pt);
    } catch {
      throw new DecryptError("authentication-failed", sealed.kid);
    }
  }

  /**
   * HMAC-SHA-256 of `data` under the ref key (derived from the oldest key, see the class doc).
   * @returns 64 lowercase hex characters; equal inputs give equal outputs while the oldest key stays the same, and
   *   nobody without the key can compute or confirm it.
   */
  async keyedHash(data: Uint8Array): Promise<string> {
    this.#ref ??= this.#derive(this.refKid, REF_INFO, { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
    const mac = await crypto.subtle.sign("HMAC", await this.#ref, data);
    return bytesToHex(new Uint8Array(mac));
  }

  #aesKey(kid: string): Promise<CryptoKey> {
    let key = this.#aes.get(kid);
    if (!key) {
      key = this.#derive(kid, AES_INFO, { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]);
      this.#aes.set(kid, key);
    }
    return key;
  }

  async #derive(kid: string, info: string, algorithm: DerivedKeyAlgorithm, usages: KeyUses): Promise<CryptoKey> {
    const raw = this.#raw.get(kid);
    if (!raw) throw new DecryptError("unknown-key", kid);
    const ikm = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode(info) },
      ikm,
      algorithm,
      false,
      usages,
    );
  }
}
