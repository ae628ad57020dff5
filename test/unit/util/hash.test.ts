import { describe, expect, it } from "vitest";
import { bytesToHex, sha256Hex } from "../../../shared/util/hash.js";

describe("hex and SHA-256", () => {
  it("gives the FIPS 180-2 test vectors, hashing the text as UTF-8", async () => {
    // FIPS 180-2, appendix B.1 ("abc") and the empty message
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // "é" is hashed as its two UTF-8 bytes c3 a9 (value from Python's hashlib.sha256("é".encode()))
    expect(await sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });

  it("writes every byte as two lowercase digits", () => {
    expect(bytesToHex(new Uint8Array([0x00, 0x0f, 0xa0, 0xff]))).toBe("000fa0ff");
    expect(bytesToHex(new Uint8Array())).toBe("");
    expect(bytesToHex(Uint8Array.from({ length: 256 }, (_, i) => i))).toHaveLength(512);
  });
});
