import { BlobFormatError } from "./blob-errors.js";

/**
 * The text format of a stored blob value (version 1). A value that does not start with {@link ENVELOPE_MARKER} is
 * the blob's text itself, so every value written before envelopes existed still reads as it was. Every other form
 * starts with the marker and a kind; fields are separated by `:` and all but `raw` are ASCII:
 *
 * | form | value |
 * |---|---|
 * | plain | `<text>` (text not starting with `ad1:`) |
 * | raw | `ad1:raw:<text>` (plain text that itself starts with `ad1:`) |
 * | gz | `ad1:gz:<base64 of gzip(UTF-8 text)>` |
 * | enc | `ad1:enc:<kid>:<utf8\|gz>:<base64 IV (12 bytes)>:<base64 AES-256-GCM ciphertext + 16-byte tag>` |
 * | chunks | `ad1:chunks:<count>:<total bytes>:<set id>` (manifest; chunk i is key `<blob key>:<set id>:c<i>`) |
 *
 * In `enc`, the second field says what the plaintext bytes are: the UTF-8 text, or its gzip. Chunks hold the
 * consecutive slices of a `gz` or `enc` value; `total bytes` is the length of their concatenation.
 */

/** The prefix of every stored form but plain text: format version 1. */
export const ENVELOPE_MARKER = "ad1:";

/** Longest manifest value, in characters (`ad1:chunks:` + count + total + 16-hex set id, with room to spare). */
export const MANIFEST_MAX_CHARS = 64;

/** A parsed stored value. Base64 fields are still text. */
export type Envelope =
  | { kind: "plain"; text: string }
  | { kind: "gz"; data: string }
  | { kind: "enc"; kid: string; encoding: "utf8" | "gz"; iv: string; ciphertext: string }
  | { kind: "chunks"; count: number; bytes: number; set: string };

/**
 * The stored form of plain text: the text itself, or `ad1:raw:<text>` when the text starts with the marker (so it
 * cannot be mistaken for an envelope).
 */
export function formatPlain(text: string): string {
  return text.startsWith(ENVELOPE_MARKER) ? `${ENVELOPE_MARKER}raw:${text}` : text;
}

/** `ad1:gz:<data>`; `data` is base64 of the gzip bytes. */
export function formatGzip(data: string): string {
  return `${ENVELOPE_MARKER}gz:${data}`;
}

/** `ad1:enc:<kid>:<encoding>:<iv>:<ciphertext>`; `iv` and `ciphertext` are base64. */
export function formatEncrypted(e: { kid: string; encoding: "utf8" | "gz"; iv: string; ciphertext: string }): string {
  return `${ENVELOPE_MARKER}enc:${e.kid}:${e.encoding}:${e.iv}:${e.ciphertext}`;
}

/** `ad1:chunks:<count>:<bytes>:<set>`: `count` chunks whose concatenation is `bytes` long, under chunk set `set`. */
export function formatManifest(m: { count: number; bytes: number; set: string }): string {
  return `${ENVELOPE_MARKER}chunks:${m.count}:${m.bytes}:${m.set}`;
}

const B64 = "[A-Za-z0-9+/]*={0,2}";
const ENC_RE = new RegExp(`^enc:([A-Za-z0-9_.-]{1,32}):(utf8|gz):(${B64}):(${B64})$`);
const GZ_RE = new RegExp(`^gz:(${B64})$`);
const CHUNKS_RE = /^chunks:([1-9][0-9]{0,5}):([1-9][0-9]{0,9}):([0-9a-f]{16})$/;

/**
 * Parses a stored value.
 * @param ref the blob's ref, for error messages.
 * @throws BlobFormatError when the value starts with the marker but is no valid envelope.
 */
export function parseEnvelope(value: string, ref: string): Envelope {
  if (!value.startsWith(ENVELOPE_MARKER)) return { kind: "plain", text: value };
  const body = value.slice(ENVELOPE_MARKER.length);
  if (body.startsWith("raw:")) return { kind: "plain", text: body.slice(4) };
  const gz = GZ_RE.exec(body);
  if (gz) return { kind: "gz", data: gz[1] as string };
  const enc = ENC_RE.exec(body);
  if (enc)
    return {
      kind: "enc",
      kid: enc[1] as string,
      encoding: enc[2] as "utf8" | "gz",
      iv: enc[3] as string,
      ciphertext: enc[4] as string,
    };
  const chunks = CHUNKS_RE.exec(body);
  if (chunks) return { kind: "chunks", count: Number(chunks[1]), bytes: Number(chunks[2]), set: chunks[3] as string };
  throw new BlobFormatError(ref, `unknown envelope ${JSON.stringify(value.slice(0, 24))}…`);
}
