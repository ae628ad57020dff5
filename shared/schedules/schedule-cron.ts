import { Cron } from "croner";

/**
 * Characters a schedule's cron field may hold: digits and `* , - /`, the subset every 5-field cron reads alike
 * (croner here, QStash's parser there: docs/upstash-protocols.md B5 "Schedules"). Names (`MON`), `L`, `W`, `#`, `?`
 * and nicknames (`@daily`) are refused, so a schedule means the same minute to both.
 */
const CRON_FIELD_RE = /^[0-9*,/-]+$/;

/**
 * Why `expression` is not a schedule cron, or undefined when it is: exactly five whitespace-separated fields
 * (minute hour day-of-month month day-of-week, evaluated in UTC, minute resolution) that croner parses in its
 * `5-part` mode, and that fire at least once (`0 0 30 2 *` never does).
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `must have 5 fields (minute hour day month weekday), got ${fields.length}`;
  if (!fields.every((f) => CRON_FIELD_RE.test(f))) return "fields may hold only digits and * , - /";
  try {
    const cron = new Cron(fields.join(" "), { timezone: "UTC", paused: true, mode: "5-part" });
    if (!cron.nextRun(new Date(0))) return "never fires";
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err);
  }
  return undefined;
}

/**
 * The latest firing of a valid schedule cron at or before `atMs` (unix ms, UTC), or undefined when there is none
 * within a year. Used when QStash cannot say when a firing was made (functions/schedule-firing.ts).
 */
export function latestFiring(expression: string, atMs: number): number | undefined {
  const cron = new Cron(expression.trim(), { timezone: "UTC", paused: true, mode: "5-part" });
  return cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime();
}

/** `ms` (unix ms) rounded down to the start of its UTC minute. */
export function floorToMinute(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}
