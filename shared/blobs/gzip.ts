/**
 * gzip (RFC 1952) through the standard Compression Streams API (`CompressionStream` / `DecompressionStream`), which
 * workerd and Node 22 both provide: no library.
 */
import { readCapped } from "../util/read-capped.js";

/** Compresses bytes with gzip. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Thrown by {@link gunzip} when the output would exceed its limit. */
export class GunzipLimitError extends Error {
  override readonly name = "GunzipLimitError";
  /** @param maxBytes the limit, in bytes. */
  constructor(readonly maxBytes: number) {
    super(`decompressed data exceeds ${maxBytes} bytes`);
  }
}

/**
 * Decompresses gzip bytes, stopping as soon as the output passes `maxBytes` (a small value cannot expand into
 * unbounded memory).
 * @throws GunzipLimitError when the output is larger than `maxBytes`.
 * @throws TypeError (from the stream) when the input is not valid gzip or is truncated.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const out = await readCapped(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")), maxBytes);
  if (out === null) throw new GunzipLimitError(maxBytes);
  return out;
}
