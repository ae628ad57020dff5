import type { RedisReply } from "./backend.js";

/** A JSON value of a REST `result`: strings, integers, null and nested arrays only (never objects or booleans). */
export type ResultJson = null | number | string | ResultJson[];

const OK = Buffer.from("OK", "utf8");

/**
 * Turns a Redis reply into the JSON `result` of the Upstash REST API.
 *
 * With `base64` (request header `Upstash-Encoding: base64`, docs/upstash-protocols.md A4): every string at every
 * depth is standard base64 (with padding), integers and null are left alone, and only a top-level `"OK"` stays
 * raw (the docs' exception; the client decodes both forms to "OK"). Without it, strings are UTF-8 text.
 * An Error nested inside an array (EXEC item, Lua `{err=}`) has no JSON form in the protocol; it becomes its
 * message text, encoded like any other string.
 */
export function encodeResult(reply: RedisReply, base64: boolean): ResultJson {
  return encode(reply, base64, true);
}

function encode(reply: RedisReply, base64: boolean, top: boolean): ResultJson {
  if (reply === null) return null;
  if (typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((r) => encode(r, base64, false));
  const buf = reply instanceof Error ? Buffer.from(reply.message, "utf8") : reply;
  if (!base64) return buf.toString("utf8");
  if (top && buf.equals(OK)) return "OK";
  return buf.toString("base64");
}

/**
 * One REST reply item: `{"result": ...}` on success or `{"error": "..."}` on failure. Errors are never base64
 * encoded (docs/upstash-protocols.md A4, A7).
 */
export function encodeItem(reply: RedisReply, base64: boolean): { result: ResultJson } | { error: string } {
  if (reply instanceof Error) return { error: reply.message };
  return { result: encodeResult(reply, base64) };
}
