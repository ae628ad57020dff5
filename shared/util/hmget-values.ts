/**
 * HMGET's reply as values in field order (null or undefined for a missing field). With `automaticDeserialization`
 * off, `@upstash/redis` hands back Redis' raw reply, an array in field order; a deserializing client returns an
 * object keyed by field instead, which is tolerated too. Anything else gives an empty list.
 * @param raw the client's reply to `hmget(key, ...fields)`.
 * @param fields the fields asked for, in the order they were asked.
 */
export function hmgetValues(raw: unknown, fields: readonly string[]): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (raw && typeof raw === "object") return fields.map((f) => (raw as Record<string, unknown>)[f]);
  return [];
}
