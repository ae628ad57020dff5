/**
 * SHA-256 of a UTF-8 string as 64 lowercase hex characters, via WebCrypto (`crypto.subtle`), which Workers and
 * Node 22 both provide.
 * @param text any string; it is hashed as UTF-8 bytes.
 */
export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", UTF8.encode(text))));
}

/**
 * Bytes as lowercase hex, two characters per byte (`[0x0f, 0xa0]` → `"0fa0"`).
 * @param bytes any bytes; an empty array gives `""`.
 */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return hex;
}

const UTF8 = new TextEncoder();
/** Two lowercase hex digits for each byte value 0..255. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * JSON with object keys sorted at every depth, so that equal values always serialise to the same text (used for
 * fingerprints and content hashes). Arrays keep their order; `undefined` object members are dropped as in JSON.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
