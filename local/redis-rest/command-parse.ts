import type { RedisCommand } from "./backend.js";

/** Thrown when a REST body or path is not a valid command; the server answers 400 `{"error": message}`. */
export class CommandParseError extends Error {
  override name = "CommandParseError";
}

/** Node 22's JSON source-text access (`JSON.parse` reviver context, `JSON.rawJSON`), not yet in TS' lib. */
interface JsonWithSource {
  parse(text: string, reviver: (key: string, value: unknown, context?: { source?: string }) => unknown): unknown;
  rawJSON(text: string): object;
  isRawJSON(value: unknown): value is { rawJSON: string };
}
const JSONX = JSON as unknown as JsonWithSource;

/**
 * Parses a JSON body keeping every number's literal text (as a `JSON.rawJSON` value), so `12345678901234567890`
 * or `1.50` reach Redis exactly as sent (docs/upstash-protocols.md A2: "keeping the raw JSON literal text is exact").
 * @throws CommandParseError on invalid JSON.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  try {
    // a reviver costs a call per value: parse plainly first, and again with it only when a number is there to keep
    const plain: unknown = JSON.parse(text);
    if (!holdsNumber(plain)) return plain;
    return JSONX.parse(text, (_key, value, context) =>
      typeof value === "number" && context?.source !== undefined ? JSONX.rawJSON(context.source) : value,
    );
  } catch {
    throw new CommandParseError("ERR failed to parse the request body as JSON");
  }
}

function holdsNumber(value: unknown): boolean {
  if (typeof value === "number") return true;
  if (Array.isArray(value)) return value.some(holdsNumber);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsNumber);
  return false;
}

/**
 * Coerces one JSON element to a Redis argument (docs/upstash-protocols.md A2 and A7 "Argument coercion"): strings as
 * UTF-8, numbers as their JSON text, booleans as `"true"`/`"false"`, null as `""`, arrays and objects as their
 * JSON text.
 */
export function toArgument(value: unknown): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof value === "boolean") return Buffer.from(value ? "true" : "false", "utf8");
  if (JSONX.isRawJSON(value)) return Buffer.from(value.rawJSON, "utf8");
  return Buffer.from(JSON.stringify(value), "utf8");
}

/**
 * Validates one command array (`["SET","k","v"]`) and coerces its elements.
 * @throws CommandParseError when `value` is not a non-empty array whose first element is a string.
 */
export function toCommand(value: unknown): RedisCommand {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== "string") {
    throw new CommandParseError("ERR invalid command: expected a non-empty JSON array starting with the command name");
  }
  return value.map(toArgument);
}

/**
 * Parses a single-command body (`POST /`).
 * @throws CommandParseError on invalid JSON or shape.
 */
export function parseSingle(body: Buffer): RedisCommand {
  return toCommand(parseJsonKeepingNumbers(body.toString("utf8")));
}

/**
 * Parses a pipeline or multi-exec body: a non-empty 2-D array (docs/upstash-protocols.md A2).
 * @throws CommandParseError on invalid JSON or shape.
 */
export function parseBatch(body: Buffer): RedisCommand[] {
  const value = parseJsonKeepingNumbers(body.toString("utf8"));
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandParseError("ERR invalid command array: expected a non-empty array of command arrays");
  }
  return value.map(toCommand);
}

/**
 * Parses a path-style command (docs/upstash-protocols.md A2): `/set/foo/bar/EX/100`; segments are percent-decoded;
 * a non-empty body is appended as the last argument (raw bytes), then query parameters other than `_token` as
 * `name value` pairs (a parameter without a value adds only its name).
 * @throws CommandParseError when the path holds no command or a segment is badly percent-encoded.
 */
export function parsePathCommand(path: string, query: string, body: Buffer): RedisCommand {
  const segments = path.split("/").filter((s) => s.length > 0);
  if (segments.length === 0) throw new CommandParseError("ERR empty command");
  let args: Buffer[];
  try {
    args = segments.map((s) => Buffer.from(decodeURIComponent(s), "utf8"));
  } catch {
    throw new CommandParseError("ERR invalid percent-encoding in the command path");
  }
  if (body.length > 0) args.push(body);
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decodeQueryPart(eq < 0 ? part : part.slice(0, eq));
    if (name === "_token") continue;
    args.push(Buffer.from(name, "utf8"));
    if (eq >= 0 && eq < part.length - 1) args.push(Buffer.from(decodeQueryPart(part.slice(eq + 1)), "utf8"));
  }
  return args;
}

function decodeQueryPart(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new CommandParseError("ERR invalid percent-encoding in the query string");
  }
}
