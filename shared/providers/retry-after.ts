/**
 * How long a rate-limited provider asks us to wait, read from its response headers. QStash honours the
 * `Retry-After` we answer with (docs/upstash-protocols.md B5), so this decides when the node's next attempt runs.
 */

/** Wait in seconds when a provider answers 429 without any header that says how long to wait. */
export const DEFAULT_RETRY_AFTER_SECONDS = 10;

/** Longest wait in seconds we pass on (one day); a larger or absurd header value is clamped to this. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Vendor headers that say when a rate-limit window resets, paired with the header that says how much of it is
 * left. Sources: Anthropic's "Rate limits" docs (`anthropic-ratelimit-*-reset` is an RFC 3339 timestamp), OpenAI's
 * "Rate limits" guide (`x-ratelimit-reset-*` is a duration such as `6m0s` or `20ms`).
 */
const VENDOR_RESET_HEADERS: ReadonlyArray<{ reset: string; remaining: string; format: "rfc3339" | "duration" }> = [
  {
    reset: "anthropic-ratelimit-requests-reset",
    remaining: "anthropic-ratelimit-requests-remaining",
    format: "rfc3339",
  },
  { reset: "anthropic-ratelimit-tokens-reset", remaining: "anthropic-ratelimit-tokens-remaining", format: "rfc3339" },
  {
    reset: "anthropic-ratelimit-input-tokens-reset",
    remaining: "anthropic-ratelimit-input-tokens-remaining",
    format: "rfc3339",
  },
  {
    reset: "anthropic-ratelimit-output-tokens-reset",
    remaining: "anthropic-ratelimit-output-tokens-remaining",
    format: "rfc3339",
  },
  { reset: "x-ratelimit-reset-requests", remaining: "x-ratelimit-remaining-requests", format: "duration" },
  { reset: "x-ratelimit-reset-tokens", remaining: "x-ratelimit-remaining-tokens", format: "duration" },
];

/**
 * Seconds to wait before retrying, from a provider's response headers, in this order of precedence:
 * 1. `retry-after-ms` (milliseconds; sent by OpenAI);
 * 2. `retry-after`: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3);
 * 3. vendor reset headers (see {@link VENDOR_RESET_HEADERS}): the latest reset among exhausted windows
 *    (`…-remaining: 0`) if any is exhausted, else the latest reset (the rule proposed in
 *    github.com/anthropics/anthropic-sdk-typescript/issues/357).
 * The result is rounded up to whole seconds and clamped to 1..{@link MAX_RETRY_AFTER_SECONDS}.
 * @param headers response headers (names in any case), or undefined.
 * @param nowMs current time in ms since epoch, for date headers.
 * @returns seconds (integer >= 1), or undefined when no header says anything usable.
 */
export function retryAfterSecondsFrom(
  headers: Readonly<Record<string, string>> | undefined,
  nowMs: number,
): number | undefined {
  if (!headers) return undefined;
  const h = lowerCaseKeys(headers);
  const ms = h["retry-after-ms"];
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return clampSeconds(Number(ms) / 1000);
  const ra = h["retry-after"];
  if (ra !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return clampSeconds(Number(ra));
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return clampSeconds((at - nowMs) / 1000);
  }
  const waits: { seconds: number; exhausted: boolean }[] = [];
  for (const v of VENDOR_RESET_HEADERS) {
    const raw = h[v.reset];
    if (raw === undefined) continue;
    const seconds = v.format === "rfc3339" ? secondsUntil(raw, nowMs) : parseDurationSeconds(raw);
    if (seconds === undefined) continue;
    waits.push({ seconds, exhausted: h[v.remaining]?.trim() === "0" });
  }
  if (waits.length === 0) return undefined;
  const exhausted = waits.filter((w) => w.exhausted);
  const pool = exhausted.length > 0 ? exhausted : waits;
  return clampSeconds(Math.max(...pool.map((w) => w.seconds)));
}

/**
 * Parses an OpenAI-style duration such as `1s`, `20ms`, `6m0s`, `1h2m3.5s` into seconds.
 * @returns seconds (may be fractional), or undefined when the text is not such a duration.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * (unit[m[2] as string] as number);
    consumed += m[0].length;
  }
  return consumed === t.length ? total : undefined;
}

function secondsUntil(timestamp: string, nowMs: number): number | undefined {
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? undefined : (at - nowMs) / 1000;
}

function clampSeconds(seconds: number): number {
  if (!Number.isFinite(seconds)) return MAX_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
