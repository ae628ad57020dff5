/**
 * The simulated provider's structured output: a deterministic value that matches a node's output schema (the subset
 * of shared/schema/output-schema.ts), with every free string saying it is simulated.
 */
import type { OutputJsonSchema } from "../schema/output-schema.js";

/** Text of every free string in a simulated structured answer (cut to `maxLength`, padded to `minLength`). */
export const SIMULATED_STRING = "[SIMULATED OUTPUT: no model was called]";

/**
 * A value matching `schema`, the same for the same schema: `const`, else the first `enum` value, else the first
 * `anyOf` branch, else by `type` (the first non-`null` one of a list): objects get every property in `properties`
 * order, arrays `max(minItems, 1)` elements (at most `maxItems`), strings {@link SIMULATED_STRING} fitted to
 * `minLength`/`maxLength`, numbers `minimum` (else 0, capped by `maximum`; integers rounded up), booleans `true`.
 * A schema without `type` is read as an object when it has `properties`, an array when it has `items`, else a string.
 * @param text the free strings' text (default {@link SIMULATED_STRING}; the local fake providers pass their own mark).
 */
export function simulatedObject(schema: OutputJsonSchema, text: string = SIMULATED_STRING): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (schema.anyOf && schema.anyOf.length > 0) return simulatedObject(schema.anyOf[0]!, text);
  switch (typeOf(schema)) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(schema.properties ?? {})) out[name] = simulatedObject(sub, text);
      return out;
    }
    case "array": {
      const n = Math.min(Math.max(schema.minItems ?? 0, 1), schema.maxItems ?? Number.POSITIVE_INFINITY);
      const item = schema.items ?? {};
      return Array.from({ length: n }, () => simulatedObject(item, text));
    }
    case "string": {
      let s = text.slice(0, schema.maxLength ?? text.length);
      if (schema.minLength !== undefined && s.length < schema.minLength) s += "x".repeat(schema.minLength - s.length);
      return s;
    }
    case "number":
    case "integer": {
      let n = schema.minimum ?? 0;
      if (schema.maximum !== undefined && n > schema.maximum) n = schema.maximum;
      return typeOf(schema) === "integer" ? Math.ceil(n) : n;
    }
    case "boolean":
      return true;
    default:
      return null;
  }
}

function typeOf(schema: OutputJsonSchema): string {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== "null") ?? "null";
  if (t) return t;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  return "string";
}
