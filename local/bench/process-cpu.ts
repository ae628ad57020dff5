/**
 * CPU time of the processes that serve a benchmark run (Linux): the worker's workerd processes, this Node process
 * (the local stack, its QStash emulator and Redis REST server, and the benchmark's own bookkeeping) and the Redis
 * server. The two cores are shared by all of them, so the CPU each one spends per node bounds how many node
 * completions per second the machine can sustain.
 *
 * Sources: proc(5), `/proc/<pid>/stat`: field 2 `comm` (in parentheses, may itself hold spaces and parentheses,
 * so fields are counted from the last `)`), field 4 `ppid`, fields 14 `utime` and 15 `stime` in clock ticks
 * (`getconf CLK_TCK`, 100 on Linux x86-64); Node's `process.cpuUsage()` in µs.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** One process's line of `/proc/<pid>/stat`, as far as this module needs it. */
export interface PidStat {
  pid: number;
  /** Executable name, at most 15 characters (e.g. `workerd`, `redis-server`). */
  comm: string;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
}

/** Cumulative CPU time (user + system) of each side at one moment, ms; null where it could not be read. */
export interface ProcessCpu {
  /** Every `workerd` process descended from this one (wrangler starts them). */
  workerd: number | null;
  /** This Node process: the local stack and the benchmark. */
  node: number;
  /** The Redis server, when it runs on this machine and its pid is known. */
  redis: number | null;
}

/**
 * Parses a `/proc/<pid>/stat` text.
 * @returns null when it does not have the fields up to `stime`.
 */
export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // after ")": field 3 (state) is index 0, so field n is index n - 3
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const ppid = Number(rest[4 - 3]);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return null;
  return { pid, comm: text.slice(open + 1, close), ppid, cpuTicks: utime + stime };
}

/**
 * The processes descended from `rootPid` whose `comm` is `comm`, among `stats`.
 * Pure: `stats` is a snapshot of every process.
 */
export function descendantsNamed(stats: readonly PidStat[], rootPid: number, comm: string): PidStat[] {
  const children = new Map<number, PidStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found: PidStat[] = [];
  const queue = [rootPid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (child.comm === comm) found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK`, read once; 100 (Linux x86-64's USER_HZ) when getconf is missing. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Every readable `/proc/<pid>/stat` now; empty where there is no `/proc`. */
function readAllPidStats(): PidStat[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  return pids.flatMap((pid) => {
    try {
      const s = parsePidStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      return s ? [s] : [];
    } catch {
      return []; // the process ended between the listing and the read
    }
  });
}

/**
 * Reads the CPU time of the worker (workerd descendants of this process), this process and the Redis server now.
 * @param redisPid the Redis server's pid (`INFO server` `process_id`), or null when it is not a local process.
 * @returns `workerd` null when no workerd descendant is found or `/proc` is unreadable; `redis` null likewise.
 */
export function readProcessCpu(redisPid: number | null): ProcessCpu {
  const stats = readAllPidStats();
  const msPerTick = 1000 / clockTicksPerSecond();
  const workers = descendantsNamed(stats, process.pid, "workerd");
  const redis = redisPid === null ? undefined : stats.find((s) => s.pid === redisPid);
  const usage = process.cpuUsage();
  return {
    workerd: workers.length > 0 ? workers.reduce((sum, s) => sum + s.cpuTicks, 0) * msPerTick : null,
    node: (usage.user + usage.system) / 1000,
    redis: redis ? redis.cpuTicks * msPerTick : null,
  };
}

/**
 * CPU per node between two readings: (after − before) / nodes, ms per node, one decimal; `workerd` or `redis` is
 * null when either reading lacks it, or when it went backwards (its process was replaced).
 * @returns null when `nodes` is 0 or either reading is missing.
 */
export function cpuPerNode(before: ProcessCpu | null, after: ProcessCpu | null, nodes: number): ProcessCpu | null {
  if (!before || !after || !(nodes > 0)) return null;
  const per = (a: number | null, b: number | null) => (a === null || b === null || b < a ? null : Math.round(((b - a) / nodes) * 10) / 10);
  return { workerd: per(before.workerd, after.workerd), node: Math.round(((after.node - before.node) / nodes) * 10) / 10, redis: per(before.redis, after.redis) };
}

/**
 * One line for the terminal and the report, e.g. `CPU per node: workerd 9.1 ms, stack 6.3 ms, Redis 0.4 ms`
 * (a side that was not read is left out).
 */
export function describeCpuPerNode(c: ProcessCpu): string {
  const sides = [
    ["workerd", c.workerd],
    ["stack", c.node],
    ["Redis", c.redis],
  ] as const;
  return `CPU per node: ${sides.flatMap(([name, ms]) => (ms === null ? [] : [`${name} ${ms.toFixed(1)} ms`])).join(", ")}`;
}
