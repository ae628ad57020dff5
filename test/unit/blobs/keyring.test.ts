import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64 } from "../../../shared/crypto/base64.js";
import { DecryptError, KeyringConfigError } from "../../../shared/crypto/crypto-errors.js";
import { EncryptionKeyring, IV_BYTES } from "../../../shared/crypto/keyring.js";
import { parseKeyringSecret } from "../../../shared/crypto/keyring-secret.js";
import { sha256Hex } from "../../../shared/util/hash.js";

/** Keyring parsing, AES-256-GCM sealing and the keyed ref hash, in Node's WebCrypto (no Redis). */

const key = () => randomBytes(32).toString("base64");
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("parseKeyringSecret", () => {
  it("reads `<kid>:<base64>` entries newest first, trimming whitespace, standard or URL-safe base64", () => {
    const raw = randomBytes(32);
    const urlSafe = raw.toString("base64url");
    const entries = parseKeyringSecret(` k2:${raw.toString("base64")} ,\n k1:${urlSafe} ,`);
    expect(entries.map((e) => e.kid)).toEqual(["k2", "k1"]);
    expect(Buffer.from(entries[0]!.key).equals(raw)).toBe(true);
    expect(Buffer.from(entries[1]!.key).equals(raw)).toBe(true);
  });

  it.each([
    ["empty", "", /empty/],
    ["only commas", " , ,", /empty/],
    ["no colon", "k1", /entry 1 is not/],
    ["bad kid", `k 1:${key()}`, /entry 1: key id must match/],
    ["kid with a colon-free but too long id", `${"a".repeat(33)}:${key()}`, /key id must match/],
    ["duplicate kid", `k1:${key()},k1:${key()}`, /entry 2: key id k1 appears twice/],
    ["short key", `k1:${randomBytes(16).toString("base64")}`, /entry 1 \(k1\): key must be 32 bytes, got 16/],
    ["not base64", "k1:not*base64!", /entry 1 \(k1\): key is not valid base64/],
  ])("rejects %s", (_name, secret, message) => {
    expect(() => parseKeyringSecret(secret)).toThrow(KeyringConfigError);
    expect(() => parseKeyringSecret(secret)).toThrow(message);
  });

  it("never puts key material in its messages", () => {
    const good = key();
    const short = randomBytes(31).toString("base64");
    for (const secret of [`k1:${good},k1:${good}`, `k1:${short}`]) {
      let message = "";
      try {
        parseKeyringSecret(secret);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(good);
      expect(message).not.toContain(short);
    }
  });
});

describe("EncryptionKeyring", () => {
  it("seals under the first key with a fresh 96-bit IV and opens with the same associated data", async () => {
    const ring = EncryptionKeyring.fromSecret(`k2:${key()},k1:${key()}`);
    expect(ring.currentKid).toBe("k2");
    expect(ring.kids).toEqual(["k2", "k1"]);
    const a = await ring.encrypt(bytes("secret plan"), bytes("aad"));
    const b = await ring.encrypt(bytes("secret plan"), bytes("aad"));
    expect(a.kid).toBe("k2");
    expect(a.iv.length).toBe(IV_BYTES);
    expect(bytesToBase64(a.iv)).not.toBe(bytesToBase64(b.iv));
    expect(bytesToBase64(a.ciphertext)).not.toBe(bytesToBase64(b.ciphertext));
    expect(a.ciphertext.length).toBe("secret plan".length + 16);
    expect(text(await ring.decrypt(a, bytes("aad")))).toBe("secret plan");
  });

  it("fails loudly: unknown key id, different key under the same id, other associated data, altered ciphertext", async () => {
    const ring = EncryptionKeyring.fromSecret(`k1:${key()}`);
    const sealed = await ring.encrypt(bytes("x"), bytes("aad"));
    await expect(ring.decrypt({ ...sealed, kid: "k9" }, bytes("aad"))).rejects.toMatchObject({
      name: "DecryptError",
      reason: "unknown-key",
      kid: "k9",
    });
    const other = EncryptionKeyring.fromSecret(`k1:${key()}`);
    await expect(other.decrypt(sealed, bytes("aad"))).rejects.toMatchObject({
      reason: "authentication-failed",
      kid: "k1",
    });
    await expect(ring.decrypt(sealed, bytes("aaD"))).rejects.toBeInstanceOf(DecryptError);
    const flipped = new Uint8Array(sealed.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    await expect(ring.decrypt({ ...sealed, ciphertext: flipped }, bytes("aad"))).rejects.toMatchObject({
      reason: "authentication-failed",
    });
  });

  it("opens values sealed under an older key after rotation", async () => {
    const k1 = key();
    const old = await EncryptionKeyring.fromSecret(`k1:${k1}`).encrypt(bytes("before rotation"), bytes("a"));
    const rotated = EncryptionKeyring.fromSecret(`k2:${key()},k1:${k1}`);
    expect(text(await rotated.decrypt(old, bytes("a")))).toBe("before rotation");
    expect((await rotated.encrypt(bytes("after"), bytes("a"))).kid).toBe("k2");
  });

  it("keyedHash is HMAC-SHA-256 under HKDF(oldest key, info 'agent-dag/blob/ref-hmac-sha256/v1'), stable when a key is added in front", async () => {
    const k1 = key();
    const data = bytes("some sensitive output");
    const refKey = Buffer.from(
      hkdfSync("sha256", base64ToBytes(k1), new Uint8Array(0), "agent-dag/blob/ref-hmac-sha256/v1", 32),
    );
    const expected = createHmac("sha256", refKey).update(data).digest("hex");
    const one = EncryptionKeyring.fromSecret(`k1:${k1}`);
    const two = EncryptionKeyring.fromSecret(`k2:${key()},k1:${k1}`);
    expect(await one.keyedHash(data)).toBe(expected);
    expect(await two.keyedHash(data)).toBe(expected);
    expect(two.refKid).toBe("k1");
    expect(await EncryptionKeyring.fromSecret(`k1:${key()}`).keyedHash(data)).not.toBe(expected);
    expect(expected).not.toBe(await sha256Hex("some sensitive output"));
  });

  it("the AES key is HKDF-derived: a value sealed in Node's crypto under the documented derivation opens", async () => {
    const { createCipheriv } = await import("node:crypto");
    const k1 = key();
    const aesKey = Buffer.from(
      hkdfSync("sha256", base64ToBytes(k1), new Uint8Array(0), "agent-dag/blob/aes-256-gcm/v1", 32),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", aesKey, iv).setAAD(Buffer.from("aad"));
    const ct = Buffer.concat([cipher.update("made elsewhere"), cipher.final(), cipher.getAuthTag()]);
    const ring = EncryptionKeyring.fromSecret(`k1:${k1}`);
    expect(text(await ring.decrypt({ kid: "k1", iv, ciphertext: ct }, bytes("aad")))).toBe("made elsewhere");
  });
});
