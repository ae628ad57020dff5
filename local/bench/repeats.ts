/**
 * Which of several measurements of one configuration the benchmark reports (`--repeats`). On a shared virtual
 * machine a run can be tens of percent slower one minute than the next: the hypervisor gives the CPUs to other
 * guests ("steal", cpu-time.ts), and this workload, a chain of loopback requests, waits for every wake-up. So
 * short runs are measured more than once, a sample taken while steal exceeded {@link MAX_QUIET_STEAL_PCT} is
 * kept but not counted, and up to {@link MAX_EXTRA_SAMPLES} more are taken to replace it.
 */
import type { RunResult } from "./results.js";

/** A sample with more CPU steal than this (percent of machine time during the run) is not counted. */
const MAX_QUIET_STEAL_PCT = 5;

/** Most extra measurements taken to replace samples that were not counted. */
export const MAX_EXTRA_SAMPLES = 3;

/** True when a measurement ran on a quiet machine: steal at most {@link MAX_QUIET_STEAL_PCT}, or not readable. */
function isQuiet(r: Pick<RunResult, "cpu">): boolean {
  return (r.cpu?.stealPct ?? 0) <= MAX_QUIET_STEAL_PCT;
}

/**
 * Whether to measure again: until `wanted` quiet samples are in, at most `wanted` + {@link MAX_EXTRA_SAMPLES} in
 * all, and never after a failure (a failure is reported as it is).
 */
export function wantsAnotherSample(measured: readonly RunResult[], wanted: number): boolean {
  if (measured.some((r) => r.outcome !== "completed")) return false;
  if (measured.length >= wanted + MAX_EXTRA_SAMPLES) return false;
  return measured.filter(isQuiet).length < wanted;
}

/** The samples of a repeated run that were counted (none for a run measured once). */
export function countedSamples(r: Pick<RunResult, "samples">): NonNullable<RunResult["samples"]> {
  return (r.samples ?? []).filter((x) => x.counted);
}

/**
 * The measurement to report: a failed one if any (a failure is never hidden behind a median), else the one with
 * the median makespan among the quiet samples (among all when none was quiet; for an even count the slower of the
 * two middle ones, so the figure never flatters).
 * With more than one measurement the result carries every sample's makespan (ms), CPU steal (%) and whether it
 * was counted, in the order measured.
 * @throws RangeError for an empty list.
 */
export function medianRun(measured: readonly RunResult[]): RunResult {
  if (measured.length === 0) throw new RangeError("medianRun needs at least one measurement");
  const failed = measured.find((r) => r.outcome !== "completed");
  const quiet = measured.filter(isQuiet);
  const pool = quiet.length > 0 ? quiet : measured;
  const sorted = [...pool].sort((a, b) => (a.makespanMs ?? Infinity) - (b.makespanMs ?? Infinity));
  const chosen = failed ?? sorted[Math.floor(sorted.length / 2)]!;
  if (measured.length === 1) return chosen;
  return {
    ...chosen,
    samples: measured.map((r) => ({
      makespanMs: r.makespanMs,
      stealPct: r.cpu?.stealPct ?? null,
      counted: pool.includes(r),
    })),
  };
}
