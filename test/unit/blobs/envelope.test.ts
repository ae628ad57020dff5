import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BlobFormatError } from "../../../shared/blobs/blob-errors.js";
import { DEFAULT_BLOB_LIMITS, resolveBlobLimits } from "../../../shared/blobs/blob-limits.js";
import {
  formatEncrypted,
  formatGzip,
  formatManifest,
  formatPlain,
  parseEnvelope,
} from "../../../shared/blobs/envelope.js";
import { GunzipLimitError, gunzip, gzip } from "../../../shared/blobs/gzip.js";
import { base64ToBytes, bytesToBase64 } from "../../../shared/crypto/base64.js";

/** The stored-value formats, gzip through Compression Streams, base64, and the limits' consistency rules. */

describe("envelope", () => {
  it("a value without the marker is the text itself (values written before envelopes still read)", () => {
    expect(parseEnvelope("# Review\nall good", "r")).toEqual({ kind: "plain", text: "# Review\nall good" });
    expect(parseEnvelope("", "r")).toEqual({ kind: "plain", text: "" });
    expect(parseEnvelope("ad1", "r")).toEqual({ kind: "plain", text: "ad1" });
  });

  it("plain text that starts with the marker is escaped as raw and reads back unchanged", () => {
    expect(formatPlain("hello")).toBe("hello");
    expect(formatPlain("ad1:gz:AAAA")).toBe("ad1:raw:ad1:gz:AAAA");
    expect(parseEnvelope(formatPlain("ad1:gz:AAAA"), "r")).toEqual({ kind: "plain", text: "ad1:gz:AAAA" });
  });

  it("parses gz, enc and chunk manifests", () => {
    expect(parseEnvelope(formatGzip("H4sI+/=="), "r")).toEqual({ kind: "gz", data: "H4sI+/==" });
    const enc = { kid: "k-2.a_b", encoding: "gz" as const, iv: "AAAAAAAAAAAAAAAA", ciphertext: "Zm9v" };
    expect(formatEncrypted(enc)).toBe("ad1:enc:k-2.a_b:gz:AAAAAAAAAAAAAAAA:Zm9v");
    expect(parseEnvelope(formatEncrypted(enc), "r")).toEqual({ kind: "enc", ...enc });
    const m = { count: 7, bytes: 3_300_000, set: "0123456789abcdef" };
    expect(formatManifest(m)).toBe("ad1:chunks:7:3300000:0123456789abcdef");
    expect(parseEnvelope(formatManifest(m), "r")).toEqual({ kind: "chunks", ...m });
  });

  it.each([
    "ad1:",
    "ad1:zz:abc",
    "ad1:gz:not base64!",
    "ad1:enc:k1:utf8:AAAA",
    "ad1:enc:k1:lz4:AAAA:BBBB",
    "ad1:chunks:0:10:0123456789abcdef",
    "ad1:chunks:2:10:XYZ",
  ])("rejects the malformed envelope %j with BlobFormatError naming the ref", (value) => {
    expect(() => parseEnvelope(value, "ref-1")).toThrow(BlobFormatError);
    expect(() => parseEnvelope(value, "ref-1")).toThrow(/^blob ref-1 is malformed/);
  });
});

describe("gzip", () => {
  it("round-trips and shrinks repetitive text", async () => {
    const input = new TextEncoder().encode("agent ".repeat(20_000));
    const packed = await gzip(input);
    expect(packed.length).toBeLessThan(input.length / 50);
    expect([packed[0], packed[1]]).toEqual([0x1f, 0x8b]); // RFC 1952 magic
    expect(new TextDecoder().decode(await gunzip(packed, input.length))).toBe("agent ".repeat(20_000));
  });

  it("stops at the output limit and rejects corrupt input", async () => {
    const packed = await gzip(new Uint8Array(1_000_000));
    await expect(gunzip(packed, 999_999)).rejects.toBeInstanceOf(GunzipLimitError);
    const truncated = packed.subarray(0, packed.length - 8);
    await expect(gunzip(truncated, 2_000_000)).rejects.toThrow();
    await expect(gunzip(new Uint8Array([1, 2, 3, 4]), 10)).rejects.toThrow();
  });
});

describe("base64", () => {
  it("matches Node's encoder for every length remainder, and decodes URL-safe and unpadded text", () => {
    for (const n of [0, 1, 2, 3, 100_001]) {
      const raw = randomBytes(n);
      expect(bytesToBase64(raw)).toBe(raw.toString("base64"));
      expect(Buffer.from(base64ToBytes(raw.toString("base64"))).equals(raw)).toBe(true);
      expect(Buffer.from(base64ToBytes(raw.toString("base64url"))).equals(raw)).toBe(true);
    }
  });

  it("rejects text outside the alphabet or of impossible length", () => {
    expect(() => base64ToBytes("ab cd")).toThrow("invalid base64");
    expect(() => base64ToBytes("abcde")).toThrow("invalid base64");
    expect(() => base64ToBytes("ab=c")).toThrow("invalid base64");
  });
});

describe("resolveBlobLimits", () => {
  it("fills defaults (64 KiB compress, 512 KiB chunks, 8 MiB stored, 32 MiB text)", () => {
    expect(resolveBlobLimits()).toEqual({
      compressAboveBytes: 65_536,
      chunkBytes: 524_288,
      maxStoredBytes: 8_388_608,
      maxTextBytes: 33_554_432,
    });
    expect(resolveBlobLimits({ chunkBytes: 1_000_000 })).toEqual({ ...DEFAULT_BLOB_LIMITS, chunkBytes: 1_000_000 });
  });

  it("rejects inconsistent limits", () => {
    expect(() => resolveBlobLimits({ chunkBytes: 0 })).toThrow(RangeError);
    expect(() => resolveBlobLimits({ compressAboveBytes: 600_000 })).toThrow(
      /compressAboveBytes must not exceed chunkBytes/,
    );
    expect(() => resolveBlobLimits({ maxStoredBytes: 1000 })).toThrow(/chunkBytes must not exceed maxStoredBytes/);
  });
});
