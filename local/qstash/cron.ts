import { Cron } from "croner";

/** Thrown for a cron expression QStash would refuse; the API answers `400 {"error": message}`. */
export class CronExpressionError extends Error {
  override name = "CronExpressionError";
}

/** A parsed schedule cron: the next firing strictly after a time. */
export interface ScheduleCron {
  /** The expression as given (with its `CRON_TZ=` prefix, if any). */
  readonly expression: string;
  /** The first firing strictly after `afterMs` (unix ms), or undefined when it never fires again. */
  next(afterMs: number): number | undefined;
}

/**
 * Parses a QStash schedule cron (docs/upstash-protocols.md B5 "Schedules"): five fields (minute resolution), in UTC,
 * or in the IANA zone of a `CRON_TZ=<zone> ` prefix. Evaluated by croner in its `5-part` mode.
 * @throws CronExpressionError when the expression is not five valid fields or the zone is unknown.
 */
export function parseScheduleCron(expression: string): ScheduleCron {
  const match = /^\s*CRON_TZ=(\S+)\s+(.*)$/.exec(expression);
  const timezone = match?.[1] ?? "UTC";
  const pattern = (match?.[2] ?? expression).trim();
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone, paused: true, mode: "5-part" });
    cron.nextRun(new Date(0));
  } catch (err) {
    throw new CronExpressionError(`invalid cron "${expression}": ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    expression,
    next(afterMs) {
      return cron.nextRun(new Date(afterMs))?.getTime();
    },
  };
}
