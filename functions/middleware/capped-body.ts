import { readCapped } from "../../shared/util/read-capped.js";
/**
 * Largest body `/internal/*` reads, in bytes: 1 MiB, QStash's maximum message size on its smallest (free) plan
 * (https://upstash.com/pricing/qstash, "Max Message Size: 1 MB"; pay-as-you-go allows 10 MB). What QStash sends us
 * is far smaller: an execute message is `{runId, nodeId, …}` and a callback carries base64 of that message and of
 * our own short JSON answer (docs/upstash-protocols.md B8), a few KB.
 */
export const MAX_QSTASH_BODY_BYTES = 1024 * 1024;

/** Result of {@link readCappedBody}: the body as text, or `tooLarge` once more than `maxBytes` arrived. */
export type CappedBody = { ok: true; text: string } | { ok: false; tooLarge: true };

/**
 * Reads a request body of at most `maxBytes` bytes. A `Content-Length` above the cap is refused before a single
 * byte is read; a body without one (chunked) is read chunk by chunk and abandoned (the stream cancelled) as soon as
 * the count passes the cap, so at most `maxBytes` plus one chunk is ever held.
 * @param request the incoming request; its body is consumed unless refused on `Content-Length`.
 * @param maxBytes cap in bytes.
 * @returns the UTF-8 text, or `{ ok: false, tooLarge: true }`.
 */
export async function readCappedBody(request: Request, maxBytes: number): Promise<CappedBody> {
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= maxBytes)) return { ok: false, tooLarge: true };
  if (!request.body) return { ok: true, text: "" };
  // a declared length within the cap: over HTTP/1.1 the body is that many bytes (RFC 9112 §6.2; a longer one is
  // cut there), so the native read is bounded and cheaper than the chunked one below
  if (declared !== null) return { ok: true, text: await request.text() };
  const bytes = await readCapped(request.body, maxBytes);
  return bytes === null ? { ok: false, tooLarge: true } : { ok: true, text: new TextDecoder().decode(bytes) };
}
