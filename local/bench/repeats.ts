/**
 * Which of several measurements of one configuration the benchmark reports (`--repeats`): on a shared virtual
 * machine a run can be tens of percent slower one minute than the next, so short runs are measured more than once.
 */
import type { RunResult } from "./results.js";

/**
 * The measurement to report: a failed one if any (a failure is never hidden behind a median), else the one with
 * the median makespan (the lower middle for an even count). With more than one measurement the result carries
 * every sample's makespan (ms) and CPU steal (%), in the order measured.
 * @throws RangeError for an empty list.
 */
export function medianRun(measured: readonly RunResult[]): RunResult {
  if (measured.length === 0) throw new RangeError("medianRun needs at least one measurement");
  const failed = measured.find((r) => r.outcome !== "completed");
  const sorted = [...measured].sort((a, b) => (a.makespanMs ?? Infinity) - (b.makespanMs ?? Infinity));
  const chosen = failed ?? sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (measured.length === 1) return chosen;
  return { ...chosen, samples: measured.map((r) => ({ makespanMs: r.makespanMs, stealPct: r.cpu?.stealPct ?? null })) };
}
