import { describe, expect, it } from "vitest";
import {
  MAX_RETRY_AFTER_SECONDS,
  parseDurationSeconds,
  retryAfterSecondsFrom,
} from "../../../shared/providers/retry-after.js";

const NOW = Date.parse("2026-11-20T12:00:00Z");

describe("retryAfterSecondsFrom", () => {
  const cases: [string, Record<string, string> | undefined, number | undefined][] = [
    ["no headers", undefined, undefined],
    ["unrelated headers", { "content-type": "application/json" }, undefined],
    ["retry-after seconds", { "retry-after": "7" }, 7],
    ["retry-after fractional rounds up", { "retry-after": "1.2" }, 2],
    ["retry-after 0 becomes 1", { "retry-after": "0" }, 1],
    ["header names in any case", { "Retry-After": "12" }, 12],
    ["retry-after HTTP-date", { "retry-after": "Fri, 20 Nov 2026 12:00:30 GMT" }, 30],
    ["retry-after date in the past becomes 1", { "retry-after": "Fri, 20 Nov 2026 11:00:00 GMT" }, 1],
    ["retry-after-ms wins over retry-after", { "retry-after-ms": "2500", "retry-after": "60" }, 3],
    [
      "garbage retry-after falls through to vendor headers",
      { "retry-after": "soon", "x-ratelimit-reset-requests": "4s" },
      4,
    ],
    ["anthropic reset (RFC 3339)", { "anthropic-ratelimit-requests-reset": "2026-11-20T12:00:45Z" }, 45],
    [
      "anthropic: the exhausted window decides",
      {
        "anthropic-ratelimit-requests-reset": "2026-11-20T12:00:05Z",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-tokens-reset": "2026-11-20T12:01:00Z",
        "anthropic-ratelimit-tokens-remaining": "9000",
      },
      5,
    ],
    [
      "anthropic: no window exhausted -> the latest reset",
      {
        "anthropic-ratelimit-requests-reset": "2026-11-20T12:00:05Z",
        "anthropic-ratelimit-tokens-reset": "2026-11-20T12:01:00Z",
      },
      60,
    ],
    ["openai duration 6m0s", { "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0" }, 360],
    ["openai duration 20ms", { "x-ratelimit-reset-tokens": "20ms" }, 1],
    ["huge values are clamped", { "retry-after": "99999999" }, MAX_RETRY_AFTER_SECONDS],
  ];
  for (const [name, headers, expected] of cases) {
    it(name, () => expect(retryAfterSecondsFrom(headers, NOW)).toBe(expected));
  }
});

describe("parseDurationSeconds", () => {
  const cases: [string, number | undefined][] = [
    ["1s", 1],
    ["20ms", 0.02],
    ["6m0s", 360],
    ["1h2m3.5s", 3723.5],
    ["", undefined],
    ["5", undefined],
    ["1s2", undefined],
    ["x1s", undefined],
  ];
  for (const [text, expected] of cases)
    it(JSON.stringify(text), () => expect(parseDurationSeconds(text)).toBe(expected));
});
