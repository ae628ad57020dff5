/**
 * CPU time of the whole machine from `/proc/stat` (Linux), to say how busy the machine was during a run and how
 * much of its time the hypervisor gave to other guests ("steal": vmstat's `st` column). On a shared virtual
 * machine steal time makes the same run slower at some moments than at others, so every run records it.
 * Source of the field order: proc(5), `/proc/stat` "cpu" line: user nice system idle iowait irq softirq steal
 * (guest and guest_nice are already counted in user and nice), in USER_HZ ticks.
 */
import { readFileSync } from "node:fs";

/** Cumulative ticks since boot, summed over all CPUs. */
export interface CpuTimes {
  /** user + nice + system + irq + softirq. */
  busy: number;
  /** idle + iowait. */
  idle: number;
  steal: number;
}

/** The share of machine time in each state between two readings, percent (0..100, one decimal). */
export interface CpuShare {
  /** Time this guest's CPUs ran anything (ours or other processes'). */
  busyPct: number;
  /** Time the hypervisor ran other guests while ours wanted to run. */
  stealPct: number;
}

/**
 * Parses the aggregate `cpu` line of a `/proc/stat` text.
 * @returns the times, or null when there is no such line or it has fewer than eight numbers.
 */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.slice(0, 8).some((n) => !Number.isFinite(n))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** Reads `/proc/stat` now. @returns null where it cannot be read (not Linux). */
export function readCpuTimes(): CpuTimes | null {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
}

/**
 * The busy and steal shares between two readings.
 * @returns null when either reading is missing or no tick passed between them.
 */
export function cpuShare(before: CpuTimes | null, after: CpuTimes | null): CpuShare | null {
  if (!before || !after) return null;
  const busy = after.busy - before.busy;
  const steal = after.steal - before.steal;
  const total = busy + (after.idle - before.idle) + steal;
  if (!(total > 0)) return null;
  const pct = (n: number) => Math.round((n / total) * 1000) / 10;
  return { busyPct: pct(busy), stealPct: pct(steal) };
}
