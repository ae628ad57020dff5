/**
 * Durations in workflow definitions (node `timeout`, `defaults.timeout`).
 *
 * Accepted forms: a number of seconds (`120`, `1.5`) or a string `"<n><unit>"` with unit `ms`, `s`, `m` or `h`
 * (`"500ms"`, `"120s"`, `"5m"`, `"1.5h"`; `<n>` may have a decimal part). The value is converted to whole
 * milliseconds (rounded) and must be > 0 and at most {@link MAX_DURATION_MS} (2 h, the limit set by the
 * agent-dag contract for node timeouts).
 */
import { z } from "zod";

/** Upper bound of a duration: 2 hours, in milliseconds (agent-dag contract, node `timeout`). */
export const MAX_DURATION_MS = 2 * 60 * 60 * 1000;

/** Milliseconds per unit suffix. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration as written in a definition: seconds (number) or `"<n>ms|s|m|h"`. */
export type DurationInput = number | string;

/**
 * Parses a duration into milliseconds, or explains why it is invalid.
 *
 * @returns `{ ok: true, ms }` (integer ms, 1..7,200,000) or `{ ok: false, reason }`.
 */
export function tryParseDurationMs(
  value: unknown,
  maxMs: number = MAX_DURATION_MS,
): { ok: true; ms: number } | { ok: false; reason: string } {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { ok: false, reason: "duration must be a finite number of seconds" };
    ms = value * 1000;
  } else if (typeof value === "string") {
    const m = DURATION_RE.exec(value.trim());
    if (!m) return { ok: false, reason: `invalid duration "${value}": expected seconds or "<n>ms|s|m|h", e.g. "120s"` };
    ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  } else {
    return { ok: false, reason: 'duration must be a number of seconds or a string like "120s"' };
  }
  ms = Math.round(ms);
  if (ms <= 0) return { ok: false, reason: "duration must be greater than 0" };
  if (ms > maxMs) return { ok: false, reason: `duration must be at most ${formatMax(maxMs)}` };
  return { ok: true, ms };
}

/**
 * Parses a duration into whole milliseconds.
 *
 * @param value - seconds (number) or `"<n>ms|s|m|h"`.
 * @returns milliseconds, 1..{@link MAX_DURATION_MS}.
 * @param maxMs - upper bound, default {@link MAX_DURATION_MS} (2 h).
 * @throws RangeError when the value is not a valid duration, not positive, or above `maxMs`.
 */
export function parseDurationMs(value: DurationInput, maxMs: number = MAX_DURATION_MS): number {
  const r = tryParseDurationMs(value, maxMs);
  if (!r.ok) throw new RangeError(r.reason);
  return r.ms;
}

/**
 * zod schema of a duration field. The parsed value is the input unchanged (number or string), so a parsed
 * definition stays a valid definition; convert with {@link parseDurationMs} where milliseconds are needed.
 */
export const durationSchema = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  const r = tryParseDurationMs(value);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});

/** Upper bound of a cache TTL (`cacheTtl`): 30 days, in milliseconds. */
export const MAX_CACHE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** zod schema of a cache TTL: like {@link durationSchema} but up to 30 days (`"<n>ms|s|m|h|d"`). */
export const ttlSchema = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  const r = tryParseDurationMs(value, MAX_CACHE_TTL_MS);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});

function formatMax(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms}ms`;
}
