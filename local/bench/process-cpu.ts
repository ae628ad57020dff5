/**
 * CPU time of the processes that serve a benchmark run (Linux): the worker's workerd processes (and, of all their
 * threads, the busiest one: a worker's requests run on one thread), this Node process (the local stack, its QStash
 * emulator and Redis REST server, and the benchmark's own bookkeeping) and the Redis server. The two cores are
 * shared by all of them, so the CPU each one spends per node bounds how many node completions per second the
 * machine can sustain.
 *
 * Sources: proc(5). `/proc/<pid>/stat`: field 2 `comm` (in parentheses, may itself hold spaces and parentheses, so
 * fields are counted from the last `)`), field 4 `ppid`, fields 14 `utime` and 15 `stime` in clock ticks
 * (`getconf CLK_TCK`, 100 on Linux x86-64). `/proc/<pid>/task/<tid>/schedstat`: field 1, time spent on the CPU in
 * ns (kernel Documentation/scheduler/sched-stats.rst), read per thread for ns precision where the kernel has it.
 * Node's `process.cpuUsage()` in µs.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** One process's line of `/proc/<pid>/stat`, as far as this module needs it. */
export interface PidStat {
  /** Process id. */
  pid: number;
  /** Executable name, at most 15 characters (e.g. `workerd`, `redis-server`). */
  comm: string;
  /** Parent's process id. */
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
}

/** Cumulative CPU time (user + system) of each side at one moment, ms; null where it could not be read. */
export interface ProcessCpu {
  /** Every `workerd` process descended from this one (wrangler starts them: the worker's and its proxy's). */
  workerd: number | null;
  /** Each thread of those processes, by `<pid>/<tid>`, ms (empty where unreadable). */
  workerdThreads: ReadonlyMap<string, number>;
  /** This Node process: the local stack and the benchmark. */
  node: number;
  /** The Redis server, when it runs on this machine, its pid is known and that pid is a `redis-server`. */
  redis: number | null;
}

/** CPU per node done between two {@link ProcessCpu} readings, ms per node, one decimal. */
export interface ProcessCpuPerNode {
  /** All workerd processes together. */
  workerd: number | null;
  /**
   * The workerd thread that used the most CPU between the readings: the worker's own JS thread under load
   * (absent in results from before 2026-11-21 05:30).
   */
  workerdThread?: number | null;
  /** This Node process. */
  node: number;
  /** The Redis server. */
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
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
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
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
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
 * The CPU time of each thread of a process, ms, by thread id: `schedstat` (ns) where the kernel has it, else the
 * thread's `stat` ticks. Threads that end between the listing and the read are left out.
 * @returns an empty map when the process is gone or `/proc` is unreadable.
 */
function threadCpuMs(pid: number, msPerTick: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      if (Number.isFinite(ns)) {
        out.set(Number(tid), ns / 1e6);
        continue;
      }
    } catch {
      // no schedstat: fall back to the thread's stat ticks
    }
    try {
      const stat = parsePidStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
      if (stat) out.set(Number(tid), stat.cpuTicks * msPerTick);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Sum of a map's values, or null for an empty map. */
function total(threads: ReadonlyMap<unknown, number>): number | null {
  if (threads.size === 0) return null;
  let sum = 0;
  for (const ms of threads.values()) sum += ms;
  return sum;
}

/**
 * Reads the CPU time of the worker (workerd descendants of this process, and each of their threads), this process
 * and the Redis server now.
 * @param redisPid the Redis server's pid (`INFO server` `process_id`), or null when it is not a local process; a
 *   pid that is not a `redis-server` here (a container's pid, a reused pid) is ignored.
 * @returns `workerd` null when no workerd descendant is found or `/proc` is unreadable; `redis` null likewise.
 */
export function readProcessCpu(redisPid: number | null): ProcessCpu {
  const usage = process.cpuUsage(); // first, so the /proc scan below counts in the next reading, not this one
  const stats = readAllPidStats();
  const msPerTick = 1000 / clockTicksPerSecond();
  const workerdThreads = new Map<string, number>();
  for (const w of descendantsNamed(stats, process.pid, "workerd")) {
    for (const [tid, ms] of threadCpuMs(w.pid, msPerTick)) workerdThreads.set(`${w.pid}/${tid}`, ms);
  }
  const redis = redisPid === null ? undefined : stats.find((s) => s.pid === redisPid && s.comm === "redis-server");
  return {
    workerd: total(workerdThreads),
    workerdThreads,
    node: (usage.user + usage.system) / 1000,
    redis: redis ? total(threadCpuMs(redis.pid, msPerTick)) : null,
  };
}

/**
 * CPU per node between two readings: (after − before) / nodes, ms per node, one decimal. `workerd` or `redis` is
 * null when either reading lacks it, or when it went backwards (its process was replaced); `workerdThread` is the
 * largest growth of any workerd thread present in both readings.
 * @returns null when `nodes` is 0 or either reading is missing.
 */
export function cpuPerNode(
  before: ProcessCpu | null,
  after: ProcessCpu | null,
  nodes: number,
): ProcessCpuPerNode | null {
  if (!before || !after || !(nodes > 0)) return null;
  const round = (ms: number) => Math.round((ms / nodes) * 10) / 10;
  const per = (a: number | null, b: number | null) => (a === null || b === null || b < a ? null : round(b - a));
  let busiest: number | null = null;
  for (const [key, ms] of after.workerdThreads) {
    const was = before.workerdThreads.get(key);
    if (was !== undefined && ms >= was && (busiest === null || ms - was > busiest)) busiest = ms - was;
  }
  return {
    workerd: per(before.workerd, after.workerd),
    workerdThread: busiest === null ? null : round(busiest),
    node: round(after.node - before.node),
    redis: per(before.redis, after.redis),
  };
}

/**
 * One line for the terminal and the report, e.g. `CPU per node: workerd 9.1 ms, its busiest thread 7.0 ms,
 * stack 6.3 ms, Redis 0.4 ms` (a side that was not read is left out; results from before the busiest thread was
 * recorded lack it).
 */
export function describeCpuPerNode(c: ProcessCpuPerNode): string {
  const sides = [
    ["workerd", c.workerd],
    ["its busiest thread", c.workerdThread ?? null],
    ["stack", c.node],
    ["Redis", c.redis],
  ] as const;
  return `CPU per node: ${sides.flatMap(([name, ms]) => (ms === null ? [] : [`${name} ${ms.toFixed(1)} ms`])).join(", ")}`;
}
