const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a QStash duration into milliseconds: a bare number means seconds (`"30"`), otherwise one or more
 * `<number><unit>` parts with units ns, us, ms, s, m, h, d, e.g. `"10s"`, `"5m"`, `"1d10h30m"`, `"6m5s"`,
 * `"1.5h"` (docs/upstash-protocols.md B2 `Upstash-Delay`/`Upstash-Timeout`, B5 Go-style durations).
 * @returns milliseconds (>= 0), or undefined when `text` is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || !Number.isFinite(total)) return undefined;
  return total;
}
