/**
 * Base64 (RFC 4648 section 4, standard alphabet, padded) for byte arrays, with `btoa`/`atob`, which Workers and
 * Node 22 both provide (no `Buffer`, so the same code runs in workerd without `nodejs_compat`).
 */

/** Bytes per `String.fromCharCode` call: keeps the argument list well under engines' argument-count limits. */
const STEP = 0x8000;

/**
 * Encodes bytes as padded standard base64 (`A–Z a–z 0–9 + /`, `=` padding).
 * @param bytes any bytes; an empty array gives `""`.
 * @returns ASCII text of length `4 * ceil(bytes.length / 3)`.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += STEP) {
    binary += String.fromCharCode(...bytes.subarray(i, i + STEP));
  }
  return btoa(binary);
}

/** Standard or URL-safe base64, padded or not, nothing else (whitespace is not accepted). */
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes base64 text: the standard alphabet or the URL-safe one (RFC 4648 section 5: `-` and `_`), with or without
 * `=` padding.
 * @throws TypeError `invalid base64` when the text has characters outside the alphabet or an impossible length.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (!BASE64_RE.test(text) || text.replace(/=+$/, "").length % 4 === 1) throw new TypeError("invalid base64");
  const standard = text.replaceAll("-", "+").replaceAll("_", "/").replace(/=+$/, "");
  const padded = standard + "=".repeat((4 - (standard.length % 4)) % 4);
  let binary: string;
  try {
    binary = atob(padded);
  } catch {
    throw new TypeError("invalid base64");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
