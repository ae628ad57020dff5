import { describe, expect, it } from "vitest";
import { decodeBlob, encodeBlob } from "../../shared/blobs/blob-codec.js";
import { BlobDecryptionError } from "../../shared/blobs/blob-errors.js";
import { resolveBlobLimits } from "../../shared/blobs/blob-limits.js";
import { EncryptionKeyring } from "../../shared/crypto/keyring.js";

/**
 * The encryption and compression of blobs inside workerd (WebCrypto HKDF/AES-GCM/HMAC and Compression Streams as
 * the Workers runtime provides them), without Redis. The fixed vectors were produced by the same code in Node, so
 * a value sealed by one runtime opens in the other and refs agree.
 */

/** Key bytes 0x01..0x20, base64. */
const FIXED_KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const NODE_TEXT = "sealed in Node, opened in workerd";
const NODE_REF = "4bf3dc3035703868974fb8a158dcb655d4ca027bb7b4b1aae000acbceb933c8c";
const NODE_SEALED =
  "ad1:enc:node-k1:utf8:Cn1xb/bsSVG3bwm3:XzAgueHS5bFpMWaipwV3FlRCAuF1mx/TskPsY4HaJPhhvEyHjUQtPCLWl1z2aIluZQ==";

const limits = resolveBlobLimits();
function randomKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

describe("blob encryption inside workerd", () => {
  it("opens a value sealed in Node and computes the same ref", async () => {
    const ring = EncryptionKeyring.fromSecret(`node-k1:${FIXED_KEY}`);
    expect(await decodeBlob(NODE_SEALED, NODE_REF, { keyring: ring, maxTextBytes: limits.maxTextBytes })).toBe(
      NODE_TEXT,
    );
    const again = await encodeBlob(NODE_TEXT, { encrypt: true, keyring: ring, limits });
    expect(again.ref).toBe(NODE_REF);
    expect(again.stored).not.toBe(NODE_SEALED); // fresh IV
  });

  it("round-trips small (utf8) and large (gzip, then AES-GCM) sensitive texts without leaking them", async () => {
    const ring = EncryptionKeyring.fromSecret(`k2:${randomKey()},k1:${randomKey()}`);
    const large = "confidential finding about the merger; ".repeat(5000);
    for (const [text, encoding] of [
      ["short secret", "utf8"],
      [large, "gz"],
    ] as const) {
      const blob = await encodeBlob(text, { encrypt: true, keyring: ring, limits });
      expect(blob.stored.startsWith(`ad1:enc:k2:${encoding}:`)).toBe(true);
      expect(blob.stored.includes(text.slice(0, 16))).toBe(false);
      expect(await decodeBlob(blob.stored, blob.ref, { keyring: ring, maxTextBytes: limits.maxTextBytes })).toBe(text);
    }
    const compressed = await encodeBlob(large, { encrypt: true, keyring: ring, limits });
    expect(compressed.storedBytes).toBeLessThan(large.length / 10);
  });

  it("fails loudly with a wrong key, an unknown key id, or another ref", async () => {
    const ring = EncryptionKeyring.fromSecret(`k1:${randomKey()}`);
    const blob = await encodeBlob("bound", { encrypt: true, keyring: ring, limits });
    const open = (keyring: EncryptionKeyring | undefined, ref = blob.ref) =>
      decodeBlob(blob.stored, ref, { keyring, maxTextBytes: 1000 });
    await expect(open(EncryptionKeyring.fromSecret(`k1:${randomKey()}`))).rejects.toMatchObject({
      name: "BlobDecryptionError",
      reason: "authentication-failed",
    });
    await expect(open(EncryptionKeyring.fromSecret(`k9:${randomKey()}`))).rejects.toThrow(
      `blob ${blob.ref} is encrypted with key k1, which is not configured`,
    );
    await expect(open(undefined)).rejects.toBeInstanceOf(BlobDecryptionError);
    await expect(open(ring, "0".repeat(64))).rejects.toMatchObject({ reason: "authentication-failed" });
  });

  it("compresses plain large text with CompressionStream and reads it back", async () => {
    const text = "plain but long output line\n".repeat(5000);
    const blob = await encodeBlob(text, { encrypt: false, limits });
    expect(blob.stored.startsWith("ad1:gz:")).toBe(true);
    expect(await decodeBlob(blob.stored, blob.ref, { maxTextBytes: limits.maxTextBytes })).toBe(text);
  });
});
