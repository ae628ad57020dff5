/**
 * Reads a byte stream to its end, at most `maxBytes` bytes: past the cap it cancels the stream and stops, so a
 * sender cannot make the reader buffer more than the cap (a request body, a gzip bomb's output).
 * @param maxBytes cap in bytes.
 * @returns the bytes read, or null once more than `maxBytes` arrived.
 * @throws what the stream throws (e.g. a TypeError for invalid gzip).
 */
export async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
